"""Alerts from a monitoring system: what a delivery says, and how it maps onto an incident."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.channel_names import normalize_slug
from bot.domain.severity import severity_label
from bot.domain.timeline import TimelineEvent

DEFAULT_SEVERITY_MAP = "critical=sev1,error=sev2,warning=sev3,info=sev4"
UNMAPPED_SEVERITY = 3
ALERT_ACTOR = "alertmanager"
FIRING, RESOLVED = "firing", "resolved"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_RUNBOOK_ID = re.compile(r"^RUN-[A-Za-z0-9_-]+$", re.IGNORECASE)


@dataclass(frozen=True)
class Alert:
    status: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str
    fingerprint: str

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def summary(self) -> str:
        return self.annotations.get("summary", "")

    @property
    def firing(self) -> bool:
        return self.status == FIRING


@dataclass(frozen=True)
class AlertGroup:
    """One delivery: a group of alerts under its `groupKey`."""

    group_key: str
    status: str
    alerts: Sequence[Alert]
    common_labels: Mapping[str, str] = field(default_factory=dict)
    common_annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if a.firing]

    @property
    def alertname(self) -> str:
        return self.common_labels.get("alertname") or next(
            (a.name for a in self.firing + list(self.alerts) if a.name), "")

    @property
    def slug(self) -> str:
        return alert_slug(self.alertname) or "alert"

    @property
    def title(self) -> str:
        summary = self.common_annotations.get("summary") or next(
            (a.summary for a in self.firing if a.summary), "")
        return summary or self.alertname or self.slug

    def runbook_ids(self) -> list[str]:
        """`runbook` as a label or annotation naming a runbook id (RUN-…), first seen first."""
        found: list[str] = []
        for source in (self.common_labels, self.common_annotations,
                       *(m for a in self.firing for m in (a.labels, a.annotations))):
            value = source.get("runbook", "").strip()
            if _RUNBOOK_ID.match(value) and value.upper() not in found:
                found.append(value.upper())
        return found


def alert_slug(alertname: str) -> str:
    """`HighRequestLatency` → `high-request-latency`: the words of a CamelCase name stay apart,
    so slug patterns in runbooks (`high-*`) can match them."""
    return normalize_slug(_CAMEL.sub("-", alertname))


def parse_severity_map(text: str) -> dict[str, int]:
    """`critical=sev1,warning=p3,…` → {"critical": 1, "warning": 3}; label values in any case."""
    mapped: dict[str, int] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        label, sep, sev = (s.strip() for s in part.partition("="))
        match = re.fullmatch(r"(?:sev|p)([1-4])", sev.lower())
        if not sep or not label or match is None:
            raise ValueError(f"`{part}` is not label=sev1..sev4")
        mapped[label.lower()] = int(match.group(1))
    return mapped


@dataclass(frozen=True)
class Severity:
    level: int
    note: str = ""  # why the level is not the one the label asked for


def group_severity(group: AlertGroup, severities: Mapping[str, int]) -> Severity:
    """The most severe of the firing alerts' `severity` labels through the map; a label the
    map does not know counts as SEV3, and the note says so."""
    labels = [a.labels.get("severity", "") for a in group.firing] or \
        [group.common_labels.get("severity", "")]
    levels: list[Severity] = []
    for label in labels:
        level = severities.get(label.strip().lower())
        if level is not None:
            levels.append(Severity(level))
        else:
            shown = f"severity `{label}`" if label else "no severity label"
            levels.append(Severity(UNMAPPED_SEVERITY, f"{shown} is not in ALERT_SEVERITY_MAP: "
                                                      f"{severity_label(UNMAPPED_SEVERITY)}"))
    return min(levels, key=lambda s: (s.level, s.note == ""))


def detected_at(events: Iterable[TimelineEvent]) -> datetime | None:
    """When the first alert behind the incident started firing (its `startsAt`)."""
    starts = [datetime.fromisoformat(e.data["startsAt"]) for e in events
              if e.action == "alert_firing" and e.data.get("startsAt")]
    return min(starts) if starts else None


@dataclass(frozen=True)
class AlertRow:
    """One alert of the incident, from its firing to its resolving (if seen)."""

    fired: datetime
    resolved: datetime | None
    name: str
    summary: str
    source: str


def alert_rows(events: Iterable[TimelineEvent]) -> list[AlertRow]:
    rows: list[AlertRow] = []
    open_rows: dict[str, int] = {}  # fingerprint: its row still firing
    for e in events:
        if e.action not in ("alert_firing", "alert_resolved"):
            continue
        fingerprint = str(e.data.get("fingerprint", ""))
        ends = e.data.get("endsAt")
        if e.action == "alert_resolved" and fingerprint in open_rows:
            n = open_rows.pop(fingerprint)
            rows[n] = AlertRow(rows[n].fired, datetime.fromisoformat(ends) if ends else e.at,
                               rows[n].name, rows[n].summary, rows[n].source)
            continue
        row = AlertRow(datetime.fromisoformat(str(e.data.get("startsAt") or e.at.isoformat())),
                       None, str(e.data.get("alertname", "")), str(e.data.get("summary", "")),
                       str(e.data.get("generatorURL", "")))
        if e.action == "alert_resolved":
            row = AlertRow(row.fired, datetime.fromisoformat(ends) if ends else e.at,
                           row.name, row.summary, row.source)
        else:
            open_rows[fingerprint] = len(rows)
        rows.append(row)
    return rows
