"""Follow-up action items after the record says what went wrong: ticked, dated, and an owner
told once when one is overdue. Items can change after resolve: the postmortem follows them.

With TICKETS set, each item is a ticket in the team's tracker too (bot/tickets): ticking it
here closes the ticket, dating it dates the ticket where the tracker has due dates, and a
ticket closed there ticks the item here. The tracker is told through the outbox, in order."""

from datetime import UTC, date, datetime, time, timedelta

from bot.domain import notices
from bot.domain.authz import Action
from bot.domain.errors import IncidentError
from bot.domain.incident import ActionItem, Incident
from bot.domain.notices.outside import (
    TicketClose,
    TicketClosedThere,
    TicketDue,
    TicketFailed,
    TicketOpened,
)
from bot.domain.reminders import ReminderKind
from bot.services import escalation
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import event, incident_command
from bot.storage.store import Store, Tx
from bot.tickets.model import ticket_label

DUE = {ReminderKind.ACTION_DUE}


async def _item(tx: Tx, incident: Incident, number: int) -> ActionItem:
    item = await tx.action_item(incident.id, number)
    if item is None:
        raise IncidentError(f"{incident.ref} has no action item #{number}. "
                            "`/incident timeline` shows the items recorded.")
    return item


async def mark_done(store: Store, *, caller: Caller, number: int,
                    tickets: bool = False) -> ActionItem:
    """`tickets`: TICKETS is set, and the item's ticket is closed too."""
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.ACTION_ITEM, incident, number=number, done=True)
        item = await _item(tx, incident, number)
        if item.done:
            raise IncidentError(f"Action item #{number} is already done.")
        item.done_at, item.done_by = tx.now, caller.user_id
        await tx.save_action_item(item)
        await tx.append(event(tx, incident, caller.user_id, "action_done",
                              f"#{number} {item.text}", number=number))
        tx.notify(notices.ActionDone(incident_id=incident.id, user=caller.user_id,
                                     number=number, text=item.text),
                  notices.RefreshSummary(incident_id=incident.id))
        if tickets:
            tx.notify(TicketClose(incident_id=incident.id, number=number))
        await plan_due(tx, incident)
        return item


async def set_due(store: Store, *, caller: Caller, number: int, due_on: date,
                  tickets: bool = False) -> ActionItem:
    """`tickets`: TICKETS is set, and the item's ticket is dated too where it can be."""
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.ACTION_ITEM, incident, number=number,
                     due=due_on.isoformat())
        item = await _item(tx, incident, number)
        if item.done:
            raise IncidentError(f"Action item #{number} is already done.")
        if due_on < tx.now.date():
            raise IncidentError(f"{due_on.isoformat()} is already past: pick today or later.")
        item.due_on, item.due_nudged_at = due_on, None
        await tx.save_action_item(item)
        await tx.append(event(tx, incident, caller.user_id, "action_due",
                              f"#{number} due {due_on.isoformat()}", number=number,
                              due=due_on.isoformat()))
        tx.notify(notices.ActionDue(incident_id=incident.id, user=caller.user_id,
                                    number=number, text=item.text, due=due_on.isoformat()))
        if tickets:
            tx.notify(TicketDue(incident_id=incident.id, number=number))
        await plan_due(tx, incident)
        return item


def _overdue_from(due_on: date) -> datetime:
    return datetime.combine(due_on + timedelta(days=1), time(), tzinfo=UTC)


async def plan_due(tx: Tx, incident: Incident) -> None:
    """One reminder row an incident, at the first moment one of its items becomes overdue."""
    await tx.cancel_reminders(incident.id, DUE)
    waiting = [item.due_on for item in await tx.action_items(incident.id)
               if item.due_on is not None and not item.done and item.due_nudged_at is None]
    if waiting:
        tx.schedule(ReminderKind.ACTION_DUE, incident.id, max(_overdue_from(min(waiting)), tx.now))


async def nudge_overdue(tx: Tx, incident: Incident) -> None:
    """Each overdue item's owner hears once, by DM (the incident channel may be long quiet);
    an item with no owner is raised in the channel with the commander."""
    for item in await tx.action_items(incident.id):
        if item.due_nudged_at is not None or not item.overdue(tx.now.date()):
            continue
        item.due_nudged_at = tx.now
        await tx.save_action_item(item)
        if item.owner_id:
            tx.notify(notices.ActionOverdue(user=item.owner_id, number=item.number,
                                            text=item.text, due=str(item.due_on),
                                            **escalation.about(incident)))
        else:
            tx.notify(notices.ActionOverdueUnowned(
                incident_id=incident.id, number=item.number, text=item.text,
                due=str(item.due_on), commander=incident.commander_id or incident.declared_by))
    await plan_due(tx, incident)


# Tickets ----------------------------------------------------------------------------------

async def ticket_subject(store: Store, incident_id: int,
                         number: int) -> tuple[Incident, ActionItem, dict[str, str]]:
    """What a ticket is written from: the incident, the item, and people's names."""
    async with store.reading() as tx:
        incident = await tx.incident(incident_id)
        item = await tx.action_item(incident_id, number)
        assert incident is not None and item is not None
        return incident, item, await tx.names()


async def ticket_opened(store: Store, *, incident_id: int, number: int, tracker: str,
                        key: str, url: str) -> None:
    """The tracker made the item's ticket: kept on the item, on the timeline, and said in
    the channel. Once, however often it is told."""
    async with store.transaction() as tx:
        incident = await tx.incident(incident_id, lock=True)
        item = await tx.action_item(incident_id, number)
        assert incident is not None and item is not None
        if item.ticket_key is not None:
            return
        item.ticket_key, item.ticket_url = key, url
        await tx.save_action_item(item)
        await tx.append(event(tx, incident, tracker, "ticket_opened",
                              f"#{number} {ticket_label(key)} {url}", number=number,
                              ticket=key, url=url, tracker=tracker))
        tx.notify(TicketOpened(incident_id=incident_id, number=number, text=item.text,
                               tracker=tracker, key=key, url=url),
                  notices.RefreshSummary(incident_id=incident_id))


async def ticket_refused(store: Store, *, incident_id: int, number: int, tracker: str,
                         call: str, reason: str) -> None:
    """The tracker will never take this call as it is: the channel hears it. The item stays."""
    async with store.transaction() as tx:
        item = await tx.action_item(incident_id, number)
        assert item is not None
        tx.notify(TicketFailed(incident_id=incident_id, number=number, text=item.text,
                               tracker=tracker, call=call, reason=reason))


async def ticket_changed(store: Store, *, tracker: str, key: str, closed: bool, by: str) -> bool:
    """A ticket was closed (or reopened) in the tracker. Closing ours ticks its item, by the
    tracker (`by`, who did it there, in the event's data). True when the item changed.

    The bot has no way to un-tick an item, so a reopen changes nothing here; nor does a
    close the bot made itself (`action done`), whose item is ticked already."""
    async with store.transaction() as tx:
        found = await tx.action_item_by_ticket(key)
        if found is None or not closed:
            return False
        incident = await tx.incident(found.incident_id, lock=True)
        item = await tx.action_item(found.incident_id, found.number)
        assert incident is not None and item is not None
        if item.done:
            return False
        item.done_at, item.done_by = tx.now, tracker
        await tx.save_action_item(item)
        await tx.append(event(tx, incident, tracker, "action_done",
                              f"#{item.number} {item.text}", number=item.number,
                              ticket=key, by=by))
        tx.notify(TicketClosedThere(incident_id=incident.id, number=item.number,
                                    text=item.text, tracker=tracker, key=key,
                                    url=item.ticket_url or "", by=by),
                  notices.RefreshSummary(incident_id=incident.id))
        await plan_due(tx, incident)
        return True
