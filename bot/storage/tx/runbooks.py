"""Runbooks attached to an incident: the incident's own copy, and its messages in Slack."""

import dataclasses

from sqlalchemy import select
from sqlmodel import col

from bot.domain.runbook_progress import COMPLETED, REOPENED, AttachedRunbook
from bot.domain.timeline import TimelineEvent
from bot.storage.tables import AttachedRunbookRow, EventRow
from bot.storage.tx.base import TxBase, to_domain


class Runbooks(TxBase):
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
        attached.id = row.id  # type: ignore[assignment]  # set by the flush
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

    async def completion_events(self) -> list[TimelineEvent]:
        """Every incident's runbook_completed and runbook_reopened, in order, each with the
        runbook it is about: what /metrics counts a run complete by."""
        rows = await self.session.execute(
            select(col(EventRow.incident_id), col(EventRow.seq), col(EventRow.at),
                   col(EventRow.actor_id), col(EventRow.action),
                   col(EventRow.data)["runbook"].as_string().label("runbook"))
            .where(col(EventRow.action).in_([COMPLETED, REOPENED]))
            .order_by(col(EventRow.incident_id), col(EventRow.seq)))
        return [TimelineEvent(incident_id=row.incident_id, seq=row.seq, at=row.at,
                              actor_id=row.actor_id, action=row.action,
                              data={"runbook": row.runbook}) for row in rows]
