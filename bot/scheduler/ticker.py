"""APScheduler only ticks; what is due lives in the database, so restarts and replicas agree."""

import logging
from datetime import timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.domain.policy import Policy
from bot.services import reminders
from bot.storage.store import Store

log = logging.getLogger(__name__)


class ReminderTicker:
    def __init__(self, store: Store, policy: Policy, every: timedelta = timedelta(seconds=1)) -> None:
        self.store, self.policy = store, policy
        self.scheduler = AsyncIOScheduler()
        self.scheduler.add_job(self.tick, "interval", seconds=every.total_seconds(),
                               max_instances=1, coalesce=True, id="reminders")

    async def tick(self) -> int:
        try:
            return await reminders.fire_due(self.store, self.policy)
        except Exception:  # the database may be briefly away; the next tick tries again
            log.exception("reminder tick failed")
            return 0

    def start(self) -> None:
        self.scheduler.start()

    def stop(self) -> None:
        self.scheduler.shutdown(wait=False)
