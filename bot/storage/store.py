"""The repository: one transaction object per use case, speaking domain objects."""

import asyncio
import contextlib
import dataclasses
import functools
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from bot.domain.access import AccessCopy, AccessRequest, AccessState
from bot.domain.captures import Capture
from bot.domain.errors import DuplicateDelivery
from bot.domain.incident import ActionItem, Incident, IncidentRecord, Participant
from bot.domain.lifecycle import Status
from bot.domain.notices import Notice
from bot.domain.reminders import Reminder, ReminderKind
from bot.domain.runbook_progress import AttachedRunbook
from bot.domain.timeline import ChainLink, TimelineEvent, chain
from bot.storage.engine import Database, open_database
from bot.storage.tables import (
    AccessCopyRow,
    AccessRequestRow,
    ActionItemRow,
    AlertDeliveryRow,
    AlertGroupRow,
    AlertSeenRow,
    AttachedRunbookRow,
    CapturedMessageRow,
    CommandRow,
    EventRow,
    IncidentRow,
    OutboxRow,
    ParticipantRow,
    ReminderRow,
    SlackEventRow,
    StatuspageIncidentRow,
    UserRow,
    table_of,
)

if TYPE_CHECKING:  # imported when first used: psycopg is a tenth of start-up, and SQLite needs none
    from bot.storage.driver import Driver

T = TypeVar("T")

# The statements every command runs are built once: building one (coercing each value,
# deriving its cache key) cost more CPU than sending it.
_INCIDENTS = table_of(IncidentRow)
_EVENTS = table_of(EventRow)
_OUTBOX = table_of(OutboxRow)
_COMMANDS = table_of(CommandRow)
_USERS = table_of(UserRow)
_REMINDERS = table_of(ReminderRow)


def _insert(dialect: str, table: Any) -> Any:
    """An INSERT that knows ON CONFLICT, in this database's dialect."""
    return (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table)


@functools.cache
def _incident_query(column: str, lock: bool, skip_locked: bool) -> Any:
    query = select(_INCIDENTS).where(_INCIDENTS.c[column] == bindparam("key"))
    # Locking serializes everything that touches one incident (its chain above all).
    return query.with_for_update(skip_locked=skip_locked) if lock else query


@functools.cache
def _insert_new(dialect: str, table: Any) -> Any:
    """Inserts a row unless its key is taken; returns the key when it was inserted."""
    return _insert(dialect, table).on_conflict_do_nothing().returning(*table.primary_key.columns)


@functools.cache
def _append_after(dialect: str) -> Any:
    return (_insert(dialect, _EVENTS)
            .on_conflict_do_nothing(index_elements=[_EVENTS.c.incident_id, _EVENTS.c.seq])
            .returning(_EVENTS.c.id))


def to_domain(cls: type[T], row: Any) -> T:
    values = {f.name: getattr(row, f.name) for f in dataclasses.fields(cls)  # type: ignore[arg-type]
              if hasattr(row, f.name)}
    return cls(**values)


def _values(event: TimelineEvent) -> dict[str, Any]:
    """Its fields as they are: asdict's deep copy was a tenth of an append's CPU."""
    return {field.name: getattr(event, field.name) for field in dataclasses.fields(event)}


def _incident(row: IncidentRow) -> Incident:
    incident = to_domain(Incident, row)
    incident.status = Status(row.status)
    return incident


def _access(row: AccessRequestRow) -> AccessRequest:
    request = to_domain(AccessRequest, row)
    request.state = AccessState(row.state)
    return request


class Tx:
    """What a use case may read and write inside one transaction."""

    def __init__(self, session: Any, now: datetime, *, dialect: str,
                 names: dict[str, str], heads: dict[int, ChainLink],
                 export_debounce: timedelta = timedelta(seconds=30)) -> None:
        self.session = session
        self.now = now
        self.dialect = dialect
        self.export_debounce = export_debounce
        # Each incident read, and whether it was resolved (or closed) when first read: what
        # this transaction records about it then comes after its export, which is owed again.
        self._settled: dict[int, bool] = {}
        self._export_owed: set[int] = set()
        # Known to be stored (shared by the store's transactions, updated after each commit):
        # people's names, and each incident's last timeline event.
        self._stored_names, self._stored_heads = names, heads
        self.names_written: dict[str, str] = {}
        self.heads_written: dict[int, ChainLink] = {}
        self._owed: list[dict] = []
        self.notices = 0
        self._driver: Driver | None = None
        # Incidents this transaction holds the lock of, by channel: until it ends, no one
        # else changes them, so commands stored together read each once.
        self._locked: dict[str, Incident] = {}

    async def _fast(self) -> "Driver | None":
        """On PostgreSQL, psycopg under this transaction: every command's statements go
        through it. SQLite needs none (it runs inline, where SQLAlchemy costs little)."""
        if self.dialect == "sqlite":
            return None
        if self._driver is None:
            from bot.storage.driver import Driver

            connection = await self.session.connection()
            self._driver = Driver((await connection.get_raw_connection()).driver_connection)
        return self._driver

    # incidents -----------------------------------------------------------
    async def add_incident(self, incident: Incident) -> Incident:
        row = IncidentRow(**dataclasses.asdict(incident) | {"id": None, "status": incident.status})
        self.session.add(row)
        await self.session.flush()
        incident.id = row.id  # type: ignore[assignment]
        return incident

    async def incident(self, incident_id: int, *, lock: bool = False,
                       skip_locked: bool = False) -> Incident | None:
        """`skip_locked`: None at once when someone else holds the incident's lock."""
        query = _incident_query("id", lock, skip_locked)
        row = (await self.session.execute(query, {"key": incident_id})).first()
        return self._seen(_incident(row)) if row else None

    async def incident_by_channel(self, channel_id: str, *, lock: bool = False) -> Incident | None:
        if lock and channel_id in self._locked:
            return dataclasses.replace(self._locked[channel_id])
        driver = await self._fast()
        if driver is not None:
            found = await driver.row(_INCIDENTS, "channel_id", channel_id, lock=lock)
            row: Any = SimpleNamespace(**found) if found else None
        else:
            row = (await self.session.execute(_incident_query("channel_id", lock, False),
                                              {"key": channel_id})).first()
        if row is None:
            return None
        incident = self._seen(_incident(row))
        if lock:
            self._locked[channel_id] = dataclasses.replace(incident)
        return incident

    def _seen(self, incident: Incident) -> Incident:
        self._settled.setdefault(incident.id, not incident.status.is_open)
        return incident

    async def save_incident(self, incident: Incident) -> None:
        for channel_id, held in list(self._locked.items()):
            if held.id == incident.id:  # still locked, whichever channel it has now
                del self._locked[channel_id]
                self._locked[incident.channel_id or channel_id] = dataclasses.replace(incident)
        values = dataclasses.asdict(incident) | {"status": str(incident.status)}
        await self.session.execute(
            update(_INCIDENTS).where(_INCIDENTS.c.id == incident.id).values(**values))

    async def incidents(self) -> list[Incident]:
        rows = (await self.session.execute(select(IncidentRow).order_by(col(IncidentRow.id)))).scalars()
        return [_incident(row) for row in rows]

    # timeline --------------------------------------------------------------
    async def append(self, event: TimelineEvent) -> TimelineEvent:
        """Chain and store an event. The caller holds the incident's lock."""
        head = self.heads_written.get(event.incident_id) or self._stored_heads.get(event.incident_id)
        # The head this process last committed is the head, unless another replica has
        # appended since: then (incident, seq) is taken, nothing is written, and we read it.
        # Plain inserts here and below: this is every command's path, and the ORM's unit of
        # work cost more than the statements themselves.
        if head is None or not await self._append_after(chain(event, head)):
            last = (await self.session.execute(
                select(_EVENTS.c.seq, _EVENTS.c.hash).where(_EVENTS.c.incident_id == event.incident_id)
                .order_by(_EVENTS.c.seq.desc()).limit(1))).first()
            chain(event, ChainLink(*last) if last else None)
            await self.session.execute(insert(_EVENTS), _values(event))
        self.heads_written[event.incident_id] = ChainLink(event.seq, event.hash)
        if self._settled.get(event.incident_id) and event.incident_id not in self._export_owed:
            await self._owe_export_again(event.incident_id)
        return event

    async def _owe_export_again(self, incident_id: int) -> None:
        """`export_debounce` after this change, unless a rewrite is pending already: a burst of
        changes is written once. The caller holds the incident's lock, so two never race here."""
        self._export_owed.add(incident_id)
        pending = await self.session.scalar(select(func.count()).where(
            _REMINDERS.c.incident_id == incident_id, _REMINDERS.c.kind == ReminderKind.EXPORT_AGAIN,
            _REMINDERS.c.fired_at.is_(None), _REMINDERS.c.cancelled_at.is_(None)))
        if not pending:
            await self.session.execute(insert(_REMINDERS), {
                "kind": ReminderKind.EXPORT_AGAIN, "incident_id": incident_id,
                "due_at": self.now + self.export_debounce})

    async def _append_after(self, event: TimelineEvent) -> bool:
        values = _values(event)
        driver = await self._fast()
        if driver is not None:
            return await driver.insert_new(_EVENTS, values, conflict=("incident_id", "seq"))
        written = await self.session.execute(_append_after(self.dialect), values)
        return written.first() is not None

    async def version(self, incident_id: int) -> int:
        """The last event's number: it grows with every change to the incident."""
        return await self.session.scalar(
            select(func.max(EventRow.seq)).where(col(EventRow.incident_id) == incident_id)) or 0

    async def events(self, incident_id: int) -> list[TimelineEvent]:
        rows = await self.session.execute(
            select(EventRow).where(col(EventRow.incident_id) == incident_id).order_by(col(EventRow.seq))
        )
        return [to_domain(TimelineEvent, row) for row in rows.scalars()]

    # people ----------------------------------------------------------------
    async def add_participant(self, participant: Participant) -> bool:
        """Record a join; False when the person had joined before."""
        key = (participant.incident_id, participant.user_id)
        if await self.session.get(ParticipantRow, key):
            return False
        self.session.add(ParticipantRow(**dataclasses.asdict(participant)))
        await self.session.flush()
        return True

    async def is_participant(self, incident_id: int, user_id: str) -> bool:
        """Seen joining the incident's channel."""
        return await self.session.get(ParticipantRow, (incident_id, user_id)) is not None

    async def remember_user(self, user_id: str, name: str) -> None:
        """Store a display name. One upsert: two first commands of a person at once both pass."""
        if not name or self._stored_names.get(user_id) == name:
            return
        insert = _insert(self.dialect, UserRow)
        await self.session.execute(insert.values(id=user_id, name=name).on_conflict_do_update(
            index_elements=[_USERS.c.id], set_={"name": insert.excluded.name}))
        self.names_written[user_id] = name

    async def names(self) -> dict[str, str]:
        rows = await self.session.execute(select(UserRow))
        return {row.id: row.name for row in rows.scalars()}

    # action items ------------------------------------------------------------
    async def add_action_item(self, item: ActionItem) -> ActionItem:
        count = await self.session.scalar(
            select(func.count()).where(col(ActionItemRow.incident_id) == item.incident_id)
        )
        item.number = (count or 0) + 1
        self.session.add(ActionItemRow(**dataclasses.asdict(item)))
        await self.session.flush()
        return item

    async def action_items(self, incident_id: int) -> list[ActionItem]:
        rows = await self.session.execute(
            select(ActionItemRow).where(col(ActionItemRow.incident_id) == incident_id)
            .order_by(col(ActionItemRow.number)))
        return [to_domain(ActionItem, r) for r in rows.scalars()]

    async def action_item(self, incident_id: int, number: int) -> ActionItem | None:
        row = await self.session.scalar(
            select(ActionItemRow).where(col(ActionItemRow.incident_id) == incident_id,
                                        col(ActionItemRow.number) == number))
        return to_domain(ActionItem, row) if row is not None else None

    async def open_action_items(self, owner_id: str) -> list[ActionItem]:
        """Everything this person still owes, across incidents: an item stays until done."""
        rows = await self.session.execute(
            select(ActionItemRow).where(col(ActionItemRow.owner_id) == owner_id,
                                        col(ActionItemRow.done_at).is_(None))
            .order_by(col(ActionItemRow.incident_id), col(ActionItemRow.number)))
        return [to_domain(ActionItem, r) for r in rows.scalars()]

    async def save_action_item(self, item: ActionItem) -> None:
        await self.session.execute(
            update(ActionItemRow)
            .where(col(ActionItemRow.incident_id) == item.incident_id,
                   col(ActionItemRow.number) == item.number)
            .values(done_at=item.done_at, done_by=item.done_by, due_on=item.due_on,
                    due_nudged_at=item.due_nudged_at))

    async def record(self, incident_id: int) -> IncidentRecord:
        incident = await self.incident(incident_id)
        assert incident is not None
        participants = await self.session.execute(
            select(ParticipantRow)
            .where(col(ParticipantRow.incident_id) == incident_id)
            .order_by(col(ParticipantRow.joined_at), col(ParticipantRow.user_id))
        )
        return IncidentRecord(
            incident=incident,
            events=await self.events(incident_id),
            participants=[to_domain(Participant, r) for r in participants.scalars()],
            action_items=await self.action_items(incident_id),
            names=await self.names(),
            access_requests=await self.access_requests(incident_id),
            runbooks=await self.attached_runbooks(incident_id),
        )

    # access requests -----------------------------------------------------------
    async def add_access_request(self, request: AccessRequest) -> AccessRequest:
        row = AccessRequestRow(**dataclasses.asdict(request) | {"id": None})
        self.session.add(row)
        await self.session.flush()
        request.id = row.id  # type: ignore[assignment]
        return request

    async def access_request(self, request_id: int, *, lock: bool = False) -> AccessRequest | None:
        query = select(AccessRequestRow).where(col(AccessRequestRow.id) == request_id)
        row = (await self.session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
        return _access(row) if row else None

    async def save_access_request(self, request: AccessRequest) -> None:
        row = await self.session.get(AccessRequestRow, request.id)
        assert row is not None
        for key, value in dataclasses.asdict(request).items():
            setattr(row, key, value)

    async def access_requests(self, incident_id: int | None = None) -> list[AccessRequest]:
        query = select(AccessRequestRow).order_by(col(AccessRequestRow.id))
        if incident_id is not None:
            query = query.where(col(AccessRequestRow.incident_id) == incident_id)
        return [_access(row) for row in (await self.session.execute(query)).scalars()]

    async def set_access_copy(self, copy: AccessCopy) -> None:
        """Remember where a DM copy was posted; posted again (a retry), the last one counts."""
        insert = _insert(self.dialect, AccessCopyRow)
        await self.session.execute(insert.values(**dataclasses.asdict(copy)).on_conflict_do_update(
            index_elements=[AccessCopyRow.request_id, AccessCopyRow.user_id],
            set_={"channel_id": insert.excluded.channel_id, "ts": insert.excluded.ts}))

    async def access_copies(self, request_id: int) -> list[AccessCopy]:
        rows = await self.session.execute(
            select(AccessCopyRow).where(col(AccessCopyRow.request_id) == request_id)
            .order_by(col(AccessCopyRow.user_id)))
        return [to_domain(AccessCopy, row) for row in rows.scalars()]

    # runbooks --------------------------------------------------------------------
    async def attach_runbook(self, attached: AttachedRunbook) -> AttachedRunbook | None:
        """Keep the incident's copy; None when this runbook is attached already."""
        existing = await self.session.execute(select(AttachedRunbookRow).where(
            col(AttachedRunbookRow.incident_id) == attached.incident_id,
            col(AttachedRunbookRow.runbook_id) == attached.runbook_id))
        if existing.scalar_one_or_none() is not None:
            return None
        row = AttachedRunbookRow(**dataclasses.asdict(attached) | {"id": None})
        self.session.add(row)
        await self.session.flush()
        attached.id = row.id  # type: ignore[assignment]
        return attached

    async def attached_runbooks(self, incident_id: int) -> list[AttachedRunbook]:
        rows = await self.session.execute(
            select(AttachedRunbookRow).where(col(AttachedRunbookRow.incident_id) == incident_id)
            .order_by(col(AttachedRunbookRow.id)))
        return [to_domain(AttachedRunbook, row) for row in rows.scalars()]

    async def set_runbook_messages(self, attached_id: int, message_ts: list[str]) -> None:
        row = await self.session.get(AttachedRunbookRow, attached_id)
        assert row is not None
        row.message_ts = list(message_ts)

    # Statuspage --------------------------------------------------------------------
    async def statuspage_id(self, incident_id: int) -> str | None:
        """The id of the incident's public incident on Statuspage, once learnt."""
        row = await self.session.get(StatuspageIncidentRow, incident_id)
        return row.public_id if row else None

    async def set_statuspage_id(self, incident_id: int, public_id: str) -> None:
        row = await self.session.get(StatuspageIncidentRow, incident_id)
        if row is None:
            self.session.add(StatuspageIncidentRow(incident_id=incident_id, public_id=public_id))
        else:
            row.public_id = public_id

    # captured messages ---------------------------------------------------------------
    async def captured_message(self, channel_id: str, ts: str) -> Capture | None:
        """The message's capture, recorded or owed. The caller holds the incident's lock."""
        row = await self.session.get(CapturedMessageRow, (channel_id, ts))
        return to_domain(Capture, row) if row else None

    async def save_captured_message(self, capture: Capture) -> None:
        row = await self.session.get(CapturedMessageRow, (capture.channel_id, capture.ts))
        if row is None:
            self.session.add(CapturedMessageRow(**dataclasses.asdict(capture)))
        else:
            for key, value in dataclasses.asdict(capture).items():
                setattr(row, key, value)
        await self.session.flush()

    async def drop_captured_message(self, channel_id: str, ts: str) -> None:
        await self.session.execute(delete(CapturedMessageRow).where(
            col(CapturedMessageRow.channel_id) == channel_id, col(CapturedMessageRow.ts) == ts))

    # alerts ------------------------------------------------------------------------
    async def alert_group(self, key_sha256: str, group_key: str) -> tuple[int, int | None]:
        """The group's id and the incident it opened last, the group's row locked: two
        deliveries of one group are taken one after the other."""
        await self.session.execute(
            _insert(self.dialect, table_of(AlertGroupRow)).on_conflict_do_nothing(),
            {"key_sha256": key_sha256, "group_key": group_key, "first_seen_at": self.now})
        row = (await self.session.execute(
            select(col(AlertGroupRow.id), col(AlertGroupRow.incident_id))
            .where(col(AlertGroupRow.key_sha256) == key_sha256).with_for_update())).one()
        return row[0], row[1]

    async def set_alert_group_incident(self, group_id: int, incident_id: int) -> None:
        await self.session.execute(update(AlertGroupRow).where(col(AlertGroupRow.id) == group_id)
                                   .values(incident_id=incident_id))

    async def record_alert_delivery(self, body_sha256: str, group_id: int) -> None:
        """Raises DuplicateDelivery when this very body was recorded before."""
        await self._insert_once(table_of(AlertDeliveryRow), {
            "body_sha256": body_sha256, "group_id": group_id, "received_at": self.now})

    async def alerts_seen(self, incident_id: int) -> dict[str, tuple[str, datetime]]:
        """fingerprint: (firing or resolved, startsAt) of the alerts the incident heard of."""
        rows = await self.session.execute(
            select(AlertSeenRow).where(col(AlertSeenRow.incident_id) == incident_id))
        return {r.fingerprint: (r.status, r.starts_at) for r in rows.scalars()}

    async def see_alert(self, incident_id: int, fingerprint: str, status: str,
                        starts_at: datetime) -> None:
        row = await self.session.get(AlertSeenRow, (incident_id, fingerprint))
        if row is None:
            self.session.add(AlertSeenRow(incident_id=incident_id, fingerprint=fingerprint,
                                          status=status, starts_at=starts_at))
        else:
            row.status, row.starts_at = status, starts_at
        await self.session.flush()

    async def alert_events(self) -> list[TimelineEvent]:
        """Every `alert_firing` event, of every incident (for figures across incidents)."""
        rows = await self.session.execute(
            select(EventRow).where(col(EventRow.action) == "alert_firing").order_by(col(EventRow.id)))
        return [to_domain(TimelineEvent, row) for row in rows.scalars()]

    # reminders -------------------------------------------------------------------
    def schedule(self, kind: ReminderKind, incident_id: int, due_at: datetime,
                 access_request_id: int | None = None) -> None:
        self.session.add(ReminderRow(kind=kind, incident_id=incident_id, due_at=due_at,
                                     access_request_id=access_request_id))

    async def cancel_reminders(self, incident_id: int, kinds: set[ReminderKind],
                               access_request_id: int | None = None) -> None:
        where = [col(ReminderRow.incident_id) == incident_id, col(ReminderRow.kind).in_(kinds),
                 col(ReminderRow.fired_at).is_(None), col(ReminderRow.cancelled_at).is_(None)]
        if access_request_id is not None:
            where.append(col(ReminderRow.access_request_id) == access_request_id)
        await self.session.execute(update(ReminderRow).where(*where).values(cancelled_at=self.now))

    async def fired_kinds(self, incident_id: int, kinds: set[ReminderKind]) -> set[ReminderKind]:
        """Which of these kinds of reminder have fired for the incident."""
        rows = await self.session.execute(
            select(col(ReminderRow.kind)).distinct()
            .where(col(ReminderRow.incident_id) == incident_id, col(ReminderRow.kind).in_(kinds),
                   col(ReminderRow.fired_at).is_not(None)))
        return {ReminderKind(kind) for kind in rows.scalars()}

    async def due_reminders(self, limit: int = 100) -> list[Reminder]:
        rows = await self.session.execute(
            select(ReminderRow)
            .where(col(ReminderRow.fired_at).is_(None), col(ReminderRow.cancelled_at).is_(None),
                   col(ReminderRow.due_at) <= self.now)
            .order_by(col(ReminderRow.due_at), col(ReminderRow.id))
            .limit(limit)
        )
        return [Reminder(r.id, ReminderKind(r.kind), r.incident_id, r.due_at,  # type: ignore[arg-type]
                         r.access_request_id) for r in rows.scalars()]

    async def claim_reminder(self, reminder_id: int) -> bool:
        """Mark fired if nobody has: of two replicas, exactly one gets True."""
        claimed = await self.session.execute(
            update(ReminderRow)
            .where(col(ReminderRow.id) == reminder_id, col(ReminderRow.fired_at).is_(None),
                   col(ReminderRow.cancelled_at).is_(None))
            .values(fired_at=self.now)
        )
        return claimed.rowcount == 1

    # deliveries --------------------------------------------------------------
    async def record_command(
        self, *, trigger_id: str, incident_id: int | None, user_id: str, channel_id: str,
        command: str, text: str,
    ) -> None:
        """Keep the command; a second delivery of the same trigger raises DuplicateDelivery."""
        await self._insert_once(_COMMANDS, {
            "trigger_id": trigger_id, "incident_id": incident_id, "user_id": user_id,
            "channel_id": channel_id, "command": command, "text": text, "at": self.now})

    async def first_delivery_of_event(self, event_id: str) -> bool:
        try:
            await self._insert_once(table_of(SlackEventRow),
                                    {"event_id": event_id, "received_at": self.now})
        except DuplicateDelivery:
            return False
        return True

    async def _insert_once(self, table: Any, values: dict[str, Any]) -> None:
        """One statement, no savepoint: a row whose key is there already is a repeat."""
        driver = await self._fast()
        if driver is not None:
            inserted = await driver.insert_new(table, values)
        else:
            inserted = (await self.session.execute(_insert_new(self.dialect, table), values)
                        ).first() is not None
        if not inserted:
            raise DuplicateDelivery

    # outbox --------------------------------------------------------------------
    def notify(self, *notices: Notice) -> None:
        """Owe these calls; they are written, in order, with the rest of the transaction."""
        self._owed += [dict(lane=notice.lane, kind=notice.kind, payload=notice.payload,
                            created_at=self.now, due_at=self.now + notice.settle)
                       for notice in notices]
        self.notices += len(notices)

    async def write_owed(self) -> None:
        if self._owed:  # ids follow the order they were owed in: a lane's order
            driver = await self._fast()
            if driver is not None:
                await driver.insert(_OUTBOX, self._owed)
            else:
                await self.session.execute(insert(_OUTBOX), self._owed)
        self._owed = []


# A unit of work waiting for its queue's turn, and where its caller waits for the outcome.
_Waiting = tuple[Callable[[Tx], Awaitable[Any]], asyncio.Future]


def _answer(turn: asyncio.Future, result: Any = None, *, error: Exception | None = None) -> None:
    """Give a waiting caller its outcome, unless it has given up (its future cancelled)."""
    if turn.done():
        return
    if error is not None:
        turn.set_exception(error)
    else:
        turn.set_result(result)


class Store:
    def __init__(self, database: Database, *, clock: Callable[[], datetime],
                 export_debounce: timedelta = timedelta(seconds=30)) -> None:
        self.database = database
        self.clock = clock
        self.export_debounce = export_debounce
        # Set after a commit that left notices, so the outbox wakes at once.
        self.outbox_signal = asyncio.Event()
        self._stored_names: dict[str, str] = {}
        self._stored_heads: dict[int, ChainLink] = {}
        self._queues: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._waiting: dict[str, list[_Waiting]] = {}

    @classmethod
    def from_url(cls, url: str, *, clock: Callable[[], datetime],
                 export_debounce: timedelta = timedelta(seconds=30)) -> "Store":
        return cls(open_database(url), clock=clock, export_debounce=export_debounce)

    @property
    def dialect(self) -> str:
        return self.database.dialect

    def writing(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        return self.database.session(write=True)

    @asynccontextmanager
    async def transaction(self, *, queue: str | None = None) -> AsyncIterator[Tx]:
        """`queue`: transactions that would wait for the same row lock (one incident's) wait
        in this process instead, so a busy incident holds one database connection, not all."""
        turn = self._queue(None if queue is None else self._queue_name(queue))
        async with turn, self.writing() as session:
            tx = self._tx(session)
            yield tx
            await tx.write_owed()
        self._stored_names.update(tx.names_written)  # committed: what the next one may trust
        self._stored_heads.update(tx.heads_written)
        if tx.notices:
            self.outbox_signal.set()

    async def together(self, queue: str, work: Callable[[Tx], Awaitable[T]]) -> T:
        """`work` in a write transaction queued on `queue`, as `transaction` would run it; but
        whatever queued up while another held the turn runs in one transaction when the turn
        comes (one lock taken, one commit for a burst). `work` must touch nothing but `tx`:
        if any of its batch fails, each runs again alone, so only that one fails."""
        queue = self._queue_name(queue)
        entry = (work, asyncio.get_running_loop().create_future())
        self._waiting.setdefault(queue, []).append(entry)
        try:
            async with self._queue(queue):
                if entry in self._waiting.get(queue, ()):  # not taken along by another
                    # Shielded: a leader cancelled midway still serves those it took along.
                    await asyncio.shield(self._run_together(self._waiting.pop(queue)))
        except asyncio.CancelledError:
            if entry in self._waiting.get(queue, ()):
                self._waiting[queue].remove(entry)
            raise
        return await entry[1]

    async def _run_together(self, batch: list[_Waiting]) -> None:
        if len(batch) > 1:
            results = []
            try:
                async with self.transaction() as tx:
                    for work, _ in batch:
                        tx.now = self.clock()
                        results.append(await work(tx))
            except Exception:  # each runs alone below, and a failure is only its own
                pass
            else:
                for (_, turn), result in zip(batch, results, strict=True):
                    _answer(turn, result)
                return
        for work, turn in batch:
            try:
                async with self.transaction() as tx:
                    result = await work(tx)
            except Exception as error:
                _answer(turn, error=error)
            else:
                _answer(turn, result)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Tx]:
        """A transaction that only reads: on SQLite it waits for no writer."""
        async with self.database.session(write=False) as session:
            yield self._tx(session)

    def _tx(self, session: Any) -> Tx:
        return Tx(session, self.clock(), dialect=self.dialect, names=self._stored_names,
                  heads=self._stored_heads, export_debounce=self.export_debounce)

    def _queue_name(self, queue: str) -> str:
        """SQLite has one writer, whichever the incident: its writers share one queue, and
        whatever waits on it is stored together."""
        return "" if self.dialect == "sqlite" else queue

    def _queue(self, key: str | None) -> contextlib.AbstractAsyncContextManager:
        if key is None:
            return contextlib.nullcontext()
        lock = self._queues.get(key)
        if lock is None:
            lock = self._queues[key] = asyncio.Lock()
        return lock

    async def close(self) -> None:
        await self.database.close()
