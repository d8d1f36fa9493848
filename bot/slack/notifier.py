"""The delivery loop: owed calls from the outbox, retried until Slack takes them.

Record first, post after: every call here was committed to the outbox with the
change it reports. The loop leases a batch per lane, hands it to its kind's
function (bot/slack/calls.py), and settles the outcome: a 429 waits its
Retry-After; a 5xx, a timeout or a refused connection marks Slack as failing, and
then one cheap probe, not every lane, asks until Slack answers again, when all
that waited goes out at once. When an attempt may have landed, the next one first
looks in the channel for the message it tagged, so a post shows once.
"""

import asyncio
import logging
import random
from datetime import timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.policy import Policy
from bot.paging.pagerduty import PagerDuty
from bot.slack.calls import KINDS, Outbound
from bot.slack.webapi import GiveUp, Retry, WebApi, error_code
from bot.statuspage.api import Statuspage
from bot.storage.outbox import Batch, Outbox
from bot.storage.store import Store

log = logging.getLogger(__name__)

PASS_EVERY = 0.05  # seconds: the most a lone entry waits before it goes out
PROBE_FIRST = 0.25  # seconds after Slack starts failing
PROBE_MAX = 2.0
OUTAGE = 1.0  # seconds of failing beyond the first probe's wait: Slack was down, not one call slow
# Seconds a pass waits for its slowest attempt before leaving it to run on: a lane whose call
# is slow holds up the others this long at most.
SLOW_LANE = 0.5
STOP_GRACE = 5.0  # seconds stopping waits for attempts under way


class SlackNotifier:
    def __init__(self, *, store: Store, client: AsyncWebClient, announce_channel: str | None,
                 approvers: list[str] | tuple[str, ...] = (),
                 exec_channel: str | None = None, pager: PagerDuty | None = None,
                 statuspage: Statuspage | None = None,
                 runbook_stale_after: timedelta = Policy.runbook_stale_after,
                 max_backoff: timedelta = timedelta(minutes=2),
                 settle: timedelta = timedelta(seconds=20),
                 lease: timedelta = timedelta(seconds=15),
                 pace: timedelta = timedelta(seconds=1)) -> None:
        self.store = store
        self.api = WebApi(client)
        self.outbound = Outbound(store, self.api, announce_channel, list(approvers),
                                 exec_channel=exec_channel, pager=pager,
                                 statuspage=statuspage, runbook_stale_after=runbook_stale_after)
        self.outbox = Outbox(store, lease=lease, pace=pace,
                             coalescing={name for name, k in KINDS.items() if k.coalesce},
                             paced={name for name, k in KINDS.items() if k.paced})
        self.max_backoff = max_backoff
        # A request we stopped waiting for may still be running at Slack; give it
        # time to land before looking for it, or we would post it twice.
        self.settle = settle
        self.delivered = 0
        # Attempts left running: a lane waiting on a slow call (PagerDuty, Statuspage, git,
        # a Slack call timing out) holds up the other lanes no longer than SLOW_LANE.
        self._in_flight: set[asyncio.Task] = set()
        self._probing: asyncio.Task | None = None
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
            if self._probing is not None:
                self._probing.cancel()
            # An attempt cut short keeps its lease until it runs out, and is then looked
            # for before it is sent again: stopping never posts twice.
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
        attempts = {asyncio.ensure_future(self._attempt(batch)) for batch in claimed.batches}
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
            while (await self.outbox.counts())["pending"]:
                busy, wait = await self.deliver_due()
                if not busy:
                    await asyncio.sleep(min(wait, 0.05))

    # one batch ------------------------------------------------------------------
    async def _attempt(self, batch: Batch) -> None:
        try:
            left = await self._deliver_leased(batch)
        except Retry as retry:
            await self._defer(batch, retry)
        except SlackApiError as exc:
            log.error("slack refused %s #%s: %s", batch.kind, batch.ids, error_code(exc))
            await self.outbox.give_up(batch.ids, f"slack error: {error_code(exc)}")
        except GiveUp as exc:
            log.error("%s #%s given up: %s", batch.kind, batch.ids, exc)
            await self.outbox.give_up(batch.ids, str(exc))
        except Exception as exc:
            log.exception("delivering %s #%s failed", batch.kind, batch.ids)
            await self.outbox.retry(batch.ids, after=max(self._backoff(batch), self.settle),
                                    error=repr(exc), uncertain=True)
        else:
            left = list(left or [])
            done = [item.id for item in batch.items if item not in left]
            self.delivered += len(done)
            await self.outbox.delivered(done)
            await self.outbox.put_back(left)

    async def _deliver_leased(self, batch: Batch):  # noqa: ANN202
        """Deliver under a short lease renewed while we work: after a kill -9 another
        process may retry within seconds, yet a slow call is never taken over while alive."""

        async def keep_lease() -> None:
            while True:
                await asyncio.sleep(self.outbox.lease.total_seconds() / 3)
                await self.outbox.renew(batch)

        renewing = asyncio.create_task(keep_lease())
        try:
            return await KINDS[batch.kind].deliver(self.outbound, batch)
        finally:
            renewing.cancel()
            # Stop renewing before the outcome is written, so a deferral is not re-leased.
            await asyncio.gather(renewing, return_exceptions=True)

    async def _defer(self, batch: Batch, retry: Retry) -> None:
        after = retry.after or self._backoff(batch)
        if retry.in_flight:
            after = max(after, self.settle)
        log.warning("slack call %s #%s deferred %.1fs: %s", batch.kind, batch.ids,
                    after.total_seconds(), retry)
        # A doubt from an earlier attempt stands until a look in the channel settles it.
        await self.outbox.retry(batch.ids, after=after, error=str(retry),
                                uncertain=retry.uncertain or batch.check_first, held=retry.held)
        if self.api.failing_since is not None and self._probing is None:
            self._probing = asyncio.create_task(self._probe_until_back())

    def _backoff(self, batch: Batch) -> timedelta:
        seconds = min(2 ** (batch.head.attempts - 1), self.max_backoff.total_seconds())
        return timedelta(seconds=seconds * random.uniform(0.8, 1.0))

    async def _probe_until_back(self) -> None:
        """While Slack fails, one cheap call asks for everyone; when it answers, the rows
        that waited for it are due at once, and the loop is woken.

        A call left unanswered is looked for `settle` after it was sent when Slack was down
        a while (what hung in the outage has landed or died once Slack answers again);
        when the first probe is answered at once, Slack was up and only that call slow, so
        it keeps its full wait."""
        pause = PROBE_FIRST
        loop = asyncio.get_running_loop()
        try:
            while True:
                await asyncio.sleep(pause)
                failing_since = self.api.failing_since or loop.time()
                if await self.api.probe():
                    outage = loop.time() - failing_since > pause + OUTAGE
                    released = await self.outbox.release_held(
                        landing=self.settle if outage else None)
                    log.warning("%d owed Slack calls go out again", released)
                    self.store.outbox_signal.set()
                    return
                pause = min(pause * 2, PROBE_MAX)
        except Exception:
            log.exception("probing Slack failed")
            self.api.failing_since = None  # let the next real call find out
        finally:
            self._probing = None
