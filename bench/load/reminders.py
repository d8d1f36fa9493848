"""The reminder burst: access-expiry warnings, expiries and status nudges falling due together."""

import asyncio
import math
import re
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import UTC, datetime

from bot.standin.slack_api import FakeSlackAPI
from bot.standin.slack_sender import SlackSender

from .databases import read_reminders
from .processes import Served, bot_env, process_row, start_bots, stop
from .results import Bench, percentile
from .sending import SETUP_CLIENTS, in_parallel, open_incidents, sender_for, setup_command
from .workspace import APPROVER, REQUESTER, SETTLE, new_slack, until

# 100 incidents x 5 approved requests; warnings 30 s before a 2-minute expiry and a first
# status nudge 2 minutes after each declare all fall due within a minute or so.
BURST_INCIDENTS, BURST_REQUESTS = 100, 5
BURST_ACCESS, BURST_WARNING, BURST_NUDGE = "2m", "30s", "2m"
BURST_LIMIT = 240.0  # after the last approval, for every reminder to fire and show

WARNING_LINE = re.compile(r"AR-(\d+) \*[^*\n]*\* expires at")
EXPIRED_LINE = re.compile(r"AR-(\d+) \*[^*\n]*\* has \*expired\*")
NUDGE_LINE = "time for a status update"


async def reminders_part(bench: Bench) -> None:
    label = f"bot-{bench.db.name}-reminders"
    slack = await new_slack(bench.options.latency)
    served: list[Served] = []
    url = bench.db.fresh(label)
    try:
        env = bot_env(slack, url, bench.workdir, bench.empty_runbooks,
                      ACCESS_EXPIRY_WARNING=BURST_WARNING, STATUS_UPDATE_INTERVAL_SEV4=BURST_NUDGE)
        served = await start_bots(label, 1, env, bench.workdir)
        sender = sender_for(slack, served[0])
        started = time.monotonic()
        channels = await open_incidents(slack, sender, [f"burst-{n}" for n in range(BURST_INCIDENTS)],
                                        bench.notes, limit=300)
        bench.burst["declared"] = time.monotonic() - started
        granted = await grant_access(bench, slack, sender, channels)
        bench.burst["set up"] = time.monotonic() - started
        await settle_burst(bench, slack, url, channels, granted)
        bench.processes += [process_row(s, bench.db.name) for s in served]
    finally:
        await asyncio.gather(*(stop(s) for s in served))
        await slack.stop()


async def grant_access(bench: Bench, slack: FakeSlackAPI, sender: SlackSender,
                       channels: Sequence[str]) -> dict[int, str]:
    """Request and approve BURST_REQUESTS accesses per incident; returns AR number → channel."""
    pairs = [(channel, f"db-write-{n}-{k}") for n, channel in enumerate(channels)
             for k in range(BURST_REQUESTS)]

    def request(channel: str, what: str) -> Callable[[], Awaitable[str]]:
        return lambda: setup_command(bench.notes, sender, "/incident",
                                     f"access request {what} for {BURST_ACCESS}",
                                     user=REQUESTER[0], channel=channel)

    answers = await in_parallel([request(c, w) for c, w in pairs], SETUP_CLIENTS)
    granted: dict[int, str] = {}
    for (channel, what), answer in zip(pairs, answers, strict=True):
        match = re.search(r"AR-(\d+) requested", answer)
        if match is None:
            raise RuntimeError(f"access request {what}: {answer}")
        granted[int(match.group(1))] = channel

    def approve(number: int, channel: str) -> Callable[[], Awaitable[str]]:
        return lambda: setup_command(bench.notes, sender, "/approve", f"AR-{number}",
                                     user=APPROVER[0], channel=channel)

    started = time.monotonic()
    answers = await in_parallel([approve(n, c) for n, c in granted.items()], SETUP_CLIENTS)
    bench.burst["approvals took"] = time.monotonic() - started
    refused = [a for a in answers if "approved until" not in a]
    if refused:
        raise RuntimeError(f"{len(refused)} approvals refused, e.g. {refused[0]}")
    return granted


def access_notices(slack: FakeSlackAPI,
                   channels: Iterable[str]) -> tuple[Counter[int], Counter[int], int]:
    """Expiry warnings and expired notices per AR number, and status nudges, as shown."""
    warnings: Counter[int] = Counter()
    expired: Counter[int] = Counter()
    nudges = 0
    for channel in channels:
        for message in slack.messages(channel):
            shown = message.shown
            warnings.update(int(n) for n in WARNING_LINE.findall(shown))
            expired.update(int(n) for n in EXPIRED_LINE.findall(shown))
            nudges += shown.count(NUDGE_LINE)
    return warnings, expired, nudges


async def settle_burst(bench: Bench, slack: FakeSlackAPI, url: str, channels: Sequence[str],
                       granted: dict[int, str]) -> None:
    """Wait until every access reminder fired and its notice shows, then take the figures."""
    deadline = time.monotonic() + BURST_LIMIT
    access_kinds = {"access_warning", "access_expired"}
    while time.monotonic() < deadline:
        rows = await asyncio.to_thread(read_reminders, url)
        if all(r.fired_at or r.cancelled for r in rows if r.kind in access_kinds):
            break
        await asyncio.sleep(1)
    fired_all = time.monotonic()

    def all_shown() -> bool:
        warnings, expired, _ = access_notices(slack, channels)
        return all(warnings[n] and expired[n] for n in granted)

    shown_in = await until(all_shown, max(10.0, deadline - time.monotonic()), every=0.5)
    await asyncio.sleep(2 * SETTLE)
    rows = await asyncio.to_thread(read_reminders, url)
    warnings, expired, nudges = access_notices(slack, channels)
    fired = [r for r in rows if r.fired_at]
    lags = [(r.fired_at - r.due_at).total_seconds() for r in fired if r.fired_at]
    now = datetime.now(UTC).replace(tzinfo=None)
    bench.burst.update({
        "rows": len(rows), "fired": len(fired),
        "due, not fired": sum(1 for r in rows if not r.fired_at and not r.cancelled and r.due_at <= now),
        "fired by kind": dict(Counter(r.kind for r in fired)),
        "fired twice": 0,  # one fired_at per row: a second firing can only show as a second notice
        "warnings shown twice": sum(1 for n in granted if warnings[n] > 1),
        "expiries shown twice": sum(1 for n in granted if expired[n] > 1),
        "warnings missing": sum(1 for n in granted if not warnings[n]),
        "expiries missing": sum(1 for n in granted if not expired[n]),
        "nudges shown": nudges,
        "nudges fired": sum(1 for r in fired if r.kind == "status_nudge"),
        "lag": lags,
        "lag by kind": {kind: [(r.fired_at - r.due_at).total_seconds() for r in fired
                               if r.kind == kind and r.fired_at] for kind in sorted({r.kind for r in fired})},
        "due span": _span([r.due_at for r in fired]),
        "shown after last firing": None if shown_in is None else time.monotonic() - fired_all - 2 * SETTLE,
    })
    note_burst(bench)
    print(f"  reminders: {len(fired)} fired of {len(rows)} rows, lag p50 {percentile(lags, .5):.2f} s "
          f"p99 {percentile(lags, .99):.2f} s max {max(lags, default=math.nan):.2f} s", flush=True)


def note_burst(bench: Bench) -> None:
    burst = bench.burst
    for key in ("due, not fired", "warnings shown twice", "expiries shown twice",
                "warnings missing", "expiries missing"):
        if burst[key]:
            bench.notes.add(f"reminders: {key}", "reminder burst", burst[key])
    if burst["nudges shown"] != burst["nudges fired"]:
        bench.notes.add(f"reminders: {burst['nudges fired']} nudges fired, {burst['nudges shown']} shown",
                        "reminder burst")


def _span(stamps: Sequence[datetime]) -> float:
    return (max(stamps) - min(stamps)).total_seconds() if stamps else math.nan
