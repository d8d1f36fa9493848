"""Signed commands to a bot, as Slack sends them, and the set-up every part starts with."""

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import aiohttp

from bot.standin.slack_api import FakeSlackAPI
from bot.standin.slack_sender import SlackSender

from .processes import Served
from .results import Notes
from .workspace import SECRET, USERS, incident_channel, ops_channel, until, until_quiet

SETUP_CLIENTS = 10


def sender_for(slack: FakeSlackAPI, served: Served) -> SlackSender:
    return SlackSender(events_url=served.events_url, signing_secret=SECRET, api=slack)


async def answer_text(sender: SlackSender, command: str, text: str, *, user: str,
                      channel: str) -> str:
    """The ack's text, or what went wrong, as one line."""
    try:
        answer = await sender.slash(command, text, user=user, channel=channel)
    except (aiohttp.ClientError, TimeoutError) as exc:
        return f"no answer: {exc!r}"
    if answer.status != 200:
        return f"HTTP {answer.status}: {answer.body[:200]}"
    return str((answer.json or {}).get("text", answer.body))


BOT_FAILED = "Something went wrong and nothing was recorded"
SETUP_ATTEMPTS = 3


async def setup_command(notes: Notes, sender: SlackSender, command: str, text: str, *,
                        user: str, channel: str) -> str:
    """A set-up command; when the bot says nothing was recorded and to try again, try again,
    and say so in the notes: set-up is not what is measured, but the failure is worth knowing."""
    for _ in range(SETUP_ATTEMPTS):
        answer = await answer_text(sender, command, text, user=user, channel=channel)
        if BOT_FAILED not in answer and not answer.startswith(("HTTP", "no answer")):
            return answer
        notes.add(f"set-up command answered `{answer[:90]}`, sent again", f"{command} {text}")
    return answer


async def in_parallel(jobs: Sequence[Callable[[], Awaitable[Any]]], clients: int) -> list[Any]:
    """Run jobs with at most `clients` at a time, answers in job order."""
    gate = asyncio.Semaphore(clients)

    async def run(job: Callable[[], Awaitable[Any]]) -> Any:
        async with gate:
            return await job()

    return list(await asyncio.gather(*(run(job) for job in jobs)))


DECLARED = re.compile(r"INC-(\d+) declared")


async def open_incidents(slack: FakeSlackAPI, sender: SlackSender, slugs: Sequence[str],
                         notes: Notes, limit: float = 120.0) -> list[str]:
    """Declare from #ops, wait until every channel is open; returns the channel ids in order."""
    ops = ops_channel(slack)

    def declare(slug: str) -> Callable[[], Awaitable[str]]:
        return lambda: setup_command(notes, sender, "/incident", f"declare sev4 {slug}",
                                     user=USERS[0][0], channel=ops)

    answers = await in_parallel([declare(slug) for slug in slugs], SETUP_CLIENTS)
    numbers_ = []
    for slug, answer in zip(slugs, answers, strict=True):
        match = DECLARED.search(answer)
        if match is None:
            raise RuntimeError(f"declare {slug}: {answer}")
        numbers_.append(int(match.group(1)))

    def channels() -> list[str | None]:
        return [incident_channel(slack, n, slug) for n, slug in zip(numbers_, slugs, strict=True)]

    if await until(lambda: all(channels()), limit, every=0.1) is None:
        raise RuntimeError(f"incident channels not open after {limit:.0f} s")
    await until_quiet(slack, quiet=0.5)
    return [c for c in channels() if c]
