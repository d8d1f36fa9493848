"""Quick recovery: how long after Slack comes back until every owed line shows, and none twice.

    .venv/bin/python bench/recovery.py [--outage 30] [--lines 20] [--database-url URL]

Runs `incident-bot serve` (default settings: SLACK_TIMEOUT 10 s) against the Slack stand-in
(250 ms per answer). Two outages in turn: Slack answering 503, then Slack hanging (calls are
answered, and land, only when it comes back). During each, lines are logged; the figure is
the time from Slack's return until every line shows in the channel. Also printed: what the bot
called while Slack was down.
"""

import argparse
import asyncio
import tempfile
import time
from collections import Counter
from pathlib import Path

from load import (
    SHIPPED_RUNBOOKS,
    USERS,
    Database,
    bot_env,
    new_slack,
    ops_channel,
    sender_for,
    start_bots,
    stop,
    until,
)


async def outage(slack, sender, channel: str, *, kind: str, seconds: float, lines: int) -> None:
    before = len(slack.calls)
    if kind == "503":
        slack.outage(status=503)
    else:
        slack.outage(delay=3600)
    markers = [f"{kind}-outage-line-{n:03d}" for n in range(lines)]
    started = time.monotonic()
    for marker in markers:
        answer = await sender.slash("/incident", f"log {marker}", user=USERS[0][0], channel=channel)
        assert (answer.json or {}).get("text") == "Logged.", answer.body
        await asyncio.sleep(seconds / (2 * lines))  # the first half of the outage
    await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))
    during = Counter(c.method for c in slack.calls[before:])
    slack.restore()

    def shown() -> str:
        return "\n".join(m.shown for m in slack.messages(channel))

    caught_up = await until(lambda: all(m in shown() for m in markers), limit=120)
    await asyncio.sleep(3)  # a late duplicate would show by now
    doubled = sum(shown().count(m) > 1 for m in markers)
    waited = "not within 120 s" if caught_up is None else f"{caught_up:.1f} s"
    print(f"| Slack {'answering 503' if kind == '503' else 'hanging'} for {seconds:.0f} s "
          f"| {lines} | {waited} | {doubled} | "
          + ", ".join(f"{method} {n}" for method, n in during.most_common()) + " |")


async def main(seconds: float, lines: int, database_url: str | None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="incident-bot-recovery-"))
    slack = await new_slack(0.25)
    database = Database(database_url, workdir)
    try:
        [bot] = await start_bots("bot-recovery", 1, bot_env(
            slack, database.fresh("recovery"), workdir, SHIPPED_RUNBOOKS), workdir)
        sender = sender_for(slack, bot)
        await sender.slash("/incident", "declare sev4 recovery-bench", user=USERS[0][0],
                           channel=ops_channel(slack))
        def opened() -> bool:  # summary pinned, runbook-free: the declare is done with Slack
            channel = slack.channel_by_name("inc-1-recovery-bench")
            return channel is not None and bool(slack.pins.get(channel.id))

        await until(opened, 30)
        opened_channel = slack.channel_by_name("inc-1-recovery-bench")
        if opened_channel is None:
            raise RuntimeError("the declare opened no channel within 30 s")
        channel = opened_channel.id
        print(f"`python bench/recovery.py --outage {seconds:.0f} --lines {lines}`"
              f" ({database.name}, SLACK_TIMEOUT 10 s, 250 ms per answer)\n")
        print("| outage | lines logged during it | all shown after Slack is back | shown twice "
              "| calls while Slack was down |\n|---|---|---|---|---|")
        for kind in ("503", "hang"):
            await outage(slack, sender, channel, kind=kind, seconds=seconds, lines=lines)
        await stop(bot)
    finally:
        await slack.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--outage", type=float, default=30)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    asyncio.run(main(args.outage, args.lines, args.database_url))
