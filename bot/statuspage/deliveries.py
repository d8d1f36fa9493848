"""Public updates on Statuspage, delivered from the outbox. A create or an update whose answer
was lost is looked for before it is sent again: two public incidents for one, or the same
words twice, would be a public mistake."""

from datetime import timedelta

from bot.domain.incident import Incident
from bot.domain.notices import StatuspagePublish
from bot.outbound.errors import GiveUp, Retry
from bot.outbound.registry import Batch, Registry
from bot.services import deliveries
from bot.statuspage.api import Busy, Refused, Statuspage
from bot.storage.store import Store

# Statuspage's clock and ours differ a little: an update it shows from just before we
# recorded ours is still taken for ours.
CLOCK_SKEW = timedelta(minutes=2)


def statuspage_marker(incident: Incident) -> str:
    """Names the incident for good, across restarts, so a create can be recognised later."""
    return f"{incident.ref}@{incident.declared_at.isoformat()}"


def register(registry: Registry, *, store: Store, statuspage: Statuspage | None) -> None:
    async def send(batch: Batch[StatuspagePublish]) -> None:
        """The first update opens the public incident, the others update it."""
        if statuspage is None:
            raise GiveUp("Statuspage is not set up")
        owed = batch.head.notice
        incident = (await deliveries.read_for_posting(store, owed.incident_id)).incident
        public_id = await deliveries.statuspage_id(store, incident.id)
        try:
            if public_id is not None:
                if batch.check_first and await statuspage.shows(
                        public_id, status=owed.status, body=owed.text,
                        since=batch.head.created_at - CLOCK_SKEW):
                    return
                await statuspage.update(public_id, status=owed.status, body=owed.text,
                                        components=dict(owed.components))
                return
            marker = statuspage_marker(incident)
            if batch.check_first:
                public_id = await statuspage.find(name=incident.title, marker=marker)
            if public_id is None:  # else the create that landed carried this very update
                public_id = await statuspage.create(name=incident.title, status=owed.status,
                                                    body=owed.text, marker=marker,
                                                    components=dict(owed.components))
            await deliveries.statuspage_opened(store, incident_id=incident.id,
                                               public_id=public_id)
        except Busy as busy:
            raise Retry(str(busy), after=busy.after, uncertain=busy.maybe_applied,
                        in_flight=busy.in_flight) from None
        except Refused as refused:
            await deliveries.statuspage_refused(store, incident_id=incident.id,
                                                status=owed.status, reason=str(refused))
            raise GiveUp(str(refused)) from None

    registry.add(StatuspagePublish, send)
