"""What an export carries beside its events, so `verify FILE.md` can render it again with no
database: the incident row, participants, action items, access requests, runbook copies and
the names shown. `agreement.py` holds each of these to what the hash-chained events say."""

from datetime import date, datetime, timedelta
from typing import Any

from bot.domain.access import AccessRequest, AccessState
from bot.domain.incident import ActionItem, Incident, IncidentRecord, Participant
from bot.domain.lifecycle import Status
from bot.domain.runbook_progress import AttachedRunbook
from bot.domain.timeline import TimelineEvent


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _at(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def _must(value: object) -> datetime:
    found = _at(value)
    if found is None:
        raise ValueError("a time is missing")
    return found


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def shown_names(record: IncidentRecord) -> dict[str, str]:
    """The names of everyone the export may show: whoever an event, the incident or one of
    its rows refers to. Never the whole directory of users the bot has met."""
    wanted: set[str] = set()

    def add(value: Any) -> None:
        if isinstance(value, str):
            wanted.add(value)
        elif isinstance(value, list | tuple):
            for item in value:
                add(item)
        elif isinstance(value, dict):
            for item in value.values():
                add(item)

    incident = record.incident
    add([incident.declared_by, incident.commander_id])
    for event in record.events:
        add([event.actor_id, event.data])
    add([p.user_id for p in record.participants])
    add([[a.owner_id, a.created_by, a.done_by] for a in record.action_items])
    add([[r.requester_id, r.approver_id, r.revoked_by] for r in record.access_requests])
    return {k: v for k, v in sorted(record.names.items()) if k in wanted}


def dump(record: IncidentRecord) -> dict[str, Any]:
    i = record.incident
    return {
        "incident": {
            "id": i.id, "slug": i.slug, "title": i.title, "severity": i.severity,
            "declared_at": _when(i.declared_at), "declared_by": i.declared_by,
            "status": str(i.status), "channel_name": i.channel_name,
            "commander": i.commander_id, "acknowledged_at": _when(i.acknowledged_at),
            "mitigated_at": _when(i.mitigated_at), "resolved_at": _when(i.resolved_at),
            "closed_at": _when(i.closed_at), "root_cause": i.root_cause,
            "private": i.private, "drill": i.drill, "services": i.services, "kind": i.kind,
        },
        "participants": [{"user": p.user_id, "joined": _when(p.joined_at)}
                         for p in record.participants],
        "action_items": [
            {"number": a.number, "text": a.text, "created_at": _when(a.created_at),
             "created_by": a.created_by, "owner": a.owner_id, "done_at": _when(a.done_at),
             "done_by": a.done_by, "due": a.due_on.isoformat() if a.due_on else None,
             "ticket": a.ticket_key, "ticket_url": a.ticket_url}
            for a in record.action_items],
        "access_requests": [
            {"id": r.id, "what": r.what, "seconds": int(r.duration.total_seconds()),
             "requester": r.requester_id, "requested_at": _when(r.requested_at),
             "reason": r.reason, "step": r.step, "state": str(r.state),
             "approver": r.approver_id, "decided_at": _when(r.decided_at),
             "expires_at": _when(r.expires_at), "note": r.decision_note,
             "expired_at": _when(r.expired_at), "revoked_at": _when(r.revoked_at),
             "revoked_by": r.revoked_by}
            for r in record.access_requests],
        "runbooks": [
            {"id": rb.id, "runbook": rb.runbook_id, "path": rb.path, "source": rb.source,
             "sha256": rb.sha256, "attached_at": _when(rb.attached_at),
             "attached_by": rb.attached_by}
            for rb in record.runbooks],
    }


def load(value: dict[str, Any], events: list[TimelineEvent], names: dict[str, str]) -> IncidentRecord:
    """The record back; ValueError, TypeError or KeyError when the carried copy is not one."""
    i = value["incident"]
    incident = Incident(
        id=int(i["id"]), slug=str(i["slug"]), title=str(i["title"]), severity=int(i["severity"]),
        declared_at=_must(i["declared_at"]), declared_by=str(i["declared_by"]),
        status=Status(i["status"]), channel_name=_text(i["channel_name"]),
        commander_id=_text(i["commander"]), acknowledged_at=_at(i["acknowledged_at"]),
        mitigated_at=_at(i["mitigated_at"]), resolved_at=_at(i["resolved_at"]),
        closed_at=_at(i["closed_at"]), root_cause=str(i["root_cause"]),
        private=bool(i["private"]), drill=bool(i["drill"]),
        # Exports written before services and types were kept carry neither.
        services=[str(name) for name in i.get("services", [])], kind=_text(i.get("kind")))
    return IncidentRecord(
        incident=incident, events=events, names=names,
        participants=[Participant(incident.id, str(p["user"]), _must(p["joined"]))
                      for p in value["participants"]],
        action_items=[
            ActionItem(incident_id=incident.id, number=int(a["number"]), text=str(a["text"]),
                       created_at=_must(a["created_at"]), created_by=str(a["created_by"]),
                       owner_id=_text(a["owner"]), done_at=_at(a["done_at"]),
                       done_by=_text(a["done_by"]),
                       due_on=date.fromisoformat(a["due"]) if a["due"] else None,
                       ticket_key=_text(a.get("ticket")), ticket_url=_text(a.get("ticket_url")))
            for a in value["action_items"]],
        access_requests=[
            AccessRequest(id=int(r["id"]), incident_id=incident.id, what=str(r["what"]),
                          duration=timedelta(seconds=int(r["seconds"])),
                          requester_id=str(r["requester"]), requested_at=_must(r["requested_at"]),
                          reason=str(r["reason"]), step=_text(r["step"]),
                          state=AccessState(r["state"]), approver_id=_text(r["approver"]),
                          decided_at=_at(r["decided_at"]), expires_at=_at(r["expires_at"]),
                          decision_note=str(r["note"]), expired_at=_at(r["expired_at"]),
                          revoked_at=_at(r["revoked_at"]), revoked_by=_text(r["revoked_by"]))
            for r in value["access_requests"]],
        runbooks=[
            AttachedRunbook(id=int(rb["id"]), incident_id=incident.id,
                            runbook_id=str(rb["runbook"]), path=str(rb["path"]),
                            source=str(rb["source"]), sha256=str(rb["sha256"]),
                            attached_at=_must(rb["attached_at"]),
                            attached_by=str(rb["attached_by"]))
            for rb in value["runbooks"]],
    )
