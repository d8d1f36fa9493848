"""Alerts from a monitoring system: what a delivery says, and how it maps onto an incident."""

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote

from bot.domain.channel_names import normalize_slug
from bot.domain.severity import severity_label
from bot.domain.timeline import TimelineEvent

DEFAULT_SEVERITY_MAP = "critical=sev1,error=sev2,warning=sev3,info=sev4"
UNMAPPED_SEVERITY = 3
ALERT_ACTOR = "alertmanager"
FIRING, RESOLVED = "firing", "resolved"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_RUNBOOK_ID = re.compile(r"^RUN-[A-Za-z0-9_-]+$", re.IGNORECASE)
_WEB = re.compile(r"^https?://[^/?#\s]", re.IGNORECASE)
# What a link's address keeps as it is; anything else is percent-encoded, so that neither a
# Slack link (`<url|text>`) nor a Markdown one (`[text](url)`) in a table cell can be ended
# or forged from inside the address.
_URL_SAFE = "-._~:/?#@!$&'*+,;=%"
# The links an alert may carry, in the order they are shown: Alertmanager's graph and
# `runbook_url` annotation, and the ones Grafana puts on each alert.
LINKS = ("graph", "runbook", "dashboard", "panel", "silence")


@dataclass(frozen=True)
class Alert:
    status: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str
    fingerprint: str
    # Grafana's own links to the alert (empty from Alertmanager).
    dashboard_url: str = ""
    panel_url: str = ""
    silence_url: str = ""

    @property
    def name(self) -> str:
        return self.labels.get("alertname", "")

    @property
    def summary(self) -> str:
        return self.annotations.get("summary", "")

    @property
    def description(self) -> str:
        return self.annotations.get("description", "").strip()

    @property
    def links(self) -> dict[str, str]:
        """Name → address of each link it carries that can be shown (web addresses only)."""
        given = dict(zip(LINKS, (self.generator_url, self.annotations.get("runbook_url", ""),
                                 self.dashboard_url, self.panel_url, self.silence_url),
                         strict=True))
        return {name: shown for name, url in given.items() if (shown := web_link(url))}

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

    def apart(self, alert: Alert) -> dict[str, str]:
        """Its labels that the group's alerts do not all share (`instance=checkout-2:9100`):
        what tells it from the others. Its name is shown anyway; a group of one has none."""
        return {name: value for name, value in sorted(alert.labels.items())
                if name != "alertname"
                and any(other.labels.get(name) != value for other in self.alerts)}

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
    """`HighRequestLatency`, `high_request_latency` → `high-request-latency`: kebab case, the
    words of a CamelCase or snake_case name kept apart, so that slug patterns in runbooks
    (`high-*`) match them however the alert rule spells its name."""
    return normalize_slug(_CAMEL.sub("-", alertname).replace("_", "-"))


def web_link(url: str) -> str:
    """An http(s) address as safe to put in a link, or "" for anything else (a `javascript:`
    or `slack:` address, or text that is no address, is never made a link)."""
    url = url.strip()
    return quote(url, safe=_URL_SAFE) if _WEB.match(url) else ""


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
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class AlertSource:
    """Where an alert comes from and how to tell it from the others of its group: its labels
    that set it apart (`instance=checkout-2:9100`), its description and its links. As text,
    the address of its graph, which is all a row's source said before."""

    graph: str
    apart: tuple[str, ...] = ()
    description: str = ""
    links: tuple[Link, ...] = ()

    def __str__(self) -> str:
        return self.graph


@dataclass(frozen=True)
class AlertRow:
    """One alert of the incident, from its firing to its resolving (if seen)."""

    fired: datetime
    resolved: datetime | None
    name: str
    summary: str
    source: AlertSource


def alert_facts(group: AlertGroup, alert: Alert) -> dict[str, object]:
    """What an alert_firing or alert_resolved event keeps of its alert: enough to show its
    line in the channel and its row in the export again from the record alone."""
    facts: dict[str, object] = {
        "alertname": alert.name, "summary": alert.summary, "fingerprint": alert.fingerprint,
        "generatorURL": alert.generator_url, "startsAt": alert.starts_at.isoformat(),
        "labels": dict(alert.labels), "apart": group.apart(alert),
        "description": alert.description, "links": alert.links}
    if alert.ends_at is not None:
        facts["endsAt"] = alert.ends_at.isoformat()
    return facts


def _source(data: Mapping[str, object], apart: Mapping[str, str] | None) -> AlertSource:
    graph = str(data.get("generatorURL", ""))
    if apart is None:  # recorded without its labels: what its delivery told it apart by
        recorded = data.get("apart")
        apart = recorded if isinstance(recorded, dict) else {}
    links = data.get("links")
    if not isinstance(links, dict):  # recorded before alerts kept their links
        links = {"graph": web_link(graph)} if web_link(graph) else {}
    return AlertSource(
        graph=graph, apart=tuple(f"{k}={v}" for k, v in apart.items()),
        description=str(data.get("description", "")),
        links=tuple(Link(str(label), str(url)) for label, url in links.items()))


def _labels(data: Mapping[str, object]) -> dict[str, str] | None:
    labels = data.get("labels")
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else None


def _apart(labels: list[dict[str, str] | None]) -> list[dict[str, str] | None]:
    """Each alert's labels that not all the incident's alerts share: over the whole incident,
    not one delivery, so that an alert that came alone is told from those that came later."""
    known = [found for found in labels if found is not None]
    return [None if found is None else
            {name: value for name, value in sorted(found.items()) if name != "alertname"
             and any(other.get(name) != value for other in known)}
            for found in labels]


def alert_rows(events: Iterable[TimelineEvent]) -> list[AlertRow]:
    facts: list[tuple[datetime, datetime | None, Mapping[str, object]]] = []
    open_rows: dict[str, int] = {}  # fingerprint: its row still firing
    for e in events:
        if e.action not in ("alert_firing", "alert_resolved"):
            continue
        fingerprint = str(e.data.get("fingerprint", ""))
        ends = e.data.get("endsAt")
        resolved = (datetime.fromisoformat(str(ends)) if ends else e.at) \
            if e.action == "alert_resolved" else None
        if fingerprint in open_rows and resolved is not None:
            n = open_rows.pop(fingerprint)
            facts[n] = (facts[n][0], resolved, facts[n][2])
            continue
        if resolved is None:
            open_rows[fingerprint] = len(facts)
        facts.append((datetime.fromisoformat(str(e.data.get("startsAt") or e.at.isoformat())),
                      resolved, e.data))
    apart = _apart([_labels(data) for _, _, data in facts])
    return [AlertRow(fired, resolved, str(data.get("alertname", "")),
                     str(data.get("summary", "")), _source(data, told))
            for (fired, resolved, data), told in zip(facts, apart, strict=True)]
