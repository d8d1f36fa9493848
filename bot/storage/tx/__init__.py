"""What a use case may read and write inside one transaction: each record's queries in a
module of its own, composed here into the one object a use case is handed."""

from bot.domain.incident import IncidentRecord
from bot.domain.timeline import TimelineEvent
from bot.storage.tx.access import Access
from bot.storage.tx.action_items import ActionItems
from bot.storage.tx.alerts import Alerts
from bot.storage.tx.base import AfterAppend, to_domain
from bot.storage.tx.captures import Captures
from bot.storage.tx.commands import Commands
from bot.storage.tx.denials import Denials
from bot.storage.tx.incidents import Incidents
from bot.storage.tx.owed import AsRow, OwedCalls
from bot.storage.tx.people import People
from bot.storage.tx.reminders import Reminders
from bot.storage.tx.runbooks import Runbooks
from bot.storage.tx.statuspage import StatuspageIds
from bot.storage.tx.tallies import Tallies
from bot.storage.tx.timeline import Timeline

__all__ = ["AfterAppend", "AsRow", "Tx", "to_domain"]


class Tx(Incidents, Timeline, People, ActionItems, Access, Runbooks, StatuspageIds, Captures,
         Alerts, Reminders, Commands, Denials, OwedCalls, Tallies):
    async def append(self, event: TimelineEvent) -> TimelineEvent:
        """Chain and store an event, then what the use cases ask to follow every change.
        The caller holds the incident's lock."""
        await super().append(event)
        if self.after_append is not None:
            await self.after_append(self, event)
        return event

    async def record(self, incident_id: int) -> IncidentRecord:
        """Everything the incident's export is written from."""
        incident = await self.incident(incident_id)
        assert incident is not None
        return IncidentRecord(
            incident=incident,
            events=await self.events(incident_id),
            participants=await self.participants(incident_id),
            action_items=await self.action_items(incident_id),
            names=await self.names(),
            access_requests=await self.access_requests(incident_id),
            runbooks=await self.attached_runbooks(incident_id),
        )
