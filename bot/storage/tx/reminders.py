"""Reminders: rows due once, claimed by exactly one replica when due, or cancelled."""

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlmodel import col

from bot.domain.reminders import Reminder, ReminderKind
from bot.storage.tables import ReminderRow, table_of
from bot.storage.tx.base import TxBase

_REMINDERS = table_of(ReminderRow)


class Reminders(TxBase):
    def schedule(self, kind: ReminderKind, incident_id: int, due_at: datetime,
                 access_request_id: int | None = None) -> None:
        self.session.add(ReminderRow(kind=kind, incident_id=incident_id, due_at=due_at,
                                     access_request_id=access_request_id))

    async def schedule_unless_pending(self, kind: ReminderKind, incident_id: int,
                                      due_at: datetime) -> None:
        """One reminder of this kind for the incident at a time: due at `due_at` unless one
        is pending already. The caller holds the incident's lock, so two never race here."""
        if (kind, incident_id) in self._pending:
            return
        self._pending.add((kind, incident_id))
        pending = await self.session.scalar(select(func.count()).where(
            _REMINDERS.c.incident_id == incident_id, _REMINDERS.c.kind == kind,
            _REMINDERS.c.fired_at.is_(None), _REMINDERS.c.cancelled_at.is_(None)))
        if not pending:
            await self.session.execute(insert(_REMINDERS), {
                "kind": kind, "incident_id": incident_id, "due_at": due_at})

    async def cancel_reminders(self, incident_id: int, kinds: set[ReminderKind],
                               access_request_id: int | None = None) -> None:
        where = [col(ReminderRow.incident_id) == incident_id, col(ReminderRow.kind).in_(kinds),
                 col(ReminderRow.fired_at).is_(None), col(ReminderRow.cancelled_at).is_(None)]
        if access_request_id is not None:
            where.append(col(ReminderRow.access_request_id) == access_request_id)
        await self.session.execute(update(ReminderRow).where(*where).values(cancelled_at=self.now))
        self._pending -= {(kind, incident_id) for kind in kinds}

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
        # A stored row's id is set (the table's type allows None before the insert).
        return [Reminder(r.id, ReminderKind(r.kind), r.incident_id, r.due_at,  # type: ignore[arg-type]  # id set once stored
                         r.access_request_id) for r in rows.scalars()]

    async def claim_reminder(self, reminder_id: int) -> bool:
        """Mark fired if nobody has: of two replicas, exactly one gets True."""
        claimed = await self.session.execute(
            update(ReminderRow)
            .where(col(ReminderRow.id) == reminder_id, col(ReminderRow.fired_at).is_(None),
                   col(ReminderRow.cancelled_at).is_(None))
            .values(fired_at=self.now)
        )
        self._pending.clear()  # which one fired is not known here: ask again
        return claimed.rowcount == 1
