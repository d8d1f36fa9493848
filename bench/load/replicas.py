"""The log load against several serve processes on one PostgreSQL database."""

from .logs import incident_series, reference_series
from .results import Bench


async def replicas_part(bench: Bench) -> None:
    clients = [c for c in bench.options.concurrency if c > 1] or bench.options.concurrency
    for count in bench.options.replicas:
        for channels in bench.options.channels:
            bench.logs += await incident_series(bench, channels, clients, replicas=count)
    if not bench.options.skip_reference:
        for channels in bench.options.channels:
            missing = [c for c in clients if (channels, c) not in bench.reference]
            if missing:
                await reference_series(bench, channels, missing)
