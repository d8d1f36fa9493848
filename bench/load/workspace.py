"""The Slack workspace the bots talk to: the stand-in of the Web API, its people and channels,
and waiting for what it shows."""

import asyncio
import time
from collections.abc import Callable

from bot.standin.slack_api import FakeSlackAPI

SECRET = "bench-signing-secret"
USERS = [(f"U0BENCH{n}", f"oncall{n}") for n in range(5)]
REQUESTER, APPROVER = ("U0REQUEST", "requester"), ("U0APPROVE", "approver")

POLL = 0.02  # how often Slack is looked at while waiting for lines to show
QUIET = 3.0  # no Web API call for this long: the bot is done with an action
SETTLE = 1.0  # after the last line shows, a late duplicate still has time to appear


async def new_slack(latency: float) -> FakeSlackAPI:
    slack = FakeSlackAPI(latency=latency)
    await slack.start()
    for user_id, name in [*USERS, REQUESTER, APPROVER]:
        slack.add_user(user_id, name)
    slack.add_channel("ops", creator=USERS[0][0],
                      members=[user for user, _ in [*USERS, REQUESTER, APPROVER]])
    return slack


def ops_channel(slack: FakeSlackAPI) -> str:
    channel = slack.channel_by_name("ops")
    assert channel is not None
    return channel.id


async def until(check: Callable[[], bool], limit: float, every: float = POLL) -> float | None:
    """Seconds until `check()` holds, or None after `limit`."""
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > limit:
            return None
        await asyncio.sleep(every)
    return time.monotonic() - started


async def until_quiet(slack: FakeSlackAPI, quiet: float = QUIET, limit: float = 120.0) -> None:
    seen, changed = len(slack.calls), time.monotonic()
    deadline = changed + limit
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        if len(slack.calls) != seen:
            seen, changed = len(slack.calls), time.monotonic()
        elif time.monotonic() - changed >= quiet:
            return


def incident_channel(slack: FakeSlackAPI, number: int, slug: str) -> str | None:
    """The incident's channel once the bot opened it and pinned its summary."""
    prefix = f"inc-{number}-{slug}"
    for channel in list(slack.channels.values()):
        if channel.name.startswith(prefix) and slack.bot_user_id in channel.members \
                and slack.pins.get(channel.id):
            return channel.id
    return None
