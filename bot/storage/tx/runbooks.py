"""Runbooks attached to an incident: the incident's own copy, and its messages in Slack."""

import dataclasses

from sqlalchemy import select
from sqlmodel import col

from bot.domain.runbook_progress import AttachedRunbook
from bot.storage.tables import AttachedRunbookRow
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
