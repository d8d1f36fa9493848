"""What the outbox learns back from Slack, written to the record.

A message re-rendered from state is posted showing the record as it was read; when
changes were recorded while the post was on its way, a refresh is owed at once.
"""

from bot.domain import notices
from bot.domain.access import AccessCopy, AccessRequest
from bot.domain.incident import IncidentRecord
from bot.domain.runbook_progress import AttachedRunbook
from bot.storage.store import Store, Tx


async def read_record(store: Store, incident_id: int) -> IncidentRecord:
    async with store.reading() as tx:
        return await tx.record(incident_id)


async def read_for_posting(store: Store, incident_id: int) -> IncidentRecord:
    """The incident and people's names: all a channel message needs, without the timeline."""
    async with store.reading() as tx:
        incident = await tx.incident(incident_id)
        assert incident is not None
        return IncidentRecord(incident=incident, names=await tx.names())


async def _set_on_incident(store: Store, incident_id: int, *, shown: int | None = None,
                           **fields: object) -> None:
    """Set fields learnt from Slack; with `shown`, the summary is refreshed if it is stale."""
    async with store.transaction() as tx:
        incident = await tx.incident(incident_id, lock=True)
        assert incident is not None
        for name, value in fields.items():
            setattr(incident, name, value)
        await tx.save_incident(incident)
        if shown is not None and await _changed_since(tx, incident_id, shown):
            tx.notify(notices.RefreshSummary(incident_id=incident_id))


async def _changed_since(tx: Tx, incident_id: int, shown: int) -> bool:
    return await tx.version(incident_id) > shown


async def channel_opened(store: Store, *, incident_id: int, channel_id: str, name: str) -> None:
    await _set_on_incident(store, incident_id, channel_id=channel_id, channel_name=name)


async def summary_posted(store: Store, *, incident_id: int, ts: str, shown: int) -> None:
    await _set_on_incident(store, incident_id, shown=shown, summary_ts=ts)


async def user_named(store: Store, *, user_id: str, name: str) -> None:
    async with store.transaction() as tx:
        await tx.remember_user(user_id, name)


async def access_posted(store: Store, *, request: AccessRequest, ts: str, shown: int) -> None:
    async with store.transaction() as tx:
        stored = await tx.access_request(request.id, lock=True)
        assert stored is not None
        stored.message_ts = ts
        await tx.save_access_request(stored)
        if await _changed_since(tx, request.incident_id, shown):
            tx.notify(notices.RefreshAccess(incident_id=request.incident_id, request=request.id))


async def read_access(store: Store, incident_id: int,
                      request_id: int) -> tuple[IncidentRecord, AccessRequest, list[AccessCopy]]:
    """A request, its incident and where its DM copies are, read together."""
    async with store.reading() as tx:
        record = await tx.record(incident_id)
        request = next(r for r in record.access_requests if r.id == request_id)
        return record, request, await tx.access_copies(request_id)


async def access_copy_posted(store: Store, *, incident_id: int, copy: AccessCopy,
                             shown: int) -> None:
    async with store.transaction() as tx:
        await tx.set_access_copy(copy)
        if await _changed_since(tx, incident_id, shown):
            tx.notify(notices.RefreshAccess(incident_id=incident_id, request=copy.request_id))


async def runbook_posted(store: Store, *, attached: AttachedRunbook, message_ts: list[str],
                         shown: int) -> None:
    async with store.transaction() as tx:
        await tx.set_runbook_messages(attached.id, message_ts)
        if await _changed_since(tx, attached.incident_id, shown):
            tx.notify(notices.RefreshRunbook(incident_id=attached.incident_id,
                                             attached=attached.id))


async def statuspage_id(store: Store, incident_id: int) -> str | None:
    async with store.reading() as tx:
        return await tx.statuspage_id(incident_id)


async def statuspage_opened(store: Store, *, incident_id: int, public_id: str) -> None:
    async with store.transaction() as tx:
        await tx.set_statuspage_id(incident_id, public_id)


async def statuspage_refused(store: Store, *, incident_id: int, status: str, reason: str) -> None:
    """Statuspage will never take an update: the channel hears of it, as nobody else would."""
    async with store.transaction() as tx:
        tx.notify(notices.StatuspageFailed(incident_id=incident_id, status=status,
                                           reason=reason))
