"""The delivery loop: owed notices from the outbox, delivered until the other side takes them.

Record first, deliver after: every row here was committed with the change it reports. The
loop leases a batch per lane, reads its notices, hands them to their kind's delivery (the
registry), and settles the outcome:
- Retry with `after` (a 429's Retry-After) waits that long;
- Retry `held` (the system is failing, or answered with a passing error) waits a short
  backoff, and is due again as soon as the system answers: a probe while it is down, or any
  delivery of it that succeeds (bot/outbound/trouble.py);
- Retry `in_flight` (a call with no answer) is looked for `settle` after it was sent, and
  once more half as long again later, before it is sent again;
- GiveUp fails the row for good;
- the database briefly away defers the row like the other side's trouble would;
- a row written by a newer release is left for a replica that knows it;
- anything else is a fault of ours: retried FAULT_LIMIT times, then parked, and the lane
  goes on. `incident-bot db outbox` lists parked rows and sends them again.
"""

import asyncio
import logging
import random
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import DBAPIError

from bot import tracing
from bot.domain.notices import incident_of
from bot.logs import about_incident
from bot.outbound.codec import TooNew, decode
from bot.outbound.errors import GiveUp, Retry
from bot.outbound.lanes import LEASE, PACE, Outbox, Row
from bot.outbound.registry import Batch, Delivery, Owed, Registry, System
from bot.outbound.trouble import Trouble
from bot.storage.store import Store

log = logging.getLogger(__name__)

PASS_EVERY = 0.05  # seconds: the most a lone entry waits before it goes out
# Seconds a pass waits for its slowest attempt before leaving it to run on: a lane whose call
# is slow holds up the others this long at most.
SLOW_LANE = 0.5
STOP_GRACE = 5.0  # seconds stopping waits for attempts under way
MAX_BACKOFF = timedelta(minutes=2)
HELD_BACKOFF = timedelta(seconds=8)
FAULT_LIMIT = 5


class DeliveryLoop:
    def __init__(self, *, store: Store, registry: Registry, settle: timedelta,
                 max_backoff: timedelta = MAX_BACKOFF, lease: timedelta = LEASE,
                 pace: timedelta = PACE) -> None:
        self.store = store
        self.registry = registry
        self.outbox = Outbox(store, lease=lease, pace=pace, together=registry.together(),
                             paced=registry.paced())
        self.max_backoff = max_backoff
        # A request we stopped waiting for may still be running on the other side; give it
        # time to land before looking for it, or we would send it twice.
        self.settle = settle
        self.delivered = 0
        # Attempts left running: a lane waiting on a slow call holds up the other lanes no
        # longer than SLOW_LANE.
        self._in_flight: set[asyncio.Task] = set()
        self.trouble = Trouble(self.outbox, registry, wake=store.outbox_signal.set)
        self._last_pass = 0.0

    # the loop ----------------------------------------------------------------
    async def run(self, stop: asyncio.Event, idle: float = 1.0) -> None:
        """Deliver until stopped; wakes on new notices, when a waiting lane is ready,
        and polls for other replicas' rows."""
        loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                # Every commit wakes the loop; under a burst, looking at most every
                # PASS_EVERY leaves the CPU to the commands and lets entries gather.
                await asyncio.sleep(max(0.0, self._last_pass + PASS_EVERY - loop.time()))
                self._last_pass = loop.time()
                try:
                    busy, wait = await self.deliver_due(patience=SLOW_LANE)
                except Exception:  # the database may be briefly away; keep the loop alive
                    log.exception("outbox pass failed")
                    busy, wait = False, idle
                if busy:
                    continue
                if self._in_flight:
                    # A call left running: look again when one lands, or SLOW_LANE on, not at
                    # every commit (each look queries the outbox, and commits come fast).
                    stopping = asyncio.ensure_future(stop.wait())
                    await asyncio.wait({*self._in_flight, stopping}, timeout=SLOW_LANE,
                                       return_when=asyncio.FIRST_COMPLETED)
                    stopping.cancel()
                    continue
                self.store.outbox_signal.clear()
                waiters = [asyncio.ensure_future(self.store.outbox_signal.wait()),
                           asyncio.ensure_future(stop.wait())]
                await asyncio.wait(waiters, timeout=min(idle, wait),
                                   return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
        finally:
            self.trouble.stop()
            # An attempt cut short keeps its lease until it runs out, and is then looked
            # for before it is sent again: stopping never sends twice.
            if self._in_flight:
                await asyncio.wait(set(self._in_flight), timeout=STOP_GRACE)
            for attempt in set(self._in_flight):
                attempt.cancel()

    async def deliver_due(self, *, patience: float | None = None) -> tuple[bool, float]:
        """One pass over the lanes that are ready. Returns whether anything was claimed,
        and how long until a waiting lane is ready.

        The pass waits for its attempts (what lands meanwhile coalesces into the next
        call), but no longer than `patience` seconds: an attempt still running then goes on
        by itself, and the next passes serve the other lanes (a leased lane is not claimed
        again, so its order holds)."""
        claimed = await self.outbox.claim()
        attempts = {asyncio.ensure_future(self._attempt(rows)) for rows in claimed.batches}
        if attempts:
            await asyncio.wait(attempts, timeout=patience)
        for attempt in attempts:
            if not attempt.done():
                self._in_flight.add(attempt)
                attempt.add_done_callback(self._landed)
        wait = 1.0
        if claimed.next_ready is not None:
            wait = max(0.01, (claimed.next_ready - self.store.clock()).total_seconds())
        return bool(claimed.batches), wait

    def _landed(self, attempt: asyncio.Task) -> None:
        self._in_flight.discard(attempt)
        self.store.outbox_signal.set()  # its lane may have more owed behind it

    async def drain(self, timeout: float = 30.0) -> None:
        """Deliver until nothing is owed (for the demo and tests)."""
        async with asyncio.timeout(timeout):
            while await self.outbox.pending():
                busy, wait = await self.deliver_due()
                if not busy:
                    await asyncio.sleep(min(wait, 0.05))

    # one batch ------------------------------------------------------------------
    async def _attempt(self, rows: list[Row]) -> None:
        # Its own task: whatever it logs, here or in a delivery, names the lane's incident.
        incident_id = incident_of(rows[0].lane)
        with about_incident(incident_id), tracing.span(
                "outbound.deliver", kind=rows[0].kind, lane=rows[0].lane, calls=len(rows),
                attempt=rows[0].attempts + 1):
            tracing.incident(incident_id)
            await self._attempt_batch(rows)

    async def _attempt_batch(self, rows: list[Row]) -> None:
        head = rows[0]
        try:
            batch, delivery = self._read(rows)
        except TooNew as exc:
            await self._put_back(rows[1:])
            log.warning("%s %s #%s left for a newer release: %s", head.lane, head.kind, head.id, exc)
            await self.outbox.retry([head.id], after=self.settle, error=str(exc),
                                    uncertain=head.check_first)
            return
        except Exception as exc:  # the head cannot be read: nothing of the lane is sent
            await self._put_back(rows[1:])
            await self._fault(head, exc)
            return
        tried = rows[:len(batch.items)]
        # A row behind the head that cannot be read waits for its own turn.
        await self._put_back(rows[len(tried):])
        ids = [row.id for row in tried]
        try:
            left = await self._deliver_leased(delivery, batch)
        except Retry as retry:
            await self._defer(tried, delivery.system, retry)
        except GiveUp as exc:
            log.error("%s %s #%s given up: %s", head.lane, head.kind, ids, exc)
            await self.outbox.give_up(ids, str(exc))
        except DBAPIError as exc:  # the database, briefly away: not a fault of the row's
            await self._defer(tried, None, Retry(f"database: {type(exc).__name__}",
                                                 uncertain=True))
        except Exception as exc:
            # Which of a batch's rows is at fault is not known: the head is tried alone next.
            await self._put_back(tried[1:])
            await self._fault(head, exc)
        else:
            left_ids = {item.id for item in left or ()}
            self.delivered += len(ids) - len(left_ids)
            await self.outbox.delivered([i for i in ids if i not in left_ids])
            await self._put_back([row for row in tried if row.id in left_ids])
            if delivery.system is not None:
                await self.trouble.answered(delivery.system)

    async def _put_back(self, rows: Sequence[Row]) -> None:
        await self.outbox.put_back([(row.id, row.check_first) for row in rows])

    def _read(self, rows: Sequence[Row]) -> tuple[Batch[Any], Delivery[Any]]:
        """The notices of the leased rows, up to the first that cannot be read (at least the head)."""
        items: list[Owed[Any]] = []
        delivery = None
        for row in rows:
            try:
                notice = decode(row.kind, row.payload, row.lane)
                found = self.registry.delivery(type(notice))
                if found is None:
                    raise LookupError(f"no delivery for notices of kind {row.kind}")
            except Exception:
                if not items:
                    raise
                break
            delivery = delivery or found
            items.append(Owed(row.id, notice, row.created_at, row.attempts, row.check_first,
                              self._unsure_until(row)))
        assert delivery is not None
        return Batch(items), delivery

    def _unsure_until(self, row: Row) -> datetime | None:
        """A call that got no answer is looked for `settle` after it was sent. When that look
        finds nothing, it is made once more, half as long again after the attempt before it:
        a call that lands late is found then, and one that died is sent again."""
        if not row.unanswered or row.sent_at is None:
            return None
        return row.sent_at + self.settle * 3 / 2

    async def _deliver_leased(self, delivery: Delivery[Any],
                              batch: Batch[Any]) -> Sequence[Owed[Any]] | None:
        """Deliver under a short lease renewed while we work: after a kill -9 another
        process may retry within seconds, yet a slow call is never taken over while alive."""
        ids = [item.id for item in batch.items]

        async def keep_lease() -> None:
            while True:
                await asyncio.sleep(self.outbox.lease.total_seconds() / 3)
                await self.outbox.renew(ids)

        renewing = asyncio.create_task(keep_lease())
        try:
            return await delivery.send(batch)
        finally:
            renewing.cancel()
            # Stop renewing before the outcome is written, so a deferral is not re-leased.
            await asyncio.gather(renewing, return_exceptions=True)

    async def _defer(self, rows: Sequence[Row], system: System | None, retry: Retry) -> None:
        head = rows[0]
        # A call with no answer is looked for `settle` after it was sent, however often that
        # happened before: its wait does not grow.
        after = max(timedelta(0), head.leased_at + self.settle - self.store.clock()) \
            if retry.in_flight else (retry.after or self._backoff(head.attempts, held=retry.held))
        ids = [row.id for row in rows]
        log.warning("%s %s #%s deferred %.1fs: %s", head.lane, head.kind, ids,
                    after.total_seconds(), retry)
        # A doubt from an earlier attempt stands until a look settles it.
        await self.outbox.retry(ids, after=after, error=str(retry), held=retry.held,
                                uncertain=retry.uncertain or any(row.check_first for row in rows),
                                unanswered=retry.in_flight or not retry.looked and any(
                                    row.unanswered for row in rows))
        if system is not None:
            self.trouble.deferred(system, held=retry.held)

    async def _fault(self, row: Row, exc: Exception) -> None:
        """A fault of ours. Parked after FAULT_LIMIT of them, so the lane goes on."""
        incident = incident_of(row.lane)
        about = f"INC-{incident}" if incident is not None else row.lane
        if row.faults + 1 >= FAULT_LIMIT:
            log.error("outbox row #%s (%s, %s) parked after %d faults: %r; "
                      "`incident-bot db outbox` lists it, and sends it again after a fix",
                      row.id, about, row.kind, FAULT_LIMIT, exc)
            await self.outbox.park([row.id], repr(exc))
            return
        if row.faults == 0:
            log.exception("delivering %s %s #%s failed", about, row.kind, row.id)
        await self.outbox.fault([row.id], after=self._backoff(row.faults + 1), error=repr(exc))

    def _backoff(self, attempts: int, *, held: bool = False) -> timedelta:
        """Rows held by a system's trouble are released when it answers again; their own wait
        stays short, so it never outlives the trouble by much."""
        ceiling = min(self.max_backoff, HELD_BACKOFF) if held else self.max_backoff
        seconds = min(2 ** (attempts - 1), ceiling.total_seconds())
        return timedelta(seconds=seconds * random.uniform(0.8, 1.0))
