"""Which incidents a person may see listed (`/incident list`, the App Home): a private
incident only to its channel's members."""

from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.services.context import NOT_AN_INCIDENT_CHANNEL
from bot.storage.store import Store


async def listed_to(store: Store, *, user_id: str, open_only: bool = True) -> list[Incident]:
    async with store.transaction() as tx:
        shown = []
        for incident in await tx.incidents():
            if open_only and not incident.status.is_open:
                continue
            # Only a private incident needs its record read to know who is in it.
            if not incident.private or (await tx.record(incident.id)).may_be_listed_to(user_id):
                shown.append(incident)
        return shown


async def in_channel(store: Store, *, channel_id: str) -> Incident:
    """The incident whose channel this is (for a form about to open), or IncidentError."""
    async with store.transaction() as tx:
        incident = await tx.incident_by_channel(channel_id)
        if incident is None:
            raise IncidentError(NOT_AN_INCIDENT_CHANNEL)
        return incident
