"""Alerts in: an alert group opens an incident once, and its later deliveries feed it."""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from bot.catalog.model import Service
from bot.domain import notices
from bot.domain.alerts import (
    ALERT_ACTOR,
    FIRING,
    RESOLVED,
    Alert,
    AlertGroup,
    alert_facts,
    group_severity,
)
from bot.domain.authz import Action, Judge
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.timeline import TimelineEvent
from bot.runbooks.format import Runbook
from bot.runbooks.library import Library
from bot.services import catalog
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import event
from bot.services.incidents import Source, open_incident
from bot.storage.store import Store, Tx

Line = TypeVar("Line", notices.AlertFiring, notices.AlertResolved)


@dataclass(frozen=True)
class Received:
    """What one delivery did. `incident_id` is None when a group that has no open incident
    only reported resolved alerts: there is nothing to open."""

    incident_id: int | None
    opened: bool
    firing: int
    resolved: int


async def receive(store: Store, *, group: AlertGroup, body_sha256: str,
                  severities: Mapping[str, int], policy: Policy, library: Library,
                  judge: Judge, services: Sequence[Service] = (),
                  find_oncall: bool = False) -> Received:
    """Record one delivery. A body recorded before raises DuplicateDelivery, and nothing
    is written. Opening an incident asks the policy as the user `alertmanager`: a refusal
    raises Denied, and nothing of the delivery is kept but the refusal. `services`: those
    its alerts name by label; an incident is tied to each, also one opened before."""
    async with store.transaction() as tx:
        key = hashlib.sha256(group.group_key.encode()).hexdigest()
        group_id, incident_id = await tx.alert_group(key, group.group_key)
        await tx.record_alert_delivery(body_sha256, group_id)
        incident = await tx.incident(incident_id, lock=True) if incident_id else None
        opened = False
        note = ""
        if incident is None or not incident.status.is_open:
            if not group.firing:
                return Received(None, False, 0, 0)
            severity = group_severity(group, severities)
            note = severity.note
            source = Caller(user_id=ALERT_ACTOR, user_name="", channel_id="",
                            trigger_id=f"alert:{body_sha256}", judge=judge)
            await permit(tx, source, Action.DECLARE, severity=severity.level, slug=group.slug,
                         private=False, drill=False,
                         service=",".join(s.name for s in services) or None)
            incident = await open_incident(
                tx, declarer=ALERT_ACTOR, severity=severity.level, slug=group.slug,
                title=group.title, policy=policy, runbooks=_runbooks(group, library),
                invite_declarer=False, source=Source.ALERT)
            await tx.set_alert_group_incident(group_id, incident.id)
            opened = True
        firing, resolved = await _log_alerts(tx, incident, group, note)
        if incident.status.is_open:
            await catalog.tie(tx, incident, services, ALERT_ACTOR, library,
                              find_oncall=find_oncall, refresh=False)
        if firing or resolved:
            tx.notify(notices.RefreshSummary(incident_id=incident.id))
        return Received(incident.id, opened, firing, resolved)


def _runbooks(group: AlertGroup, library: Library) -> list[Runbook]:
    """The runbooks the alert names; those matching its slug when it names none we know."""
    named = [r for r in (library.find(ref) for ref in group.runbook_ids()) if r is not None]
    return named or library.matching(group.slug)


async def _log_alerts(tx: Tx, incident: Incident, group: AlertGroup, note: str) -> tuple[int, int]:
    """Each alert once per episode: firing when first seen firing (or firing again after it
    resolved, with a new startsAt), resolved once."""
    seen = await tx.alerts_seen(incident.id)
    firing = resolved = 0
    for alert in group.alerts:
        before = seen.get(alert.fingerprint)
        if alert.firing:
            if before is not None and (before[0] == FIRING or before[1] == alert.starts_at):
                continue
            details = _details(alert) + (f" ({note})" if note else "")
            await tx.append(_event(tx, incident, "alert_firing", details, group, alert,
                                   **({"note": note} if note else {})))
            tx.notify(_line(notices.AlertFiring, incident, group, alert, note=note))
            note = ""  # said once, with the first alert
            firing += 1
        else:
            if before is not None and before[0] == RESOLVED:
                continue
            await tx.append(_event(tx, incident, "alert_resolved", _details(alert), group,
                                   alert))
            tx.notify(_line(notices.AlertResolved, incident, group, alert))
            resolved += 1
        await tx.see_alert(incident.id, alert.fingerprint, alert.status, alert.starts_at)
        seen[alert.fingerprint] = (alert.status, alert.starts_at)
    return firing, resolved


def _event(tx: Tx, incident: Incident, action: str, details: str, group: AlertGroup,
           alert: Alert, **extra: object) -> TimelineEvent:
    recorded = event(tx, incident, ALERT_ACTOR, action, details)
    recorded.data.update(alert_facts(group, alert), **extra)
    return recorded


def _details(alert: Alert) -> str:
    return f"{alert.name}: {alert.summary}" if alert.summary else alert.name


def _line(kind: type[Line], incident: Incident, group: AlertGroup, alert: Alert,
          **extra: str) -> Line:
    """The channel's line about the alert: the same facts its event keeps."""
    return kind(incident_id=incident.id, alertname=alert.name, summary=alert.summary,
                apart=group.apart(alert), description=alert.description, links=alert.links,
                **extra)
