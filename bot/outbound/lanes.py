"""Owed calls in the outbox table: claimed a lane head at a time, leased so one replica sends them.

A lane's rows go out in id order. When the head is of a kind that coalesces, the rows of
its delivery right behind it are leased with it and go out in the same call. A lane whose
last paced post started less than `pace` ago waits, so a channel gets about one message a
second however busy the incident is.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update

from bot.storage.store import Store
from bot.storage.tables import OutboxRow, table_of

MAX_BATCH = 500
# About Slack's pace for posts into one channel.
PACE = timedelta(seconds=1)
# A process killed mid-call has its rows taken over this long after its last renewal (renewed
# every third of it): after a kill -9 the channels catch up within seconds.
LEASE = timedelta(seconds=10)
PARKED = "parked: "
MAX_LANES = 200
# Core statements on the table, not the ORM class: the ORM's bulk-update bookkeeping and
# object loading cost more than the outbox's statements themselves.
_T = table_of(OutboxRow)


@dataclass(frozen=True)
class Row:
    """An outbox row as leased: its notice still JSON."""

    id: int
    lane: str
    kind: str
    payload: dict
    created_at: datetime
    attempts: int
    # Attempts that failed for a reason of ours, not the outside system's.
    faults: int
    # An earlier attempt may have reached the other side: look before sending again.
    check_first: bool
    # When the earlier attempt started (None before the first), and this one.
    sent_at: datetime | None
    leased_at: datetime
    # The earlier attempt got no answer: it may still land.
    unanswered: bool


@dataclass
class Claimed:
    batches: list[list[Row]]
    # When a lane that is waiting now (paced, deferred, leased) may be ready.
    next_ready: datetime | None


@dataclass(frozen=True)
class GivenUp:
    id: int
    lane: str
    kind: str
    attempts: int
    failed_at: datetime
    error: str

    @property
    def parked(self) -> bool:
        """Parked after faults of ours, not refused by the other side."""
        return self.error.startswith(PARKED)


def _pending() -> ColumnElement[bool]:
    return and_(_T.c.delivered_at.is_(None), _T.c.failed_at.is_(None))


def _free(now: datetime) -> ColumnElement[bool]:
    return or_(_T.c.lease_until.is_(None), _T.c.lease_until < now)


class Outbox:
    """`together`: kind → the name of its delivery, for the kinds whose rows go out in one call."""

    def __init__(self, store: Store, *, lease: timedelta = LEASE, pace: timedelta = PACE,
                 together: Mapping[str, str] | None = None, paced: Collection[str] = ()) -> None:
        self.store = store
        self.lease = lease
        self.pace = pace
        self.together = dict(together or {})
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

    async def _paced_until(self, session: Any, lanes: Sequence[str]) -> dict[str, datetime]:
        if not lanes:
            return {}
        rows = await session.execute(
            select(_T.c.lane, func.max(_T.c.sent_at))
            .where(_T.c.lane.in_(set(lanes)), _T.c.kind.in_(self.paced))
            .group_by(_T.c.lane))
        return {lane: sent + self.pace for lane, sent in rows if sent is not None}

    async def _lease(self, head: Any, now: datetime) -> list[Row] | None:
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
            # After a fault of ours the head goes alone, so a bad row is told from the rest.
            if head.kind in self.together and not head.faults:
                rows += await self._followers(session, head)
            if len(rows) > 1:
                await session.execute(update(_T).where(
                    _T.c.id.in_([r.id for r in rows[1:]])).values(**leased))
        # As they were before this lease: an earlier attempt's doubt is what counts.
        return [Row(row.id, row.lane, row.kind, row.payload, row.created_at, row.attempts + 1,
                    row.faults, row.uncertain, row.sent_at, now, row.unanswered) for row in rows]

    async def _followers(self, session: Any, head: Any) -> list[Any]:
        """The rows of the head's delivery right behind it in its lane, up to another: one
        call delivers them all, a refresh showing the state of then included."""
        behind = (await session.execute(
            select(_T).where(_T.c.lane == head.lane, _T.c.id > head.id, _pending())
            .order_by(_T.c.id).limit(MAX_BATCH))).all()
        run = []
        for row in behind:
            if self.together.get(row.kind) != self.together[head.kind]:
                break
            run.append(row)
        return run

    async def renew(self, ids: Sequence[int]) -> None:
        """Keep a claim alive while its delivery runs; a dead process stops renewing."""
        await self._set(ids, lease_until=self.store.clock() + self.lease)

    async def delivered(self, ids: Sequence[int]) -> None:
        await self._set(ids, delivered_at=self.store.clock(), lease_until=None, uncertain=False)

    async def put_back(self, rows: Sequence[tuple[int, bool]]) -> None:
        """Rows leased with a batch but not tried, as (id, check_first): due again at once, with
        the doubt an earlier attempt left on them."""
        for doubt in (True, False):
            await self._set([row_id for row_id, check_first in rows if check_first is doubt],
                            lease_until=None, uncertain=doubt, attempts=_T.c.attempts - 1)

    async def retry(self, ids: Sequence[int], *, after: timedelta, error: str, uncertain: bool,
                    held: bool = False, unanswered: bool = False) -> None:
        await self._set(ids, due_at=self.store.clock() + after, lease_until=None,
                        last_error=error[:2000], uncertain=uncertain, held=held,
                        unanswered=unanswered)

    async def fault(self, ids: Sequence[int], *, after: timedelta, error: str) -> None:
        """A fault of ours: counted apart from the other side's refusals. It may have struck
        after a call landed, so the next attempt looks first."""
        await self._set(ids, due_at=self.store.clock() + after, lease_until=None,
                        last_error=error[:2000], uncertain=True, held=False, unanswered=False,
                        faults=_T.c.faults + 1)

    async def give_up(self, ids: Sequence[int], error: str) -> None:
        """Refused for good by the other side: the lane goes on."""
        await self._set(ids, failed_at=self.store.clock(), lease_until=None,
                        last_error=error[:2000], uncertain=False)

    async def park(self, ids: Sequence[int], error: str) -> None:
        """Failed for a reason of ours, again and again: the lane goes on without it."""
        await self.give_up(ids, PARKED + error)

    async def release_held(self, kinds: Collection[str], *, tried_under: int | None = None) -> int:
        """The other side answers again: what of `kinds` waited for it is due now (only rows
        tried fewer than `tried_under` times, when given)."""
        now = self.store.clock()
        ours = [_T.c.kind.in_(kinds), _pending(), _T.c.due_at > now]
        if tried_under is not None:
            ours.append(_T.c.attempts < tried_under)
        async with self.store.writing() as session:
            released = (await session.execute(
                update(_T).where(_T.c.held, *ours).values(due_at=now, held=False))).rowcount
        return released

    async def _set(self, ids: Sequence[int], **values: object) -> None:
        if not ids:
            return
        async with self.store.writing() as session:
            await session.execute(update(_T).where(_T.c.id.in_(ids)).values(**values))

    async def pending(self) -> int:
        async with self.store.reading() as tx:
            return await tx.session.scalar(select(func.count()).where(_pending())) or 0

    async def oldest_owed(self) -> datetime | None:
        """When the longest-waiting owed call was made; None when nothing is owed."""
        async with self.store.reading() as tx:
            return await tx.session.scalar(select(func.min(_T.c.created_at)).where(_pending()))

    async def failed_by_kind(self) -> dict[str, int]:
        async with self.store.reading() as tx:
            rows = await tx.session.execute(
                select(_T.c.kind, func.count()).where(_T.c.failed_at.is_not(None))
                .group_by(_T.c.kind))
        return {kind: count for kind, count in rows}

    async def given_up(self, limit: int = 200) -> list[GivenUp]:
        """Rows refused or parked, newest first."""
        async with self.store.reading() as tx:
            rows = await tx.session.execute(
                select(_T.c.id, _T.c.lane, _T.c.kind, _T.c.attempts, _T.c.failed_at,
                       _T.c.last_error).where(_T.c.failed_at.is_not(None))
                .order_by(_T.c.id.desc()).limit(limit))
        return [GivenUp(row_id, lane, kind, attempts, failed_at, error or "")
                for row_id, lane, kind, attempts, failed_at, error in rows]

    async def send_again(self, ids: Sequence[int] | None = None) -> int:
        """Rows given up, owed again after a fix: these ids (refused ones too), or with none every
        parked row (a refused one may have been refused for good reason: an old page). Due now,
        faults forgotten, looked for first, since an attempt may have landed."""
        async with self.store.writing() as session:
            chosen: ColumnElement[bool] = _T.c.failed_at.is_not(None)
            if ids is not None:
                chosen = and_(chosen, _T.c.id.in_(ids))
            else:
                chosen = and_(chosen, _T.c.last_error.startswith(PARKED))
            return (await session.execute(update(_T).where(chosen).values(
                failed_at=None, faults=0, due_at=self.store.clock(), lease_until=None,
                uncertain=True, held=False))).rowcount
