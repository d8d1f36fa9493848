"""Which Slack user groups a person is in, for policy decisions: every group's members read
together (`usergroups.list`, then `usergroups.users.list` for each), kept for GROUPS_CACHE.

A decision never waits long for Slack: past half its life the membership is read again in
the background while the one held answers. Past its whole life, a decision waits a moment
for a fresh read; if Slack cannot answer, the person's groups are unreadable and the
decision refuses (fail closed): stale membership might let through someone since removed.
"""

import asyncio
import logging
import time
from datetime import timedelta

from slack_sdk.web.async_client import AsyncWebClient

from bot.authz.judge import Unreadable

log = logging.getLogger(__name__)

# How long a decision waits for a read of the groups before it refuses.
WAIT = timedelta(seconds=2)


class UserGroups:
    def __init__(self, client: AsyncWebClient, *, keep: timedelta, wait: timedelta = WAIT) -> None:
        self._client = client
        self._keep = keep.total_seconds()
        self._wait = wait.total_seconds()
        self._members: dict[str, frozenset[str]] = {}
        self._read_at: float | None = None
        self._reading: asyncio.Task[None] | None = None

    async def of(self, user_id: str) -> list[str]:
        age = None if self._read_at is None else time.monotonic() - self._read_at
        if age is None or age >= self._keep:
            await self._fresh()
        elif age >= self._keep / 2:
            self._read_in_background()
        return sorted(group for group, members in self._members.items() if user_id in members)

    async def _fresh(self) -> None:
        reading = self._read_in_background()
        try:
            await asyncio.wait_for(asyncio.shield(reading), self._wait)
        except TimeoutError:
            raise Unreadable(f"Slack did not answer within {self._wait:g}s") from None
        except Exception as error:
            raise Unreadable(f"Slack: {error}") from None

    def _read_in_background(self) -> asyncio.Task[None]:
        if self._reading is None or self._reading.done():
            self._reading = asyncio.create_task(self._read())
            self._reading.add_done_callback(_seen)
        return self._reading

    async def _read(self) -> None:
        listed = await self._client.usergroups_list()
        members = {}
        for group in listed.get("usergroups") or []:
            answer = await self._client.usergroups_users_list(usergroup=group["id"])
            members[group["id"]] = frozenset(answer.get("users") or [])
        self._members, self._read_at = members, time.monotonic()


def _seen(task: asyncio.Task[None]) -> None:
    """A background read that failed is logged (a decision that needed it says so too)."""
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not read Slack user groups: %s", task.exception())
