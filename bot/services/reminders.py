"""Scheduled messages: claim what is due, act on it in the same transaction, plan the next."""

import logging

from bot.domain import notices
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.reminders import Reminder, ReminderKind
from bot.services import access
from bot.storage.store import Store, Tx

log = logging.getLogger(__name__)
NUDGES = {ReminderKind.STATUS_NUDGE}


async def fire_due(store: Store, policy: Policy) -> int:
    """Fire every due reminder once, whichever replica gets there first. Returns how many fired."""
    async with store.reading() as tx:
        due = await tx.due_reminders()
    fired = 0
    for reminder in due:
        try:
            fired += await _fire(store, reminder, policy)
        except Exception:  # one bad reminder must not hold up the others
            log.exception("reminder %s failed; it stays due", reminder.id)
    return fired


async def _fire(store: Store, reminder: Reminder, policy: Policy) -> int:
    async with store.transaction() as tx:
        # The incident first, as every use case locks it first: no lock-order deadlocks.
        incident = await tx.incident(reminder.incident_id, lock=True)
        if incident is None or not await tx.claim_reminder(reminder.id):
            return 0
        if reminder.kind is ReminderKind.STATUS_NUDGE:
            await _nudge(tx, incident, policy)
        elif reminder.kind is ReminderKind.ACCESS_WARNING:
            await access.warn(tx, incident, reminder.access_request_id)  # type: ignore[arg-type]
        else:
            await access.expire(tx, incident, reminder.access_request_id)  # type: ignore[arg-type]
        return 1


async def _nudge(tx: Tx, incident: Incident, policy: Policy) -> None:
    if not incident.status.is_open:
        return
    tx.notify(notices.to_channel(
        incident.id, "status_nudge", commander=incident.commander_id or incident.declared_by,
        last_update=incident.last_update_at.isoformat() if incident.last_update_at else ""))
    tx.schedule(ReminderKind.STATUS_NUDGE, incident.id,
                tx.now + policy.status_update_interval(incident.severity))


async def plan_nudge(tx: Tx, incident: Incident, policy: Policy) -> None:
    """(Re)plan the next status-update nudge from the last update, or stop it once resolved."""
    await tx.cancel_reminders(incident.id, NUDGES)
    if not incident.status.is_open:
        return
    since = incident.last_update_at or incident.declared_at
    due = max(since + policy.status_update_interval(incident.severity), tx.now)
    tx.schedule(ReminderKind.STATUS_NUDGE, incident.id, due)
