"""Reading the record back: verify the chain, export again, figures across incidents."""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from statistics import mean

from bot.domain.access import AccessRequest
from bot.domain.alerts import detected_at
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.timeline import ChainBreak, TimelineEvent, verify_chain
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


async def verify(store: Store, incident_id: int, *, export_dir: Path | None = None) -> Verification:
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
    exported = check_export(path.read_text(encoding="utf-8"))
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


@dataclass
class Figures:
    count: int = 0
    to_acknowledge: list[timedelta] = field(default_factory=list)
    to_resolve: list[timedelta] = field(default_factory=list)

    def add(self, incident: Incident, detected: datetime | None = None) -> None:
        """`detected`: when its first alert started firing; MTTA counts from then."""
        self.count += 1
        if incident.acknowledged_at:
            start = min(detected, incident.declared_at) if detected else incident.declared_at
            self.to_acknowledge.append(incident.acknowledged_at - start)
        if incident.resolved_at:
            self.to_resolve.append(incident.resolved_at - incident.declared_at)

    @staticmethod
    def _mean(values: list[timedelta]) -> timedelta | None:
        return timedelta(seconds=mean(v.total_seconds() for v in values)) if values else None

    @property
    def mtta(self) -> timedelta | None:
        return self._mean(self.to_acknowledge)

    @property
    def mttr(self) -> timedelta | None:
        return self._mean(self.to_resolve)


async def stats(store: Store, since: date | None) -> dict[tuple[str, str], Figures]:
    """Count, MTTA and MTTR per (month, severity), plus ("all", "all")."""
    async with store.transaction() as tx:
        incidents = await tx.incidents()
        alert_events = await tx.alert_events()
    by_incident: dict[int, list[TimelineEvent]] = defaultdict(list)
    for alert in alert_events:
        by_incident[alert.incident_id].append(alert)
    detected = {incident.id: detected_at(by_incident.get(incident.id, [])) for incident in incidents}
    groups: dict[tuple[str, str], Figures] = defaultdict(Figures)
    for incident in incidents:
        if since and incident.declared_at.date() < since:
            continue
        groups[(f"{incident.declared_at:%Y-%m}", incident.severity_label)].add(
            incident, detected[incident.id])
        groups[("all", "all")].add(incident, detected[incident.id])
    return dict(sorted(groups.items(), key=lambda kv: (kv[0][0] == "all", kv[0])))


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
