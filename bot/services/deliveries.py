"""What the outbox learns back from Slack, written to the record."""

from bot.domain.incident import IncidentRecord
from bot.storage.store import Store


async def read_record(store: Store, incident_id: int) -> IncidentRecord:
    async with store.reading() as tx:
        return await tx.record(incident_id)


async def _set_on_incident(store: Store, incident_id: int, **fields: object) -> None:
    async with store.transaction() as tx:
        incident = await tx.incident(incident_id, lock=True)
        assert incident is not None
        for name, value in fields.items():
            setattr(incident, name, value)
        await tx.save_incident(incident)


async def channel_opened(store: Store, *, incident_id: int, channel_id: str, name: str) -> None:
    await _set_on_incident(store, incident_id, channel_id=channel_id, channel_name=name)


async def summary_posted(store: Store, *, incident_id: int, ts: str) -> None:
    await _set_on_incident(store, incident_id, summary_ts=ts)


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
