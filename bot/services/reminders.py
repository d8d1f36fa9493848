"""Scheduled messages: claim what is due, act on it in the same transaction, plan the next."""

import asyncio
import logging
from collections import defaultdict

from bot.domain import notices
from bot.domain.durations import format_duration
from bot.domain.incident import Incident
from bot.domain.lifecycle import Status
from bot.domain.policy import Policy
from bot.domain.reminders import Reminder, ReminderKind
from bot.domain.roles import COMMS, holder
from bot.services import access, action_items, escalation
from bot.services.exporter import Exporter
from bot.storage.store import Store, Tx

log = logging.getLogger(__name__)
NUDGES = {ReminderKind.STATUS_NUDGE}
POSTMORTEM = {ReminderKind.POSTMORTEM_DUE}
SIDE_BY_SIDE = 8  # incidents whose reminders fire at once (Postgres runs them in parallel)


async def fire_due(store: Store, policy: Policy, limit: int = 1000, *,
                   exporter: Exporter | None = None) -> int:
    """Fire every due reminder once, whichever replica gets there first. Returns how many fired.
    Without `exporter`, rewriting exports is left to a process that has one.

    A burst (expiries and nudges of many incidents in the same minute) is fired an incident
    at a time, in one transaction each, several incidents side by side."""
    async with store.reading() as tx:
        due = await tx.due_reminders(limit)
    by_incident: dict[int, list[Reminder]] = defaultdict(list)
    for reminder in due:
        by_incident[reminder.incident_id].append(reminder)
    turns = asyncio.Semaphore(SIDE_BY_SIDE)

    async def fire_for(reminders: list[Reminder]) -> int:
        async with turns:
            try:
                return await _fire(store, reminders, policy, exporter)
            except Exception:  # one bad reminder must not hold up the others: one at a time
                log.exception("reminders %s failed together; firing them one by one",
                              [r.id for r in reminders])
            fired = 0
            for reminder in reminders:
                try:
                    fired += await _fire(store, [reminder], policy, exporter)
                except Exception:
                    log.exception("reminder %s failed; it stays due", reminder.id)
            return fired

    return sum(await asyncio.gather(*(fire_for(group) for group in by_incident.values())))


async def _fire(store: Store, reminders: list[Reminder], policy: Policy,
                exporter: Exporter | None) -> int:
    """Reminders of one incident, in one transaction."""
    fired = 0
    async with store.transaction() as tx:
        # The incident first, as every use case locks it first: no lock-order deadlocks.
        # Held by someone else (another replica firing these): leave them to it, or to the next tick.
        incident = await tx.incident(reminders[0].incident_id, lock=True, skip_locked=True)
        if incident is None:
            return 0
        for reminder in reminders:
            if reminder.kind is ReminderKind.EXPORT_AGAIN and exporter is None:
                continue  # left due for a process that writes exports
            if not await tx.claim_reminder(reminder.id):
                continue
            fired += 1
            if reminder.kind is ReminderKind.STATUS_NUDGE:
                await _nudge(tx, incident, policy)
            elif reminder.kind is ReminderKind.ACK_DEADLINE:
                await escalation.acknowledgement_overdue(tx, incident, policy)
            elif reminder.kind is ReminderKind.ESCALATE_AFTER:
                await escalation.tell_executives(tx, incident, policy)
            elif reminder.kind is ReminderKind.ACTION_DUE:
                await action_items.nudge_overdue(tx, incident)
            elif reminder.kind is ReminderKind.EXPORT_AGAIN and exporter is not None:
                await exporter.rewrite(tx, incident)
            elif reminder.kind is ReminderKind.POSTMORTEM_DUE:
                _postmortem_due(tx, incident, policy)
            else:  # the access reminders, which always name their request
                assert reminder.access_request_id is not None
                if reminder.kind is ReminderKind.ACCESS_WARNING:
                    await access.warn(tx, incident, reminder.access_request_id)
                else:
                    await access.expire(tx, incident, reminder.access_request_id)
    return fired


async def _nudge(tx: Tx, incident: Incident, policy: Policy) -> None:
    if not incident.status.is_open:
        return
    # Stakeholder updates are the comms role's job when someone holds it.
    comms = holder(await tx.events(incident.id), COMMS)
    tx.notify(notices.StatusNudge(
        incident_id=incident.id, commander=incident.commander_id or incident.declared_by,
        comms=comms,
        last_update=incident.last_update_at))
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


def _postmortem_due(tx: Tx, incident: Incident, policy: Policy) -> None:
    if incident.status is not Status.RESOLVED:
        return
    tx.notify(notices.PostmortemDue(
        incident_id=incident.id, commander=incident.commander_id or incident.declared_by,
        after=format_duration(policy.postmortem_due)))


async def plan_postmortem(tx: Tx, incident: Incident, policy: Policy) -> None:
    """After any status change: due `postmortem_due` after the last resolve while the incident
    stays resolved. Closing or reopening cancels it, resolving again plans it anew; once it
    has fired, never again."""
    await tx.cancel_reminders(incident.id, POSTMORTEM)
    if incident.status is not Status.RESOLVED or incident.resolved_at is None:
        return
    if not incident.owes_postmortem or await tx.fired_kinds(incident.id, POSTMORTEM):
        return
    tx.schedule(ReminderKind.POSTMORTEM_DUE, incident.id,
                max(incident.resolved_at + policy.postmortem_due, tx.now))
