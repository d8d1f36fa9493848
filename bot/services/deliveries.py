"""What the outbox learns back from Slack, written to the record."""

from bot.domain.incident import IncidentRecord
from bot.storage.store import Store


async def read_record(store: Store, incident_id: int) -> IncidentRecord:
    async with store.reading() as tx:
        return await tx.record(incident_id)


async def channel_opened(store: Store, *, incident_id: int, channel_id: str, name: str) -> None:
    async with store.transaction() as tx:
        incident = await tx.incident(incident_id, lock=True)
        assert incident is not None
        incident.channel_id, incident.channel_name = channel_id, name
        await tx.save_incident(incident)


async def summary_posted(store: Store, *, incident_id: int, ts: str) -> None:
    async with store.transaction() as tx:
        incident = await tx.incident(incident_id, lock=True)
        assert incident is not None
        incident.summary_ts = ts
        await tx.save_incident(incident)


async def user_named(store: Store, *, user_id: str, name: str) -> None:
    async with store.transaction() as tx:
        await tx.remember_user(user_id, name)


async def access_posted(store: Store, *, request_id: int, ts: str) -> None:
    async with store.transaction() as tx:
        request = await tx.access_request(request_id, lock=True)
        assert request is not None
        request.message_ts = ts
        await tx.save_access_request(request)


async def runbook_posted(store: Store, *, attached_id: int, message_ts: list[str]) -> None:
    async with store.transaction() as tx:
        await tx.set_runbook_messages(attached_id, message_ts)
