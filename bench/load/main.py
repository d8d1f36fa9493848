"""Run the chosen parts one after the other, then print every table, even after a failure."""

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from . import __doc__ as USAGE
from .calls import calls_part
from .databases import Database
from .logs import logs_part
from .options import parse_options
from .reminders import reminders_part
from .replicas import replicas_part
from .report import print_tables, shown_command
from .results import Bench

PARTS: dict[str, Callable[[Bench], Awaitable[None]]] = {
    "logs": logs_part, "calls": calls_part, "reminders": reminders_part, "replicas": replicas_part,
}


async def run(bench: Bench) -> None:
    for part in bench.options.parts():
        print(f"{part} …", flush=True)
        started = time.monotonic()
        await PARTS[part](bench)
        bench.timings[part] = time.monotonic() - started
        print(f"{part} took {bench.timings[part]:.0f} s", flush=True)


def main(argv: Sequence[str]) -> None:
    options = parse_options(argv, USAGE)
    workdir = Path(tempfile.mkdtemp(prefix="incident-bot-load-"))
    bench = Bench(options, Database(options.database_url, workdir), workdir)
    started = time.monotonic()
    try:
        asyncio.run(run(bench))
    finally:
        bench.timings["total"] = time.monotonic() - started
        print_tables(bench, shown_command(sys.argv))
