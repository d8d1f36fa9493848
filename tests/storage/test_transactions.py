"""What a transaction offers the use cases beyond plain rows: a rule that follows every event
appended (stored together or alone), the state each incident was first read in, and one
pending reminder of a kind at a time."""

import asyncio

import pytest
from sqlalchemy import select

from bot.domain.incident import Incident
from bot.domain.lifecycle import Status
from bot.domain.reminders import ReminderKind
from bot.domain.timeline import TimelineEvent
from bot.storage.store import Store, Tx
from bot.storage.tables import ReminderRow

CHANNEL = "C0INC1"


class Followed:
    """An after-append rule that notes each event with the incident's state when read."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, Status | None]] = []
        self.transactions: list[Tx] = []

    async def __call__(self, tx: Tx, event: TimelineEvent) -> None:
        self.seen.append((event.details, tx.status_when_read(event.incident_id)))
        self.transactions.append(tx)
        await tx.schedule_unless_pending(ReminderKind.EXPORT_AGAIN, event.incident_id, tx.now)


@pytest.fixture
async def followed(database_url, clock):
    rule = Followed()
    store = Store.from_url(database_url, clock=clock.now, after_append=rule)
    yield store, rule
    await store.close()


async def declared(store: Store, status: Status = Status.NEW) -> int:
    async with store.transaction() as tx:
        incident = await tx.add_incident(Incident(
            id=0, slug="db-outage", title="Primary DB down", severity=1, declared_at=tx.now,
            declared_by="U0ALICE", status=status, channel_id=CHANNEL))
    return incident.id


async def log(tx: Tx, text: str) -> None:
    incident = await tx.incident_by_channel(CHANNEL, lock=True)
    assert incident is not None
    await tx.append(TimelineEvent(incident_id=incident.id, seq=0, at=tx.now, actor_id="U0BOB",
                                  action="log", details=text))


async def reminders(store: Store, kind: ReminderKind) -> list[ReminderRow]:
    async with store.reading() as tx:
        return list((await tx.session.execute(
            select(ReminderRow).where(ReminderRow.kind == kind).order_by(ReminderRow.id))).scalars())


async def test_the_rule_follows_every_event_in_the_events_own_transaction(followed):
    store, rule = followed
    await declared(store, Status.RESOLVED)
    async with store.transaction() as tx:
        await log(tx, "kept")
    with pytest.raises(RuntimeError):
        async with store.transaction() as tx:
            await log(tx, "rolled back")
            raise RuntimeError("the command fails after its event")
    assert rule.seen == [("kept", Status.RESOLVED), ("rolled back", Status.RESOLVED)]
    # What the rule wrote went with the event: committed once, rolled back the second time.
    assert len(await reminders(store, ReminderKind.EXPORT_AGAIN)) == 1


async def test_events_stored_together_are_each_followed(followed):
    store, rule = followed
    await declared(store)

    def line(n: int):
        async def work(tx: Tx) -> None:
            await log(tx, f"line {n}")
        return work

    async with store.transaction(queue=CHANNEL):  # holds the turn while the lines queue up
        waiting = [asyncio.create_task(store.together(CHANNEL, line(n))) for n in range(3)]
        await asyncio.sleep(0.05)
    await asyncio.gather(*waiting)
    assert rule.seen == [(f"line {n}", Status.NEW) for n in range(3)]
    assert len({id(tx) for tx in rule.transactions}) == 1  # they were stored together


async def test_an_incident_is_known_in_the_state_it_was_first_read_in(store):
    incident_id = await declared(store)
    async with store.transaction() as tx:
        assert tx.status_when_read(incident_id) is None  # not read yet
        incident = await tx.incident(incident_id, lock=True)
        assert incident is not None
        incident.move_to(Status.RESOLVED, tx.now)
        await tx.save_incident(incident)
        assert (await tx.incident(incident_id)).status is Status.RESOLVED
        assert tx.status_when_read(incident_id) is Status.NEW


async def test_one_reminder_of_a_kind_is_pending_at_a_time(store, clock):
    incident_id = await declared(store)
    first = clock.now()
    async with store.transaction() as tx:
        await tx.schedule_unless_pending(ReminderKind.EXPORT_AGAIN, incident_id, first)
        await tx.schedule_unless_pending(ReminderKind.EXPORT_AGAIN, incident_id, first)
    clock.advance(seconds=5)
    async with store.transaction() as tx:
        await tx.schedule_unless_pending(ReminderKind.EXPORT_AGAIN, incident_id, clock.now())
    [pending] = await reminders(store, ReminderKind.EXPORT_AGAIN)
    assert pending.due_at == first

    # Cancelled, it is pending no longer, even within the same transaction.
    async with store.transaction() as tx:
        await tx.schedule_unless_pending(ReminderKind.EXPORT_AGAIN, incident_id, clock.now())
        await tx.cancel_reminders(incident_id, {ReminderKind.EXPORT_AGAIN})
        await tx.schedule_unless_pending(ReminderKind.EXPORT_AGAIN, incident_id, clock.now())
    cancelled, again = await reminders(store, ReminderKind.EXPORT_AGAIN)
    assert cancelled.cancelled_at is not None and again.cancelled_at is None
    assert again.due_at == clock.now()
