"""Alertmanager's webhook notifier, as a stand-in that sends alert groups to the bot.

Builds the body a `webhook_config` receiver POSTs (version 4) the way Alertmanager
builds it: each alert's fingerprint from its labels (FNV-1a, as Prometheus computes it),
`endsAt` as Go's zero time while an alert fires, the group's status (firing while any
alert fires), groupLabels from `group_by`, commonLabels and commonAnnotations from the
alerts sent, groupKey from the route and the group's labels, `max_alerts` truncation,
and Go's JSON encoding. It sends that with `Authorization: Bearer <token>`, as
`http_config.authorization` does, and returns what the bot answered.

It refuses what Alertmanager would never send: an alert without labels or with an
empty label name, one that ends before it starts, an empty group, alerts that
`group_by` would not put together, and (through `send`) a body that is not shaped like
Alertmanager's or Grafana's. A forged body goes through `post`, as bytes.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import aiohttp

VERSION = "4"
# Grafana alerting's webhook: Alertmanager's fields and a few of its own, version 1.
GRAFANA_VERSION = "1"
FIELDS = ("receiver", "status", "alerts", "groupLabels", "commonLabels", "commonAnnotations",
          "externalURL", "version", "groupKey", "truncatedAlerts")
GRAFANA_FIELDS = ("orgId", "title", "state", "message")
# Go's zero time: `endsAt` of an alert still firing.
ZERO_TIME = "0001-01-01T00:00:00Z"
USER_AGENT = "Alertmanager/0.27.0"
_FNV_OFFSET, _FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3
_SEPARATOR = b"\xff"  # a byte that never occurs in UTF-8, between names and values
_QUOTE_META = set("\\.+*?()|[]{}^$")  # what Go's regexp.QuoteMeta escapes


@dataclass(frozen=True)
class FiredAlert:
    """One alert as Prometheus hands it to Alertmanager; resolved once it has `ends_at`."""

    labels: Mapping[str, str]
    starts_at: datetime
    annotations: Mapping[str, str] = field(default_factory=dict)
    ends_at: datetime | None = None
    generator_url: str = ""

    def __post_init__(self) -> None:
        if not self.labels:
            raise ValueError("at least one label pair required")
        if any(not name for name in self.labels):
            raise ValueError("invalid label set: a label name is empty")
        for when in (self.starts_at, self.ends_at):
            if when is not None and when.utcoffset() is None:
                raise ValueError(f"{when} has no time zone; Alertmanager's times always do")
        if self.ends_at is not None and self.ends_at < self.starts_at:
            raise ValueError("start time must be before end time")

    @property
    def status(self) -> str:
        return "firing" if self.ends_at is None else "resolved"

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "labels": dict(sorted(self.labels.items())),
                "annotations": dict(sorted(self.annotations.items())),
                "startsAt": rfc3339(self.starts_at),
                "endsAt": ZERO_TIME if self.ends_at is None else rfc3339(self.ends_at),
                "generatorURL": self.generator_url, "fingerprint": fingerprint(self.labels)}


@dataclass
class Delivery:
    """The bot's answer to one POST."""

    status: int
    body: str
    json: Any

    @property
    def retried(self) -> bool:
        """Whether Alertmanager would send it again: on a 5xx, never on a 4xx."""
        return self.status // 100 == 5


def fingerprint(labels: Mapping[str, str]) -> str:
    """An alert's identity: FNV-1a 64 over its labels sorted by name, as 16 hex digits."""
    digest = _FNV_OFFSET
    for name in sorted(labels):
        for byte in name.encode() + _SEPARATOR + labels[name].encode() + _SEPARATOR:
            digest = ((digest ^ byte) * _FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


def rfc3339(moment: datetime) -> str:
    """As Go writes a time in JSON: RFC 3339 with the fraction's trailing zeros dropped."""
    text = moment.isoformat(timespec="microseconds")
    stamp, zone = text[:26], text[26:]
    stamp = stamp.rstrip("0").rstrip(".")
    return stamp + ("Z" if moment.utcoffset() == timedelta(0) else zone)


def group_key(route: str, group_labels: Mapping[str, str]) -> str:
    """`{route}:{labels}`, the labels sorted and quoted as Go prints a label set."""
    shown = ", ".join(f"{name}={json.dumps(group_labels[name], ensure_ascii=False)}"
                      for name in sorted(group_labels))
    return f"{route}:{{{shown}}}"


def webhook_body(alerts: Sequence[FiredAlert], *, receiver: str = "incident-bot",
                 group_by: Sequence[str] = ("alertname",), route: str = "{}",
                 external_url: str = "http://alertmanager.example.com:9093",
                 max_alerts: int = 0) -> dict[str, Any]:
    """What Alertmanager POSTs for one group of `alerts`."""
    if not alerts:
        raise ValueError("Alertmanager never notifies an empty group")
    group_labels = {name: alerts[0].labels[name] for name in group_by if name in alerts[0].labels}
    for alert in alerts[1:]:
        theirs = {name: alert.labels[name] for name in group_by if name in alert.labels}
        if theirs != group_labels:
            raise ValueError(f"alerts with {theirs} and {group_labels} are not one group "
                             f"when grouped by {list(group_by)}")
    sent = list(alerts[:max_alerts] if max_alerts else alerts)
    common_labels, common_annotations = dict(sent[0].labels), dict(sent[0].annotations)
    for alert in sent[1:]:
        common_labels = {k: v for k, v in common_labels.items() if alert.labels.get(k) == v}
        common_annotations = {k: v for k, v in common_annotations.items()
                              if alert.annotations.get(k) == v}
    return {
        "receiver": "".join("\\" + c if c in _QUOTE_META else c for c in receiver),
        "status": "firing" if any(a.status == "firing" for a in alerts) else "resolved",
        "alerts": [alert.as_json() for alert in sent],
        "groupLabels": dict(sorted(group_labels.items())),
        "commonLabels": dict(sorted(common_labels.items())),
        "commonAnnotations": dict(sorted(common_annotations.items())),
        "externalURL": external_url, "version": VERSION,
        "groupKey": group_key(route, group_labels), "truncatedAlerts": len(alerts) - len(sent),
    }


def encode(body: Mapping[str, Any]) -> bytes:
    """As Go's json.Encoder writes it: compact, `<`, `>` and `&` escaped, a final newline."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                          ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(char, escaped)
    return (text + "\n").encode()


def check_shape(body: Mapping[str, Any]) -> None:
    """Refuse a body Alertmanager (version 4) or Grafana (version 1) would not send."""
    version = body.get("version")
    needed = FIELDS + (GRAFANA_FIELDS if version == GRAFANA_VERSION else ())
    if version not in (VERSION, GRAFANA_VERSION):
        raise ValueError(f"version {version!r} is neither Alertmanager's 4 nor Grafana's 1; "
                         "post() sends a forged body")
    missing = [name for name in needed if name not in body]
    if missing:
        raise ValueError(f"{', '.join(missing)} missing: not what version {version} sends; "
                         "post() sends a forged body")
    if not body["alerts"]:
        raise ValueError("Alertmanager never notifies an empty group")


class AlertmanagerSender:
    """One `webhook_config` receiver pointed at the bot's `/alerts/alertmanager`."""

    def __init__(self, *, url: str, token: str | None, receiver: str = "incident-bot",
                 group_by: Sequence[str] = ("alertname",), route: str = "{}",
                 external_url: str = "http://alertmanager.example.com:9093",
                 max_alerts: int = 0) -> None:
        self.url, self.token = url, token
        self.receiver, self.group_by, self.route = receiver, tuple(group_by), route
        self.external_url, self.max_alerts = external_url, max_alerts

    def body(self, alerts: Sequence[FiredAlert]) -> dict[str, Any]:
        return webhook_body(alerts, receiver=self.receiver, group_by=self.group_by,
                            route=self.route, external_url=self.external_url,
                            max_alerts=self.max_alerts)

    async def notify(self, alerts: Sequence[FiredAlert]) -> Delivery:
        """Send one group of alerts, as Alertmanager does when the group fires or changes."""
        return await self.post(encode(self.body(alerts)))

    async def send(self, body: Mapping[str, Any]) -> Delivery:
        """Send a body already built, Alertmanager's or Grafana's (a recorded one, say)."""
        check_shape(body)
        return await self.post(encode(body))

    async def post(self, data: bytes) -> Delivery:
        """Low level: any bytes, for bodies neither would send."""
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        async with aiohttp.ClientSession() as session, session.post(
                self.url, data=data, headers=headers,
                timeout=aiohttp.ClientTimeout(total=30)) as response:
            text = await response.text()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
        return Delivery(response.status, text, parsed)
