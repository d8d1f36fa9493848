"""PagerDuty events, delivered from the outbox. No look before a retry: the dedup_key makes a
repeat one alert. Its failures are PagerDuty's, never taken for Slack being down."""

from bot.domain.notices import PagerDutyEvent
from bot.outbound.errors import GiveUp, Retry
from bot.outbound.registry import Batch, Registry
from bot.paging.pagerduty import Busy, PagerDuty, Refused
from bot.services import deliveries
from bot.storage.store import Store


def register(registry: Registry, *, store: Store, pager: PagerDuty | None) -> None:
    async def send(batch: Batch[PagerDutyEvent]) -> None:
        if pager is None:
            raise GiveUp("PagerDuty is not set up")
        owed = batch.head.notice
        record = await deliveries.read_for_posting(store, owed.incident_id)
        try:
            await pager.deliver(owed, record.incident, at=batch.head.created_at)
        except Busy as busy:
            raise Retry(str(busy), after=busy.after) from None
        except Refused as refused:
            raise GiveUp(str(refused)) from None

    registry.add(PagerDutyEvent, send)
