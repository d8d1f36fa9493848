"""Claiming owed Slack calls: the oldest of each lane, leased so one replica sends it."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from bot.storage.store import Store
from bot.storage.tables import OutboxRow


@dataclass
class OutboxItem:
    id: int
    lane: str
    kind: str
    payload: dict
    created_at: datetime
    attempts: int
    # An earlier attempt may have reached Slack: look before sending again.
    check_first: bool


class Outbox:
    def __init__(self, store: Store, *, lease: timedelta) -> None:
        self.store = store
        self.lease = lease

    def _pending(self):  # noqa: ANN202
        return and_(OutboxRow.delivered_at.is_(None), OutboxRow.failed_at.is_(None))

    async def claim(self, limit: int = 20) -> list[OutboxItem]:
        now = self.store.clock()
        heads = (
            select(func.min(OutboxRow.id)).where(self._pending()).group_by(OutboxRow.lane)
        ).scalar_subquery()
        free = or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until < now)
        async with self.store.reading() as tx:
            rows = (
                await tx.session.execute(
                    select(OutboxRow)
                    .where(OutboxRow.id.in_(heads), OutboxRow.due_at <= now, free)
                    .order_by(OutboxRow.id)
                    .limit(limit)
                )
            ).scalars().all()
        claimed = []
        for row in rows:
            # Compare-and-set: of two replicas that saw the same head, one wins.
            async with self.store.writing() as session:
                won = await session.execute(
                    update(OutboxRow)
                    # Re-check due_at too: another claimer may have deferred it meanwhile.
                    .where(OutboxRow.id == row.id, self._pending(), free, OutboxRow.due_at <= now)
                    .values(lease_until=now + self.lease, attempts=OutboxRow.attempts + 1,
                            uncertain=True)
                )
            if won.rowcount == 1:
                claimed.append(OutboxItem(row.id, row.lane, row.kind, row.payload,  # type: ignore[arg-type]
                                          row.created_at, row.attempts + 1, row.uncertain))
        return claimed

    async def renew(self, item: OutboxItem) -> None:
        """Keep a claim alive while its delivery runs; a dead process stops renewing."""
        await self._set(item, lease_until=self.store.clock() + self.lease)

    async def delivered(self, item: OutboxItem) -> None:
        await self._set(item, delivered_at=self.store.clock(), lease_until=None, uncertain=False)

    async def retry(self, item: OutboxItem, *, after: timedelta, error: str,
                    uncertain: bool) -> None:
        await self._set(item, due_at=self.store.clock() + after, lease_until=None,
                        last_error=error[:2000], uncertain=uncertain)

    async def give_up(self, item: OutboxItem, error: str) -> None:
        await self._set(item, failed_at=self.store.clock(), lease_until=None,
                        last_error=error[:2000], uncertain=False)

    async def _set(self, item: OutboxItem, **values: object) -> None:
        async with self.store.writing() as session:
            await session.execute(update(OutboxRow).where(OutboxRow.id == item.id).values(**values))

    async def counts(self) -> dict[str, int]:
        async with self.store.reading() as tx:
            session = tx.session
            pending = await session.scalar(select(func.count()).where(self._pending()))
            failed = await session.scalar(
                select(func.count()).where(OutboxRow.failed_at.is_not(None)))
        return {"pending": pending or 0, "failed": failed or 0}
