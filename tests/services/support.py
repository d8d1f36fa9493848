"""Shared set-up for use-case tests: an incident with an open channel, callers, a policy."""

import itertools
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import select

from bot.domain.notices import ChannelLine, Notice
from bot.domain.policy import Policy
from bot.outbound.codec import decode
from bot.services import incidents
from bot.services.caller import Caller
from bot.storage.tables import OutboxRow
from tests.support.judges import default_judge

N = TypeVar("N", bound=Notice)

CHANNEL = "C0INC1"
APPROVER, OTHER_APPROVER = "U0DAVE", "U0ERIN"
POLICY = Policy(approvers=(APPROVER, OTHER_APPROVER), access_expiry_warning=timedelta(minutes=15))
_triggers = itertools.count()


def by(user: str, channel: str = CHANNEL) -> Caller:
    return Caller(user_id=user, user_name=user.removeprefix("U0").lower(), channel_id=channel,
                  trigger_id=f"trigger-{next(_triggers)}", judge=default_judge(POLICY.approvers))


async def open_incident(store, *, channel: str = CHANNEL, severity: int = 1,
                        policy: Policy = POLICY, drill: bool = False) -> int:
    incident = await incidents.declare(store, caller=by("U0ALICE", "C0OPS"), severity=severity,
                                       slug="db-outage", title="Primary DB down", policy=policy,
                                       drill=drill)
    async with store.transaction() as tx:
        opened = await tx.incident(incident.id, lock=True)
        opened.channel_id, opened.channel_name = channel, f"inc-{incident.id}-db-outage"
        await tx.save_incident(opened)
    return incident.id


async def actions(store, incident_id: int = 1) -> list[str]:
    async with store.transaction() as tx:
        return [e.action for e in await tx.events(incident_id)]


async def owed(store, kind: type[N]) -> list[N]:
    """The notices of a kind owed to Slack and the other systems, in order, as the delivery
    loop reads them back."""
    async with store.reading() as tx:
        rows = (await tx.session.execute(select(OutboxRow).order_by(OutboxRow.id))).scalars().all()
    read = [decode(row.kind, row.payload, row.lane) for row in rows]
    return [notice for notice in read if isinstance(notice, kind)]


async def channel_posts(store) -> list[ChannelLine]:
    """The lines owed to the incident channel, in order (what the outbox will post)."""
    return await owed(store, ChannelLine)
