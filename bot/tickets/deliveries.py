"""Action items as tickets, delivered from the outbox. A create whose answer was lost is looked
for by its marker before it is sent again: one action item, one ticket, across retries,
restarts and replicas. Closing and dating are the same whenever they are sent again."""

from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.domain.incident import ActionItem, Incident
from bot.domain.notices.outside import TicketClose, TicketDue, TicketNotice, TicketOpen
from bot.outbound.errors import GiveUp, Retry
from bot.outbound.registry import Batch, Registry
from bot.services import action_items
from bot.storage.store import Store
from bot.tickets.errors import Busy, Refused
from bot.tickets.model import Draft, Tracker


def ticket_marker(incident: Incident, number: int) -> str:
    """Names the item for good, across restarts and databases: a second INC-1 (a new
    database) has another declare time."""
    return f"{incident.ref}.{number}@{incident.declared_at.strftime('%Y%m%dT%H%M%S%f')}"


def draft(incident: Incident, item: ActionItem, names: dict[str, str]) -> Draft:
    owner = names.get(item.owner_id, item.owner_id) if item.owner_id else None
    lines = [f"Action item #{item.number} of {incident.ref} ({incident.severity_label}): "
             f"{incident.title}", "", item.text, ""]
    if owner:
        lines.append(f"Owner: {owner}")
    lines.append("Ticking the item in Slack (`/incident action done "
                 f"{item.number}`) closes this issue; closing it here ticks the item.")
    return Draft(marker=ticket_marker(incident, item.number), title=item.text,
                 body="\n".join(lines), due=item.due_on)


def register(registry: Registry, *, store: Store, tracker: Tracker | None) -> None:
    async def told(owed: TicketNotice, call: str,
                   act: Callable[[Incident, ActionItem, dict[str, str]], Awaitable[None]]) -> None:
        if tracker is None:
            return  # TICKETS is not set: action items stay in the bot only
        incident, item, names = await action_items.ticket_subject(
            store, owed.incident_id, owed.number)
        try:
            await act(incident, item, names)
        except Busy as busy:
            raise Retry(str(busy), after=busy.after, uncertain=busy.maybe_applied,
                        in_flight=busy.in_flight) from None
        except Refused as refused:
            await action_items.ticket_refused(store, incident_id=incident.id, number=item.number,
                                              tracker=tracker.name, call=call,
                                              reason=str(refused))
            raise GiveUp(str(refused)) from None

    async def open_ticket(batch: Batch[TicketOpen]) -> None:
        async def act(incident: Incident, item: ActionItem, names: dict[str, str]) -> None:
            assert tracker is not None
            if item.ticket_key is not None:
                return
            wanted = draft(incident, item, names)
            ticket = None
            if batch.check_first:
                ticket = await tracker.find(wanted.marker)
                if ticket is None:
                    not_landed_yet(batch, store.clock())
            if ticket is None:
                ticket = await tracker.create(wanted)
            await action_items.ticket_opened(store, incident_id=incident.id, number=item.number,
                                             tracker=tracker.name, key=ticket.key, url=ticket.url)

        await told(batch.head.notice, "open", act)

    async def close_ticket(batch: Batch[TicketClose]) -> None:
        async def act(incident: Incident, item: ActionItem, names: dict[str, str]) -> None:
            assert tracker is not None
            # No ticket: it was never made (refused), and there is nothing to close.
            if item.ticket_key is not None and item.done:
                await tracker.close(item.ticket_key)

        await told(batch.head.notice, "close", act)

    async def date_ticket(batch: Batch[TicketDue]) -> None:
        async def act(incident: Incident, item: ActionItem, names: dict[str, str]) -> None:
            assert tracker is not None
            if item.ticket_key is not None:
                await tracker.set_due(item.ticket_key, item.due_on)

        await told(batch.head.notice, "due", act)

    registry.add(TicketOpen, open_ticket)
    registry.add(TicketClose, close_ticket)
    registry.add(TicketDue, date_ticket)


def not_landed_yet(batch: Batch[TicketOpen], now: datetime) -> None:
    """A look that found nothing while the create sent before may still land (no answer
    yet, or a search that lags behind): look again later rather than make a second one."""
    until = max((item.unsure_until for item in batch.items if item.unsure_until), default=None)
    if until is not None and until > now:
        raise Retry("the ticket asked for earlier may still land: looking again later",
                    after=until - now, uncertain=True, looked=True)
