"""Reading the record back: verify the chain, export again, figures and lists across
incidents."""

import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

from bot.domain.access import AccessRequest
from bot.domain.alerts import detected_at
from bot.domain.authz import Denial
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.stats import Figures, missed_ack_deadline, month_of, report_order, rollups
from bot.domain.timeline import ChainBreak, TimelineEvent, verify_chain
from bot.export.render import Renderer
from bot.export.verify import check_export
from bot.services.exporter import Exporter, ExportResult, export_path
from bot.storage.store import Store

_REF = re.compile(r"^(?:inc-?)?(\d+)$", re.IGNORECASE)


def parse_ref(text: str) -> int:
    match = _REF.match(text.strip())
    if not match:
        raise IncidentError(f"'{text}' is not an incident id (use INC-<n>)")
    return int(match.group(1))


@dataclass
class Verification:
    events: list[TimelineEvent]
    broken: ChainBreak | None
    export_problem: str = ""  # the database and its last export disagree
    export_note: str = ""


async def verify(store: Store, incident_id: int, *, export_dir: Path | None = None,
                 renderer_for: Callable[[Incident], Renderer] | None = None) -> Verification:
    """The chain in the database, and, when its export is found in `export_dir`, whether the
    database still holds every event that export was written from: a chain rewritten whole
    in the database is intact on its own, but no longer the one the file carries."""
    async with store.reading() as tx:
        incident = await tx.incident(incident_id)
        if incident is None:
            raise IncidentError(f"INC-{incident_id} does not exist")
        events = await tx.events(incident_id)
    result = Verification(events, verify_chain(events))
    if export_dir is None or result.broken:
        return result
    path = export_path(export_dir, incident)
    if not path.exists():
        result.export_note = f"no export at {path} to compare with"
        return result
    exported = check_export(path.read_text(encoding="utf-8"),
                            renderer_for(incident) if renderer_for else None)
    if exported.line:
        result.export_problem = f"the export does not verify: {path}:{exported.line}: {exported.problem}"
        return result
    recorded = {e.seq: e for e in events}
    for event in exported.events:
        now = recorded.get(event.seq)
        if now is None or now.hash != event.hash:
            what = "is gone from the database" if now is None else "differs in the database"
            result.export_problem = (f"event {event.seq} ({event.action}, "
                                     f"{event.at:%Y-%m-%dT%H:%M:%SZ}) {what} since {path} was written")
            return result
    later = len(events) - len(exported.events)
    result.export_note = f"matches {path}" + (f"; {later} events recorded since" if later else "")
    return result


async def export_again(store: Store, exporter: Exporter, incident_id: int) -> ExportResult:
    async with store.transaction() as tx:
        if await tx.incident(incident_id) is None:
            raise IncidentError(f"INC-{incident_id} does not exist")
        return await exporter.export(tx, incident_id, upload=False)


async def stats(store: Store, since: date | None, *, policy: Policy | None = None,
                drills: bool = False) -> dict[tuple[str, str], Figures]:
    """Figures per (month, severity), with each month's and each severity's totals under
    "all" and the total of all at ("all", "all"); months are UTC months of the declare.
    The acknowledgement deadline is `policy`'s for the incident's severity now, as the
    escalation keeps it. Drills are left out unless `drills`."""
    deadlines = (policy or Policy()).ack_deadlines
    async with store.reading() as tx:
        incidents, alert_events, now = await tx.incidents(), await tx.alert_events(), tx.now
    by_incident: dict[int, list[TimelineEvent]] = defaultdict(list)
    for alert in alert_events:
        by_incident[alert.incident_id].append(alert)
    groups: dict[tuple[str, str], Figures] = defaultdict(Figures)
    for incident in incidents:
        if not _chosen(incident, since=since, drills=drills):
            continue
        missed = missed_ack_deadline(incident, deadlines.get(incident.severity), now)
        detected = detected_at(by_incident.get(incident.id, []))
        for key in rollups(month_of(incident), incident.severity_label):
            groups[key].add(incident, detected=detected, missed_ack=missed)
    return dict(sorted(groups.items(), key=lambda kv: report_order(kv[0])))


def _chosen(incident: Incident, *, since: date | None, drills: bool) -> bool:
    """Declared on or after `since` (a UTC day); a drill only when drills are asked for."""
    return (drills or not incident.drill) and \
        (since is None or incident.declared_at.astimezone(UTC).date() >= since)


@dataclass
class Listed:
    incident: Incident
    commander: str  # a name, or "-"


async def list_incidents(store: Store, *, open_only: bool, since: date | None,
                         drills: bool) -> list[Listed]:
    """Incidents newest first, private ones too: the operator's view of the whole record."""
    async with store.reading() as tx:
        found, names = await tx.incidents(), await tx.names()
    chosen = [i for i in found if _chosen(i, since=since, drills=drills)
              and (not open_only or i.status.is_open)]
    chosen.sort(key=lambda i: (i.declared_at, i.id), reverse=True)
    return [Listed(i, names.get(i.commander_id, i.commander_id) if i.commander_id else "-")
            for i in chosen]


def since_date(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise IncidentError(f"'{text}' is not a date (use YYYY-MM-DD)") from None


@dataclass
class AuditRow:
    request: AccessRequest
    names: dict[str, str]

    def name(self, user_id: str | None) -> str:
        return self.names.get(user_id, user_id) if user_id else "-"


async def audit_access(store: Store, *, unrevoked_only: bool, since: date | None) -> list[AuditRow]:
    """Every access request across incidents, oldest first."""
    async with store.transaction() as tx:
        requests, names = await tx.access_requests(), await tx.names()
    return [AuditRow(r, names) for r in requests
            if (not since or r.requested_at.date() >= since)
            and (not unrevoked_only or r.needs_revoking)]


async def denials(store: Store, *, since: date | None) -> tuple[list[Denial], dict[str, str]]:
    """What the incident policy refused, oldest first, with people's names."""
    async with store.reading() as tx:
        start = datetime.combine(since, time(), tzinfo=UTC) if since else None
        return await tx.denials(start), await tx.names()
