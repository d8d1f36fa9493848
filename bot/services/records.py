"""Reading the record back: verify the chain, export again, figures across incidents."""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from statistics import mean

from bot.domain.access import AccessRequest
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.timeline import ChainBreak, TimelineEvent, verify_chain
from bot.services.exporter import Exporter, ExportResult
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


async def verify(store: Store, incident_id: int) -> Verification:
    async with store.transaction() as tx:
        if await tx.incident(incident_id) is None:
            raise IncidentError(f"INC-{incident_id} does not exist")
        events = await tx.events(incident_id)
    return Verification(events, verify_chain(events))


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

    def add(self, incident: Incident) -> None:
        self.count += 1
        if incident.acknowledged_at:
            self.to_acknowledge.append(incident.acknowledged_at - incident.declared_at)
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
    groups: dict[tuple[str, str], Figures] = defaultdict(Figures)
    for incident in incidents:
        if since and incident.declared_at.date() < since:
            continue
        groups[(f"{incident.declared_at:%Y-%m}", incident.severity_label)].add(incident)
        groups[("all", "all")].add(incident)
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
