"""Reads across every incident for the figures on /metrics, taken at each scrape: only the
columns and event fields those figures need, so a scrape stays cheap as the record grows."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlmodel import col

from bot.domain.access import AccessState
from bot.domain.runbook_progress import ABORTED, STEP_ACTIONS, AttachedRunbook
from bot.domain.timeline import TimelineEvent
from bot.storage.tables import AccessRequestRow, AttachedRunbookRow, EventRow
from bot.storage.tx.base import TxBase, to_domain

# The events the figures read, and the one field of their data each is read for.
_READ_OF = {"declared": "source", "severity_changed": "from", "alert_firing": "startsAt",
            ABORTED: "runbook", **{action: None for action in STEP_ACTIONS}}
_FIELDS = sorted({name for name in _READ_OF.values() if name})
# Access that was granted at some point, whatever became of it since.
_GRANTED = (AccessState.APPROVED, AccessState.EXPIRED, AccessState.REVOKED)


@dataclass(frozen=True)
class AccessTally:
    step_requested: int  # access requests tied to a runbook step
    step_approved: int  # of those, the ones granted
    live: int  # grants in force now: approved, not expired, not revoked


@dataclass(frozen=True)
class AttachedRun:
    """An attached runbook without its copy: which copy it is, and since when it runs."""

    incident_id: int
    runbook_id: str
    sha256: str
    attached_at: datetime


class Tallies(TxBase):
    async def tallied_events(self) -> list[TimelineEvent]:
        """Declares, severity changes, firing alerts, aborts and step marks of every
        incident, in order; each one's data holds only the field the figures read of it."""
        data = col(EventRow.data)
        fields = [data[name].as_string().label(name) for name in _FIELDS]
        rows = await self.session.execute(
            select(col(EventRow.incident_id), col(EventRow.seq), col(EventRow.at),
                   col(EventRow.actor_id), col(EventRow.action), col(EventRow.step), *fields)
            .where(col(EventRow.action).in_(list(_READ_OF)))
            .order_by(col(EventRow.incident_id), col(EventRow.seq)))
        events = []
        for row in rows:
            wanted = _READ_OF[row.action]
            value = getattr(row, wanted) if wanted else None
            events.append(TimelineEvent(
                incident_id=row.incident_id, seq=row.seq, at=row.at, actor_id=row.actor_id,
                action=row.action, step=row.step,
                data={wanted: value} if wanted and value is not None else {}))
        return events

    async def attached_runs(self) -> list[AttachedRun]:
        rows = await self.session.execute(
            select(col(AttachedRunbookRow.incident_id), col(AttachedRunbookRow.runbook_id),
                   col(AttachedRunbookRow.sha256), col(AttachedRunbookRow.attached_at))
            .order_by(col(AttachedRunbookRow.id)))
        return [AttachedRun(*row) for row in rows]

    async def runbook_copies(self, sha256s: set[str]) -> list[AttachedRunbook]:
        """One attached copy of each of these contents."""
        if not sha256s:
            return []
        first = (select(func.min(col(AttachedRunbookRow.id)))
                 .where(col(AttachedRunbookRow.sha256).in_(sha256s))
                 .group_by(col(AttachedRunbookRow.sha256)))
        rows = await self.session.execute(
            select(AttachedRunbookRow).where(col(AttachedRunbookRow.id).in_(first)))
        return [to_domain(AttachedRunbook, row) for row in rows.scalars()]

    async def access_tally(self) -> AccessTally:
        step = col(AccessRequestRow.step).is_not(None)
        granted = col(AccessRequestRow.state).in_([str(s) for s in _GRANTED])
        live = (col(AccessRequestRow.state) == str(AccessState.APPROVED)) & \
            (col(AccessRequestRow.expires_at) > self.now)
        row = (await self.session.execute(select(
            func.count(case((step, 1))), func.count(case((step & granted, 1))),
            func.count(case((live, 1)))))).one()
        return AccessTally(*row)
