"""Follow-up action items after the record says what went wrong: ticked, dated, and an owner
told once when one is overdue. Items can change after resolve: the postmortem follows them."""

from datetime import UTC, date, datetime, time, timedelta

from bot.domain import notices
from bot.domain.authz import Action
from bot.domain.errors import IncidentError
from bot.domain.incident import ActionItem, Incident
from bot.domain.reminders import ReminderKind
from bot.services import escalation
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import event, incident_command
from bot.storage.store import Store, Tx

DUE = {ReminderKind.ACTION_DUE}


async def _item(tx: Tx, incident: Incident, number: int) -> ActionItem:
    item = await tx.action_item(incident.id, number)
    if item is None:
        raise IncidentError(f"{incident.ref} has no action item #{number}. "
                            "`/incident timeline` shows the items recorded.")
    return item


async def mark_done(store: Store, *, caller: Caller, number: int) -> ActionItem:
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
                                     number=number, text=item.text))
        await plan_due(tx, incident)
        return item


async def set_due(store: Store, *, caller: Caller, number: int, due_on: date) -> ActionItem:
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
