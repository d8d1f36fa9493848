"""The bots as processes of their own: spawned, waited for until healthy, measured, stopped."""

import asyncio
import math
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import aiohttp

from bot.config import Settings
from bot.standin.slack_api import FakeSlackAPI

from .workspace import APPROVER, SECRET

REPO = Path(__file__).resolve().parents[2]
REFERENCE_BOT = REPO / "bench" / "reference_bot.py"
SHIPPED_RUNBOOKS = REPO / "runbooks"
HEALTHY_LIMIT = 60.0


@dataclass
class Served:
    label: str
    process: asyncio.subprocess.Process
    port: int
    log: Path
    started_in: float

    @property
    def events_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"


@dataclass
class ProcessRow:
    label: str
    database: str
    started_in: float
    rss_mib: float
    warnings: int
    errors: int
    log: Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _open_log(path: Path) -> IO[bytes]:
    return path.open("wb")


async def spawn(label: str, argv: list[str], env: dict[str, str], workdir: Path) -> Served:
    """Start a process and wait until its /healthz answers 200; the time includes migrations."""
    port, log = free_port(), workdir / f"{label}.log"
    sink = _open_log(log)
    started = time.monotonic()
    try:
        # cwd is the scratch folder, so no .env of the caller's leaks into the bot's settings.
        process = await asyncio.create_subprocess_exec(
            *argv, env={**env, "PORT": str(port)}, cwd=workdir, stdin=asyncio.subprocess.DEVNULL,
            stdout=sink, stderr=asyncio.subprocess.STDOUT)
    finally:
        sink.close()
    try:
        await wait_healthy(process, port, log)
    except BaseException:
        # Cancelled or failed while starting: no process is left behind unseen.
        if process.returncode is None:
            process.kill()
            await process.wait()
        raise
    return Served(label, process, port, log, time.monotonic() - started)


async def wait_healthy(process: asyncio.subprocess.Process, port: int, log: Path) -> None:
    deadline = time.monotonic() + HEALTHY_LIMIT
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"{log.name}: exited {process.returncode}:\n{tail(log)}")
            try:
                async with session.get(f"http://127.0.0.1:{port}/healthz",
                                       timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.02)
    process.kill()
    raise RuntimeError(f"{log.name}: not healthy after {HEALTHY_LIMIT:.0f} s:\n{tail(log)}")


def tail(log: Path, lines: int = 20) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


async def stop(served: Served) -> None:
    if served.process.returncode is not None:
        return
    served.process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(served.process.wait(), 15)
    except TimeoutError:
        served.process.kill()
        await served.process.wait()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return math.nan


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """Busy CPU time of the whole machine, every core."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


# Bolt says so whenever SLACK_BOT_TOKEN is in the environment and a client is given: not a problem.
HARMLESS = ("`token` will be unused",)


def log_problems(log: Path) -> tuple[int, int]:
    lines = [line for line in log.read_text(errors="replace").splitlines()
             if not any(known in line for known in HARMLESS)]
    warnings = sum(" WARNING " in line for line in lines)
    errors = sum(" ERROR " in line or " CRITICAL " in line for line in lines)
    # A process without a log format (the reference) only shows its tracebacks.
    return warnings, errors or sum(line.startswith("Traceback") for line in lines)


def process_row(served: Served, database: str) -> ProcessRow:
    return ProcessRow(served.label, database, served.started_in, rss_mib(served.process.pid),
                      *log_problems(served.log), served.log)


def clean_env() -> dict[str, str]:
    """The caller's environment without any bot setting: every run is configured the same."""
    return {name: value for name, value in os.environ.items()
            if name.lower() not in Settings.model_fields}


def bot_env(slack: FakeSlackAPI, database_url: str, workdir: Path, runbooks: Path,
            **extra: str) -> dict[str, str]:
    return {**clean_env(), "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.url, "DATABASE_URL": database_url, "SLACK_APP_TOKEN": "",
            "EXPORT_DIR": str(workdir / "incidents"), "RUNBOOKS_DIR": str(runbooks),
            "ANNOUNCE_CHANNEL": "", "APPROVERS": APPROVER[0], "SLACK_TIMEOUT": "10s", **extra}


async def start_bots(label: str, count: int, env: dict[str, str], workdir: Path) -> list[Served]:
    """`count` serve processes on one database, started together as a deployment would."""
    names = [label if count == 1 else f"{label}-r{n + 1}" for n in range(count)]
    argv = [sys.executable, "-m", "bot", "serve"]
    started = await asyncio.gather(*(spawn(name, argv, env, workdir) for name in names),
                                   return_exceptions=True)
    served = [s for s in started if isinstance(s, Served)]
    failed = [s for s in started if isinstance(s, BaseException)]
    if failed:
        await asyncio.gather(*(stop(s) for s in served))
        raise failed[0]
    return served


async def start_reference(slack: FakeSlackAPI, label: str, workdir: Path) -> Served:
    env = {**clean_env(), "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_API_URL": slack.url, "DATABASE": str(workdir / f"{label}.db")}
    return await spawn(label, [sys.executable, str(REFERENCE_BOT)], env, workdir)
