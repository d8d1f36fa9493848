"""Owed outbound calls: claimed a lane head at a time, leased so one replica sends them.

A lane's rows go out in id order. When the head is of a kind that coalesces, the
rows of the same kind right behind it are leased with it and go out in the same
call. A lane whose last post started less than `pace` ago waits, so a channel gets
about one message a second however busy the incident is.
"""

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from bot.storage.store import Store
from bot.storage.tables import OutboxRow, table_of

MAX_BATCH = 500
MAX_LANES = 200
# Core statements on the table, not the ORM class: the ORM's bulk-update bookkeeping and
# object loading cost more than the outbox's statements themselves.
_T = table_of(OutboxRow)


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


@dataclass
class Batch:
    """Rows of one lane and one kind, leased together, head first."""

    items: list[OutboxItem]

    @property
    def head(self) -> OutboxItem:
        return self.items[0]

    @property
    def lane(self) -> str:
        return self.head.lane

    @property
    def kind(self) -> str:
        return self.head.kind

    @property
    def check_first(self) -> bool:
        return any(item.check_first for item in self.items)

    @property
    def ids(self) -> list[int]:
        return [item.id for item in self.items]


@dataclass
class Claimed:
    batches: list[Batch]
    # When a lane that is waiting now (paced, deferred, leased) may be ready.
    next_ready: datetime | None


def _pending() -> ColumnElement[bool]:
    return and_(_T.c.delivered_at.is_(None), _T.c.failed_at.is_(None))


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(_T.c.lease_until.is_(None), _T.c.lease_until < now)


class Outbox:
    def __init__(self, store: Store, *, lease: timedelta, pace: timedelta = timedelta(seconds=1),
                 coalescing: Collection[str] = (), paced: Collection[str] = ()) -> None:
        self.store = store
        self.lease = lease
        self.pace = pace
        self.coalescing = set(coalescing)
        self.paced = set(paced)

    async def claim(self) -> Claimed:
        now = self.store.clock()
        heads_of_lanes = (select(func.min(_T.c.id)).where(_pending())
                          .group_by(_T.c.lane)).scalar_subquery()
        async with self.store.reading() as tx:
            due = (await tx.session.execute(
                select(_T).where(_T.c.id.in_(heads_of_lanes), _T.c.due_at <= now, _free(now))
                .order_by(_T.c.id).limit(MAX_LANES))).all()
            later = await tx.session.scalar(
                select(func.min(_T.c.due_at)).where(_T.c.id.in_(heads_of_lanes), _T.c.due_at > now))
            paced_until = await self._paced_until(
                tx.session, [head.lane for head in due if head.kind in self.paced])
        waits = [later] if later else []
        batches = []
        for head in due:
            ready_at = paced_until.get(head.lane, now) if head.kind in self.paced else now
            if ready_at > now:
                waits.append(ready_at)
            elif batch := await self._lease(head, now):
                batches.append(batch)
        return Claimed(batches, min(waits, default=None))

    async def _paced_until(self, session, lanes: Sequence[str]) -> dict[str, datetime]:  # noqa: ANN001
        if not lanes:
            return {}
        rows = await session.execute(
            select(_T.c.lane, func.max(_T.c.sent_at))
            .where(_T.c.lane.in_(set(lanes)), _T.c.kind.in_(self.paced))
            .group_by(_T.c.lane))
        return {lane: sent + self.pace for lane, sent in rows if sent is not None}

    async def _lease(self, head: Any, now: datetime) -> Batch | None:
        """Compare-and-set on the head: of two replicas that saw it, one wins, and with it the lane."""
        leased = dict(lease_until=now + self.lease, attempts=_T.c.attempts + 1,
                      uncertain=True, sent_at=now, held=False)
        async with self.store.writing() as session:
            won = await session.execute(
                update(_T)
                # Re-check due_at too: another claimer may have deferred it meanwhile.
                .where(_T.c.id == head.id, _pending(), _free(now), _T.c.due_at <= now)
                .values(**leased))
            if won.rowcount != 1:
                return None
            rows = [head]
            if head.kind in self.coalescing:
                rows += await self._followers(session, head)
            # As they were before this lease: an earlier attempt's doubt is what counts.
            items = [OutboxItem(row.id, row.lane, row.kind, row.payload,  # type: ignore[arg-type]
                                row.created_at, row.attempts + 1, row.uncertain) for row in rows]
            if len(rows) > 1:
                await session.execute(update(_T).where(
                    _T.c.id.in_([r.id for r in rows[1:]])).values(**leased))
        return Batch(items)

    async def _followers(self, session, head: Any) -> list[Any]:  # noqa: ANN001
        """The rows of the head's kind right behind it in its lane, up to another kind: one
        call delivers them all, a refresh showing the state of then included."""
        behind = (await session.execute(
            select(_T).where(_T.c.lane == head.lane, _T.c.id > head.id, _pending())
            .order_by(_T.c.id).limit(MAX_BATCH))).all()
        run = []
        for row in behind:
            if row.kind != head.kind:
                break
            run.append(row)
        return run

    async def renew(self, batch: Batch) -> None:
        """Keep a claim alive while its delivery runs; a dead process stops renewing."""
        await self._set(batch.ids, lease_until=self.store.clock() + self.lease)

    async def delivered(self, ids: Sequence[int]) -> None:
        await self._set(ids, delivered_at=self.store.clock(), lease_until=None, uncertain=False)

    async def put_back(self, items: Sequence[OutboxItem]) -> None:
        """Rows leased with a batch that did not fit its call: untried, due again at once."""
        await self._set([i.id for i in items], lease_until=None, uncertain=False,
                        attempts=_T.c.attempts - 1)

    async def retry(self, ids: Sequence[int], *, after: timedelta, error: str, uncertain: bool,
                    held: bool = False) -> None:
        await self._set(ids, due_at=self.store.clock() + after, lease_until=None,
                        last_error=error[:2000], uncertain=uncertain, held=held)

    async def give_up(self, ids: Sequence[int], error: str) -> None:
        await self._set(ids, failed_at=self.store.clock(), lease_until=None,
                        last_error=error[:2000], uncertain=False)

    async def release_held(self, *, landing: timedelta | None) -> int:
        """Slack answers again: what waited for it is due now. With `landing`, so is a call
        that got no answer, once `landing` has passed since it was sent."""
        now = self.store.clock()
        async with self.store.writing() as session:
            released = (await session.execute(
                update(_T).where(_T.c.held, _pending())
                .values(due_at=now, held=False))).rowcount
            if landing is None:
                return released
            unanswered = await session.execute(
                select(_T.c.id, _T.c.sent_at, _T.c.due_at).where(
                    _pending(), _T.c.uncertain, _T.c.due_at > now, _free(now)))
            for row_id, sent_at, due_at in unanswered.all():
                ready = max(now, (sent_at or now) + landing)
                if ready < due_at:
                    released += 1
                    await session.execute(update(_T).where(_T.c.id == row_id)
                                          .values(due_at=ready))
        return released

    async def _set(self, ids: Sequence[int], **values: object) -> None:
        if not ids:
            return
        async with self.store.writing() as session:
            await session.execute(update(_T).where(_T.c.id.in_(ids)).values(**values))

    async def counts(self) -> dict[str, int]:
        async with self.store.reading() as tx:
            session = tx.session
            pending = await session.scalar(select(func.count()).where(_pending()))
            failed = await session.scalar(
                select(func.count()).where(_T.c.failed_at.is_not(None)))
        return {"pending": pending or 0, "failed": failed or 0}
