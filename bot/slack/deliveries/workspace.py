"""What Slack deliveries share: the record, the Web API, and the workspace's settings."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from bot.domain.incident import IncidentRecord
from bot.domain.meeting import call_link
from bot.domain.notices import IncidentNotice
from bot.domain.policy import Policy
from bot.outbound.errors import Retry
from bot.outbound.registry import Batch, Owed
from bot.services import deliveries
from bot.slack.posting import Packed, find_tagged, send
from bot.slack.webapi import WebApi
from bot.storage.store import Store

About = TypeVar("About", bound=IncidentNotice)


@dataclass
class Workspace:
    store: Store
    api: WebApi
    announce_channel: str | None = None
    approvers: list[str] = field(default_factory=list)
    bot_user_id: str | None = None
    exec_channel: str | None = None
    runbook_stale_after: timedelta = Policy.runbook_stale_after
    # MEETING_URL: the call link shown in the summary, the handoff and the DMs.
    meeting_url: str | None = None

    def call(self, record: IncidentRecord) -> str | None:
        return call_link(self.meeting_url, record.incident)

    async def record(self, batch: Batch[About]) -> IncidentRecord:
        return await deliveries.read_record(self.store, batch.head.notice.incident_id)

    async def for_posting(self, batch: Batch[About]) -> IncidentRecord:
        return await deliveries.read_for_posting(self.store, batch.head.notice.incident_id)

    async def dm_channel(self, user_id: str) -> str:
        """The bot's DM channel with a person (Slack opens it once and hands back the same)."""
        return (await self.api.call("conversations.open", users=user_id))["channel"]["id"]

    async def me(self) -> str:
        if self.bot_user_id is None:
            self.bot_user_id = (await self.api.call("auth.test"))["user_id"]
        return self.bot_user_id

    async def post_once(self, batch: Batch[Any], channel: str, packed: Packed, *,
                        thread_ts: str | None = None) -> str:
        """Post, unless an earlier attempt whose outcome we never learnt already did."""
        if batch.check_first:
            found = await find_tagged(self.api, channel, batch.head.created_at, thread_ts)
            if all(tag in found for tag in packed.tags):
                return found[packed.tags[0]]
            self.not_landed_yet(batch.items)
        return await send(self.api, channel, packed, thread_ts=thread_ts)

    def not_landed_yet(self, items: Sequence[Owed[Any]]) -> None:
        """A look that found nothing, while an earlier attempt may still land: look again
        later rather than send it twice."""
        until = max((item.unsure_until for item in items if item.unsure_until), default=None)
        now = self.store.clock()
        if until is not None and until > now:
            raise Retry("an earlier attempt may still land: looking again later",
                        after=until - now, uncertain=True, looked=True)


def channel_of(record: IncidentRecord) -> str:
    if not record.incident.channel_id:
        # Held: the channel opening is a Slack call too, and its success releases this.
        raise Retry("the incident channel is not open yet", held=True)
    return record.incident.channel_id
