"""`## Summary`: what a reviewer reads first, computed from the record."""

from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.domain.alerts import detected_at
from bot.domain.incident import IncidentRecord
from bot.domain.stats import short_duration
from bot.runbooks.copies import runbook_views


def _took(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "not yet"
    return short_duration(max(end - start, timedelta(0)))


def summary_lines(record: IncidentRecord, *, at: Callable[[datetime], str]) -> list[str]:
    """`at` renders a time as the rest of the export does."""
    incident = record.incident
    detected = detected_at(record.events)
    since = detected or incident.declared_at
    counted_from = "detection" if detected else "declare"
    lines = [
        f"Duration: {_took(incident.declared_at, incident.resolved_at)} "
        f"(declared {at(incident.declared_at)}"
        + (f", resolved {at(incident.resolved_at)})" if incident.resolved_at else ", still open)"),
        f"Time to acknowledge: {_took(since, incident.acknowledged_at)} (from {counted_from})",
        f"Time to mitigate: {_took(since, incident.mitigated_at)} (from {counted_from})",
    ]
    changes = [f"{e.data.get('from')} → {e.data.get('to')} at {at(e.at)}"
               for e in record.events if e.action == "severity_changed"]
    lines.append("Severity changes: " + ("; ".join(changes) if changes else "none")
                 + f" (now {incident.severity_label})")
    steps = Counter(s.state.status for v in runbook_views(record) for s in v.steps)
    total = sum(steps.values())
    lines.append(f"Runbook steps: {steps['done']} done, {steps['failed']} failed, "
                 f"{steps['skipped']} skipped, of {total}" if total else "Runbook steps: none")
    granted = [r for r in record.access_requests if r.expires_at is not None]
    owed = [r.ref for r in record.access_requests if r.needs_revoking]
    if not granted:
        lines.append("Access: none granted")
    else:
        lines.append(f"Access: {len(granted)} granted, "
                     + (f"NOT REVOKED: {', '.join(owed)}" if owed else "all revoked"))
    return lines
