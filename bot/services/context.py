"""The frame every incident command runs in: one transaction, the incident locked."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.timeline import TimelineEvent
from bot.services.caller import Caller
from bot.storage.store import Store, Tx

NOT_AN_INCIDENT_CHANNEL = (
    "This is not an incident channel. Run this in the incident's channel (#inc-…), "
    "or start one with `/incident declare <sev> <slug> [title]`."
)


@asynccontextmanager
async def incident_command(store: Store, caller: Caller) -> AsyncIterator[tuple[Tx, Incident]]:
    async with store.transaction(queue=caller.channel_id) as tx:
        yield tx, await locked_incident(tx, caller)


async def locked_incident(tx: Tx, caller: Caller) -> Incident:
    """The caller's incident, locked, with the command recorded against it."""
    incident = await tx.incident_by_channel(caller.channel_id, lock=True)
    if incident is None:
        raise IncidentError(NOT_AN_INCIDENT_CHANNEL)
    await record_caller(tx, caller, incident.id)
    return incident


async def record_caller(tx: Tx, caller: Caller, incident_id: int | None) -> None:
    await tx.record_command(
        trigger_id=caller.trigger_id, incident_id=incident_id, user_id=caller.user_id,
        channel_id=caller.channel_id, command=caller.command, text=caller.text,
    )
    await tx.remember_user(caller.user_id, caller.user_name)


def event(tx: Tx, incident: Incident, actor_id: str, action: str, details: str = "", *,
          step: str | None = None, **data: object) -> TimelineEvent:
    return TimelineEvent(incident_id=incident.id, seq=0, at=tx.now, actor_id=actor_id,
                         action=action, details=details, step=step, data=dict(data))
