"""Ack latency of slash commands over signed HTTP, with Slack healthy and with Slack hanging.

    .venv/bin/python bench/ack_latency.py [--requests 200] [--database-url URL-of-an-empty-database]

Prints p50/p95/p99/max in milliseconds per scenario. Everything runs on 127.0.0.1:
the bot, the Slack Web API stand-in, and the sender of signed requests.
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.storage.migrate import upgrade  # noqa: E402
from tests.support.world import ALICE, start_world, stop_world  # noqa: E402


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (f"n={len(ordered):4d}  p50={pick(0.50):6.1f}  p95={pick(0.95):6.1f}  "
            f"p99={pick(0.99):6.1f}  max={ordered[-1] * 1000:6.1f}  "
            f"mean={statistics.mean(ordered) * 1000:6.1f} ms")


async def main(requests: int, database_url: str | None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="incident-bot-bench-"))
    url = database_url or f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    world = await start_world(url, workdir, slack_timeout=timedelta(seconds=10))
    try:
        declares = []
        for n in range(max(1, requests // 10)):
            response = await world.incident(f"declare sev3 bench-{n}")
            declares.append(response.elapsed)
        await world.delivered()
        channel = (await world.incidents())[0].channel_id
        print(f"declare, Slack healthy      {figures(declares)}")

        healthy = [(await world.incident(f"log entry {n}", channel=channel)).elapsed
                   for n in range(requests)]
        print(f"log, Slack healthy          {figures(healthy)}")

        world.slack.outage(delay=30)  # every Web API call hangs past the client timeout
        hanging = [(await world.incident(f"log during outage {n}", channel=channel, user=ALICE)).elapsed
                   for n in range(requests)]
        print(f"log, Slack hanging          {figures(hanging)}")
        world.slack.restore()
    finally:
        await stop_world(world)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    asyncio.run(main(args.requests, args.database_url))
