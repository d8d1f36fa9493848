"""PagerDuty Events API v2: an owed event becomes one POST to /v2/enqueue.

Its answers sort as PagerDuty documents them: 202 taken; 429 and 5xx, timeouts and
refused connections are worth another try later (`Busy`); 400, or any other answer,
will never be taken (`Refused`). Re-sending is harmless: every event names the
incident's alert by its dedup_key, so a trigger sent twice is one alert.
"""

import logging
from collections import Counter
from datetime import datetime, timedelta

import aiohttp

from bot.domain.incident import Incident
from bot.domain.meeting import call_link
from bot.domain.notices import PagerDutyEvent
from bot.outbound.metrics import OutboundCalls

log = logging.getLogger(__name__)

SOURCE = "incident-bot"
SUMMARY_LIMIT = 1024
SEVERITY = {1: "critical", 2: "error", 3: "warning", 4: "info"}
SYSTEM = "pagerduty"


class Busy(Exception):
    """Not taken now; try again, after `after` when PagerDuty said how long."""

    def __init__(self, reason: str, after: timedelta | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Refused(Exception):
    """PagerDuty will never take this event as it is."""


def dedup_key(incident: Incident) -> str:
    return incident.ref


def channel_link(channel_id: str) -> str:
    return f"https://slack.com/app_redirect?channel={channel_id}"


def summary(incident: Incident, message: str = "") -> str:
    text = f"{incident.ref} {incident.severity_label}: {incident.title}"
    if message:
        text += f" — {message}"
    return text if len(text) <= SUMMARY_LIMIT else text[:SUMMARY_LIMIT - 1] + "…"


def event(owed: PagerDutyEvent, incident: Incident, *, routing_key: str, at: datetime,
          call: str | None = None) -> dict:
    """The Events API v2 body for an owed event."""
    body: dict = {"routing_key": routing_key, "event_action": owed.action,
                  "dedup_key": dedup_key(incident)}
    if owed.action != "trigger":
        return body
    details = {"incident": incident.ref, "severity": incident.severity_label,
               "status": str(incident.status), "title": incident.title}
    for fact, value in (("message", owed.message), ("reason", owed.reason), ("by", owed.by)):
        if value:
            details[fact] = value
    body["payload"] = {"summary": summary(incident, owed.message), "source": SOURCE,
                       "severity": SEVERITY[incident.severity], "timestamp": at.isoformat(),
                       "component": incident.slug, "class": "incident",
                       "custom_details": details}
    body["client"] = SOURCE
    if incident.channel_id:
        link = channel_link(incident.channel_id)
        body["client_url"] = link
        body["links"] = [{"href": link,
                          "text": f"#{incident.channel_name or incident.ref} in Slack"}]
    if call:
        details["call"] = call
        body.setdefault("links", []).append({"href": call, "text": "Join the call"})
    return body


class PagerDuty:
    """The Events API client: which routing key, one POST, the answer sorted and counted."""

    def __init__(self, *, url: str, routing_key: str | None = None,
                 services: dict[str, str] | None = None, timeout: timedelta = timedelta(seconds=10),
                 calls: OutboundCalls | None = None, meeting_url: str | None = None) -> None:
        self.url = url
        self.meeting_url = meeting_url
        self.routing_key = routing_key
        self.services = {name.lower(): key for name, key in (services or {}).items()}
        self.timeout = timeout
        # (action, outcome) → how many: /metrics shows them.
        self.counts: Counter[tuple[str, str]] = Counter()
        self.calls = calls or OutboundCalls()

    def key_for(self, service: str) -> str:
        """The routing key of a service by name; "" names PAGERDUTY_ROUTING_KEY."""
        key = self.services.get(service.lower()) if service else self.routing_key
        if key is None:
            what = f"service `{service}` in PAGERDUTY_SERVICES" if service else "PAGERDUTY_ROUTING_KEY"
            raise Refused(f"no routing key: {what} is not set")
        return key

    async def deliver(self, owed: PagerDutyEvent, incident: Incident, *, at: datetime) -> str:
        """Send an owed event about the incident."""
        try:
            key = self.key_for(owed.service)
        except Refused:
            self.counts[(owed.action, "unconfigured")] += 1
            raise
        return await self.send(event(owed, incident, routing_key=key, at=at,
                                     call=call_link(self.meeting_url, incident)))

    async def send(self, body: dict) -> str:
        """POST one event; returns the dedup_key PagerDuty filed it under."""
        action = str(body.get("event_action", "?"))
        with self.calls.counting(SYSTEM, action, retry=Busy, refused=Refused):
            return await self._send(action, body)

    async def _send(self, action: str, body: dict) -> str:
        try:
            async with aiohttp.ClientSession() as session, session.post(
                    self.url, json=body,
                    timeout=aiohttp.ClientTimeout(total=self.timeout.total_seconds())) as response:
                status = response.status
                answer = await _json(response)
                retry_after = response.headers.get("Retry-After")
        except (TimeoutError, aiohttp.ClientError) as exc:
            self.counts[(action, "unreachable")] += 1
            raise Busy(f"PagerDuty {action}: {type(exc).__name__}") from None
        if status == 202:
            self.counts[(action, "accepted")] += 1
            return str(answer.get("dedup_key", body.get("dedup_key", "")))
        reason = f"PagerDuty {action}: HTTP {status} {answer.get('message', '')}".strip()
        if status == 429:
            self.counts[(action, "rate_limited")] += 1
            raise Busy(reason, _seconds(retry_after))
        if status >= 500:
            self.counts[(action, "server_error")] += 1
            raise Busy(reason)
        self.counts[(action, "rejected")] += 1
        errors = answer.get("errors") or []
        raise Refused(reason + (f": {'; '.join(map(str, errors))}" if errors else ""))


async def _json(response: aiohttp.ClientResponse) -> dict:
    try:
        answer = await response.json(content_type=None)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _seconds(header: str | None) -> timedelta | None:
    try:
        return timedelta(seconds=max(0.0, float(header))) if header else None
    except ValueError:
        return None
