"""Whether the record an export carries says what its hash-chained events say.

The events are sealed by the chain; the carried record is not. Every fact of the record that
the events determine (status and its times, severity, root cause, commander, participants,
action items, access decisions, runbook copies, runs completed) is derived from them again
here, so editing the record and the line it renders alike is still caught. What no event
holds (the channel's name, the names shown; private and drill before declares kept them) is
carried as written.
"""

import hashlib
from datetime import datetime

from bot.domain.access import AccessRequest, AccessState
from bot.domain.incident import Incident, IncidentRecord
from bot.domain.lifecycle import Status
from bot.domain.roles import COMMANDER
from bot.domain.runbook_progress import COMPLETED, REOPENED, STEP_ACTIONS, completion_turn
from bot.domain.timeline import TimelineEvent
from bot.runbooks.copies import runbook_of


def disagreement(record: IncidentRecord) -> str | None:
    """The first carried fact the events contradict, said plainly; None when all agree."""
    for check in (_incident, _participants, _action_items, _access, _runbooks, _completions):
        found = check(record)
        if found:
            return found
    return None


def _differs(what: str, carried: object, derived: object) -> str | None:
    if carried == derived:
        return None
    return f"the carried record says {what} {_shown(carried)}, its events say {_shown(derived)}"


def _shown(value: object) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return "none" if value is None or value == "" else repr(value)


def _first(found: list[str | None]) -> str | None:
    return next((f for f in found if f), None)


def _incident(record: IncidentRecord) -> str | None:
    carried, events = record.incident, record.events
    if not events:
        return None
    if any(e.incident_id != carried.id for e in events):
        return _differs("incident", carried.ref, f"INC-{events[0].incident_id}")
    declared = events[0]
    changes = [e for e in events if e.action == "severity_changed"]
    first_label = str(changes[0].data.get("from")) if changes else carried.severity_label
    derived = Incident(id=carried.id, slug=carried.slug, title=carried.title, severity=0,
                       declared_at=declared.at, declared_by=declared.actor_id)
    commander, root_cause = None, ""
    for event in events:
        if event.action == "status_changed":
            derived.move_to(Status(str(event.data.get("to"))), event.at)
        elif event.action == "commander_assigned":
            commander = str(event.data.get("commander"))
        elif event.action == "role_assigned" and event.data.get("role") == COMMANDER:
            commander = str(event.data.get("user"))
        elif event.action == "handoff" and event.data.get("to"):
            commander = str(event.data.get("to"))
        elif event.action in ("root_cause", "resolved"):
            root_cause = event.details
    label = str(changes[-1].data.get("to")) if changes else first_label
    return _first([
        _differs("it was declared by", carried.declared_by, declared.actor_id)
        if declared.action == "declared" else f"its first event is {declared.action}, not declared",
        _differs("it was declared at", carried.declared_at, declared.at),
        _differs("it was declared as", f"{first_label} {carried.slug}: {carried.title}",
                 declared.details),
        _differs("the severity is", carried.severity_label, label),
        _differs("the status is", str(carried.status), str(derived.status)),
        _differs("it was acknowledged at", carried.acknowledged_at, derived.acknowledged_at),
        _differs("it was mitigated at", carried.mitigated_at, derived.mitigated_at),
        _differs("it was resolved at", carried.resolved_at, derived.resolved_at),
        _differs("it was closed at", carried.closed_at, derived.closed_at),
        *(_differs(f"{flag} is", getattr(carried, flag), True)
          for flag in ("private", "drill") if declared.data.get(flag)),
        _differs("the commander is", carried.commander_id, commander),
        _differs("the services are", carried.services,
                 [str(e.data.get("service")) for e in events if e.action == "service_added"]),
        _differs("the type is", carried.kind, declared.data.get("type")),
        _differs("the root cause is", carried.root_cause, root_cause),
    ])


def _participants(record: IncidentRecord) -> str | None:
    joined = sorted((e.actor_id, e.at) for e in record.events if e.action == "participant_joined")
    carried = sorted((p.user_id, p.joined_at) for p in record.participants)
    return _differs("the participants are", carried, joined)


def _action_items(record: IncidentRecord) -> str | None:
    items = {a.number: a for a in record.action_items}
    added = [e for e in record.events if e.action == "action_item"]
    found = _differs("the action items are numbered", sorted(items),
                     sorted(int(e.data.get("number", 0)) for e in added))
    if found:
        return found
    for event in added:
        item = items[int(event.data["number"])]
        said = f"#{item.number} {item.text}"
        rest = event.details.removeprefix(said)
        if not event.details.startswith(said) or (rest and not (item.owner_id and rest.startswith(" @"))):
            return _differs(f"action item #{item.number} reads", said, event.details)
        done = [e for e in record.events if e.action == "action_done"
                and e.data.get("number") == item.number]
        due = [e for e in record.events if e.action == "action_due"
               and e.data.get("number") == item.number]
        ticket = [(str(e.data.get("ticket")), str(e.data.get("url"))) for e in record.events
                  if e.action == "ticket_opened" and e.data.get("number") == item.number]
        found = _first([
            _differs(f"action item #{item.number}'s ticket is",
                     (item.ticket_key, item.ticket_url) if item.ticket_key else None,
                     ticket[-1] if ticket else None),
            _differs(f"action item #{item.number} is owned by", item.owner_id, event.data.get("owner")),
            _differs(f"action item #{item.number} was done at", item.done_at,
                     done[0].at if done else None),
            _differs(f"action item #{item.number} is due", item.due_on.isoformat()
                     if item.due_on else None, str(due[-1].data.get("due")) if due else None),
        ])
        if found:
            return found
    return None


def _access(record: IncidentRecord) -> str | None:
    requests = {r.ref: r for r in record.access_requests}
    asked = [e for e in record.events if e.action == "access_request"]
    found = _differs("the access requests are", sorted(requests),
                     sorted(str(e.data.get("request")) for e in asked))
    if found:
        return found
    for event in asked:
        request = requests[str(event.data["request"])]
        derived = _replayed(request, event, record.events)
        said = event.details
        if not said.startswith(f"{request.ref} {request.what} for ") or \
                (request.reason and not said.endswith(f" because {request.reason}")):
            return _differs(f"{request.ref} asked for", f"{request.what} ({request.reason})", said)
        for field in ("requester_id", "requested_at", "step", "state", "approver_id",
                      "decided_at", "expires_at", "expired_at", "revoked_at", "revoked_by"):
            found = _differs(f"{request.ref} {field.removesuffix('_id').replace('_', ' ')} is",
                             getattr(request, field), getattr(derived, field))
            if found:
                return found
    return None


def _replayed(carried: AccessRequest, asked: TimelineEvent,
              events: list[TimelineEvent]) -> AccessRequest:
    request = AccessRequest(id=carried.id, incident_id=carried.incident_id, what=carried.what,
                            duration=carried.duration, requester_id=asked.actor_id,
                            requested_at=asked.at, step=asked.step)
    for event in events:
        if event.data.get("request") != carried.ref:
            continue
        if event.action in ("access_approved", "access_extended"):
            if event.action == "access_approved":
                request.state, request.approver_id = AccessState.APPROVED, event.actor_id
                request.decided_at = event.at
            request.expires_at = datetime.fromisoformat(str(event.data.get("expires")))
        elif event.action == "access_denied":
            request.state, request.approver_id = AccessState.DENIED, event.actor_id
            request.decided_at = event.at
        elif event.action == "access_expired":
            request.state, request.expired_at = AccessState.EXPIRED, event.at
        elif event.action == "access_revoked":
            request.state, request.revoked_at = AccessState.REVOKED, event.at
            request.revoked_by = event.actor_id
    return request


def _runbooks(record: IncidentRecord) -> str | None:
    attached = [(str(e.data.get("runbook")), str(e.data.get("sha256")), e.at, e.actor_id)
                for e in record.events if e.action == "runbook_attached"]
    carried = [(rb.runbook_id, rb.sha256, rb.attached_at, rb.attached_by) for rb in record.runbooks]
    found = _differs("the runbooks attached are", carried, attached)
    if found:
        return found
    for rb in record.runbooks:
        copy = hashlib.sha256(rb.source.encode()).hexdigest()
        if copy != rb.sha256:
            return f"the carried copy of runbook {rb.runbook_id} has sha256 {copy}, " \
                   f"its events say {rb.sha256}"
    return None



def _completions(record: IncidentRecord) -> str | None:
    """Each runbook_completed or runbook_reopened comes right after the step mark that made
    the run, as its carried copy has it, complete or not complete any more. (A run completed
    before these events existed has none: nothing is asked of it.)"""
    steps: dict[str, list[int]] = {}
    for rb in record.runbooks:
        try:
            steps[rb.runbook_id] = [s.number for s in runbook_of(rb).steps]
        except ValueError as error:
            return f"the carried copy of runbook {rb.runbook_id} does not read: {error}"
    events = record.events
    for n, event in enumerate(events):
        if event.action not in (COMPLETED, REOPENED):
            continue
        runbook = str(event.data.get("runbook"))
        mark = events[n - 1] if n else None
        turned = None
        if mark is not None and mark.action in STEP_ACTIONS and runbook in steps and \
                (mark.step or "").startswith(f"{runbook}#"):
            turned = completion_turn(runbook, steps[runbook], events[:n])
        if turned != event.action:
            return (f"event {event.seq} says {event.action} for {runbook}, but its steps as "
                    f"carried and marked before it do not make it so")
    return None
