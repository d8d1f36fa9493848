"""Alertmanager's webhook body (version 4), and Grafana alerting's, which has the same shape.

Fields the bot does not use (receiver, externalURL, Grafana's title, state, orgId…) are
accepted and ignored; Grafana's links on each alert (dashboardURL, panelURL, silenceURL) are
kept beside the generator's. What the bot keeps of the text (labels, annotations, the group key, the
generator's and Grafana's URLs) has any secret taken out first: an alert rule may template one in.
"""

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.domain.alerts import FIRING, RESOLVED, Alert, AlertGroup
from bot.redaction import redact

# Alertmanager's webhook is version 4; Grafana alerting's, with the same fields, version 1.
VERSIONS = ("4", "1")
# RFC 3339 as Go writes it: up to nanoseconds, which Python's parser does not take.
_TIMESTAMP = re.compile(
    r"^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$")
# Go's zero time: what Alertmanager sends as endsAt of an alert still firing.
_ZERO_YEAR = 1


class BadPayload(ValueError):
    """The body is not an alert webhook this bot reads; the message says why."""


def parse(body: bytes) -> AlertGroup:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BadPayload(f"the body is not JSON: {error}") from None
    if not isinstance(data, dict):
        raise BadPayload("the body is not a JSON object")
    version = data.get("version")
    if version is not None and str(version) not in VERSIONS:
        raise BadPayload(f"version {version!r} is not supported (only 4, or Grafana's 1)")
    group_key = data.get("groupKey")
    if not isinstance(group_key, str) or not group_key:
        raise BadPayload("groupKey is missing")
    alerts = data.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise BadPayload("alerts is missing or empty")
    status = _status(data.get("status"), "status")
    return AlertGroup(
        group_key=redact(group_key).text, status=status,
        alerts=[_alert(a, n) for n, a in enumerate(alerts)],
        common_labels=_clean(_strings(data.get("commonLabels"), "commonLabels")),
        common_annotations=_clean(_strings(data.get("commonAnnotations"), "commonAnnotations")),
    )


def _alert(data: object, n: int) -> Alert:
    where = f"alerts[{n}]"
    if not isinstance(data, dict):
        raise BadPayload(f"{where} is not an object")
    labels = _strings(data.get("labels"), f"{where}.labels")
    status = _status(data.get("status"), f"{where}.status")
    starts_at = timestamp(data.get("startsAt"), f"{where}.startsAt")
    assert starts_at is not None
    ends_at = timestamp(data.get("endsAt"), f"{where}.endsAt", optional=True)
    fingerprint = data.get("fingerprint")
    if not isinstance(fingerprint, str) or not fingerprint:
        # The same label set is the same alert: what Alertmanager's fingerprint stands for.
        fingerprint = hashlib.sha256(
            json.dumps(labels, sort_keys=True).encode()).hexdigest()[:16]
    return Alert(status=status, labels=_clean(labels),
                 annotations=_clean(_strings(data.get("annotations"), f"{where}.annotations")),
                 starts_at=starts_at, ends_at=None if status == FIRING else ends_at,
                 generator_url=_url(data, "generatorURL"), fingerprint=fingerprint[:200],
                 dashboard_url=_url(data, "dashboardURL"), panel_url=_url(data, "panelURL"),
                 silence_url=_url(data, "silenceURL"))


def _url(data: Mapping[str, object], name: str) -> str:
    """A link the alert carries; anything but a string (Grafana's are strings) is none."""
    url = data.get(name)
    return redact(url).text if isinstance(url, str) else ""


def _clean(strings: Mapping[str, str]) -> Mapping[str, str]:
    return {name: redact(value).text for name, value in strings.items()}


def _status(value: object, where: str) -> str:
    if value not in (FIRING, RESOLVED):
        raise BadPayload(f"{where} is {value!r}, not firing or resolved")
    assert isinstance(value, str)
    return value


def _strings(value: object, where: str) -> Mapping[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadPayload(f"{where} is not an object")
    return {str(k): v if isinstance(v, str) else json.dumps(v) for k, v in value.items()}


def timestamp(value: Any, where: str, *, optional: bool = False) -> datetime | None:
    if optional and value in (None, ""):
        return None
    match = _TIMESTAMP.match(value) if isinstance(value, str) else None
    if match is None:
        raise BadPayload(f"{where} is {value!r}, not an RFC 3339 timestamp")
    seconds, fraction, zone = match.groups()
    text = seconds.replace(" ", "T").replace("t", "T") + (
        f".{fraction[:6]:0<6}" if fraction else "") + ("+00:00" if zone in "Zz" else zone)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadPayload(f"{where} is {value!r}, not an RFC 3339 timestamp") from None
    if parsed.year == _ZERO_YEAR:
        if optional:
            return None
        raise BadPayload(f"{where} is Go's zero time")
    return parsed.astimezone(UTC)
