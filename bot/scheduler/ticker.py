"""APScheduler only ticks; what is due lives in the database, so restarts and replicas agree."""

import asyncio
import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.policy import Policy
from bot.services import reminders
from bot.services.exporter import Exporter
from bot.storage.store import Store

log = logging.getLogger(__name__)
# How often due reminders are looked for: the most a reminder fires late.
TICK = timedelta(seconds=1)
# A tick still running when the next is due is normal under load, not worth a warning each time.
logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)


class ReminderTicker:
    def __init__(self, store: Store, policy: Policy, every: timedelta = TICK,
                 exporter: Exporter | None = None) -> None:
        self.store, self.policy, self.exporter = store, policy, exporter
        self.scheduler = AsyncIOScheduler()
        self._ticking: asyncio.Task | None = None
        self.scheduler.add_job(self.tick, "interval", seconds=every.total_seconds(),
                               max_instances=1, coalesce=True, id="reminders")

    async def tick(self) -> int:
        self._ticking = asyncio.current_task()
        try:
            return await reminders.fire_due(self.store, self.policy, exporter=self.exporter)
        except Exception:  # the database may be briefly away; the next tick tries again
            log.exception("reminder tick failed")
            return 0
        finally:
            self._ticking = None

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self) -> None:
        """Stop ticking and let a tick in progress finish its transaction."""
        self.scheduler.shutdown(wait=False)
        if self._ticking is not None:
            await asyncio.wait([self._ticking])
