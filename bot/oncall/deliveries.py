"""Who is on call for a service, asked of PagerDuty from the outbox: a declare never waits
for it, and PagerDuty failing is said in the channel once and asked again."""

from bot.domain.notices import FindOnCall
from bot.oncall.pagerduty import Busy, OnCall, Refused
from bot.outbound.errors import GiveUp, Retry
from bot.outbound.registry import Batch, Registry
from bot.services import catalog
from bot.storage.store import Store


def register(registry: Registry, *, store: Store, oncall: OnCall | None) -> None:
    async def find(batch: Batch[FindOnCall]) -> None:
        owed = batch.head.notice
        if oncall is None:
            # Tied when PAGERDUTY_API_TOKEN was set, delivered after it was taken away.
            await catalog.oncall_unknown(store, incident_id=owed.incident_id,
                                         service=owed.service, again=False,
                                         reason="PAGERDUTY_API_TOKEN is not set")
            raise GiveUp("PAGERDUTY_API_TOKEN is not set")
        try:
            people = await oncall.who(owed.escalation_policy)
        except Busy as busy:
            if batch.head.attempts == 1:  # said at the first failure; the retries are quiet
                await catalog.oncall_unknown(store, incident_id=owed.incident_id,
                                             service=owed.service, reason=str(busy), again=True)
            raise Retry(str(busy), after=busy.after) from None
        except Refused as refused:
            await catalog.oncall_unknown(store, incident_id=owed.incident_id,
                                         service=owed.service, reason=str(refused), again=False)
            raise GiveUp(str(refused)) from None
        if not people:
            await catalog.oncall_unknown(
                store, incident_id=owed.incident_id, service=owed.service, again=False,
                reason=f"nobody is on call for escalation policy {owed.escalation_policy}")
            return
        await catalog.owe_invite(store, incident_id=owed.incident_id, service=owed.service,
                                 names=[p.name for p in people], emails=[p.email for p in people])

    registry.add(FindOnCall, find)
