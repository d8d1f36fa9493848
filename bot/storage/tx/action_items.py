"""Action items: numbered within their incident, owned by someone, done or still owed."""

import dataclasses

from sqlalchemy import func, select, update
from sqlmodel import col

from bot.domain.incident import ActionItem
from bot.storage.tables import ActionItemRow
from bot.storage.tx.base import TxBase, to_domain


class ActionItems(TxBase):
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
                    due_nudged_at=item.due_nudged_at, ticket_key=item.ticket_key,
                    ticket_url=item.ticket_url))

    async def action_item_by_ticket(self, key: str) -> ActionItem | None:
        """The item that became ticket `key` in the tracker, if any: a tracker's webhook
        tells of every ticket, ours or not."""
        row = await self.session.scalar(
            select(ActionItemRow).where(col(ActionItemRow.ticket_key) == key)
            .order_by(col(ActionItemRow.id)).limit(1))
        return to_domain(ActionItem, row) if row is not None else None
