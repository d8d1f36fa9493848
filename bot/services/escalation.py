"""Reaching people on a clock. An incident still `new` at its acknowledgement deadline is
escalated (an overdue notice, a page, DMs); one still open after `escalate_after` is told to
executives. Both are reminder rows: each fires once, across restarts and replicas."""

from typing import TypedDict

from bot.domain import notices
from bot.domain.durations import format_duration
from bot.domain.incident import Incident
from bot.domain.lifecycle import Status
from bot.domain.policy import Policy
from bot.domain.reminders import ReminderKind
from bot.services.context import event
from bot.storage.store import Tx

PLANNED = {ReminderKind.ACK_DEADLINE, ReminderKind.ESCALATE_AFTER}
SCHEDULER = "scheduler"


async def plan(tx: Tx, incident: Incident, policy: Policy) -> None:
    """(Re)plan both from the declare time, under the incident's severity and status now.
    What has fired for this incident is never planned again: a severity change moves a
    deadline, it never repeats an escalation."""
    await tx.cancel_reminders(incident.id, PLANNED)
    fired = await tx.fired_kinds(incident.id, PLANNED)
    ack = policy.ack_deadlines.get(incident.severity)
    if incident.status is Status.NEW and ack is not None and ReminderKind.ACK_DEADLINE not in fired:
        tx.schedule(ReminderKind.ACK_DEADLINE, incident.id, incident.declared_at + ack)
    after = policy.escalate_after.get(incident.severity)
    if incident.status.is_open and after is not None and ReminderKind.ESCALATE_AFTER not in fired:
        tx.schedule(ReminderKind.ESCALATE_AFTER, incident.id, incident.declared_at + after)


class AboutIncident(TypedDict):
    """What a DM about the incident says of it: the person may not be in its channel."""

    incident_id: int
    incident: str
    title: str
    severity: str
    channel: str


def about(incident: Incident) -> AboutIncident:
    return {"incident_id": incident.id, "incident": incident.ref, "title": incident.title,
            "severity": incident.severity_label, "channel": incident.channel_id or ""}


async def acknowledgement_overdue(tx: Tx, incident: Incident, policy: Policy) -> None:
    if incident.status is not Status.NEW:
        return
    deadline = format_duration(policy.ack_deadlines[incident.severity])
    if incident.drill:
        await _drill_escalation(tx, incident, policy, deadline)
        return
    users = list(policy.escalation_users)
    paged = policy.page_on_escalation
    reached = (["paged on PagerDuty"] if paged else []) + (
        [f"DM to {len(users)} escalation contact{'s' if len(users) != 1 else ''}"] if users else [])
    await tx.append(event(tx, incident, SCHEDULER, "escalated",
                          f"not acknowledged within {deadline}"
                          + (f": {', '.join(reached)}" if reached else ""),
                          level="acknowledgement", pagerduty=paged, users=users))
    tx.notify(notices.AckOverdue(incident_id=incident.id, deadline=deadline, paged=paged,
                                 users=users))
    if paged:
        tx.notify(notices.PagerDutyEvent(incident_id=incident.id, action="trigger",
                                         reason=f"not acknowledged within {deadline}"))
    for user in users:
        tx.notify(notices.EscalationDM(user=user, deadline=deadline, **about(incident)))


async def _drill_escalation(tx: Tx, incident: Incident, policy: Policy, deadline: str) -> None:
    """The overdue notice is part of the practice; the page and the DMs are only recorded."""
    users = len(policy.escalation_users)
    would = (["PagerDuty"] if policy.page_on_escalation else []) + (
        [f"a DM to {users} escalation contact{'s' if users != 1 else ''}"] if users else [])
    await tx.append(event(tx, incident, SCHEDULER, "escalated",
                          f"not acknowledged within {deadline} (drill"
                          + (f": would page {', '.join(would)})" if would else ")"),
                          level="acknowledgement", pagerduty=False, users=[]))
    tx.notify(notices.AckOverdue(incident_id=incident.id, deadline=deadline, paged=False,
                                 users=[], would=would))


async def tell_executives(tx: Tx, incident: Incident, policy: Policy) -> None:
    after = policy.escalate_after.get(incident.severity)
    if (not incident.status.is_open or not policy.tell_executives or after is None
            or incident.drill):
        return
    await tx.append(event(tx, incident, SCHEDULER, "escalated",
                          f"still {incident.status} after {format_duration(after)}: executives told",
                          level="executives"))
    tx.notify(notices.StillOpen(incident_id=incident.id, after=format_duration(after)))
