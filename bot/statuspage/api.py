"""Statuspage REST API v1: an owed public update becomes a POST (the first) or a PATCH.

Answers sort as for PagerDuty: 2xx taken; 429, 5xx, timeouts and refused connections are
worth another try later (`Busy`); any other answer will never be taken (`Refused`).
Unlike PagerDuty, a repeated create is a second public incident, so every create carries
a marker in its metadata, and a create whose outcome is unknown is looked for by it
(`find`) before it is sent again. An update whose outcome is unknown is looked for among
the public incident's latest updates (`shows`): a repeat would show the words twice.
"""

import logging
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from bot.outbound.metrics import OutboundCalls

log = logging.getLogger(__name__)

MARKER = "incident_bot"
NAME_LIMIT = 255
LOOKUP_LIMIT = 100
SYSTEM = "statuspage"


class Busy(Exception):
    """Not taken now; try again, after `after` when Statuspage said how long. `maybe_applied`:
    the request may have been carried out although no answer said so."""

    def __init__(self, reason: str, after: timedelta | None = None,
                 maybe_applied: bool = False, in_flight: bool = False) -> None:
        super().__init__(reason)
        self.after = after
        self.maybe_applied = maybe_applied or in_flight
        # Unanswered: the request may still be on its way, so wait before looking for it.
        self.in_flight = in_flight


class Refused(Exception):
    """Statuspage will never take this request as it is."""


def public_name(title: str) -> str:
    return title if len(title) <= NAME_LIMIT else title[:NAME_LIMIT - 1] + "…"


class Statuspage:
    """One page's incidents: create, update, find; every answer sorted and counted."""

    def __init__(self, *, url: str, page_id: str, api_key: str,
                 timeout: timedelta = timedelta(seconds=10),
                 calls: OutboundCalls | None = None) -> None:
        self.url = url.rstrip("/")
        self.page_id = page_id
        self.api_key = api_key
        self.timeout = timeout
        # (call, outcome) → how many: /metrics shows them.
        self.counts: Counter[tuple[str, str]] = Counter()
        self.calls = calls or OutboundCalls()

    @property
    def _incidents(self) -> str:
        return f"{self.url}/pages/{self.page_id}/incidents"

    async def create(self, *, name: str, status: str, body: str, marker: str,
                     components: Mapping[str, str] | None = None) -> str:
        """Open a public incident; returns its id. `components`: id → the status it shows."""
        answer = await self._call("create", "POST", self._incidents, json={"incident": {
            "name": public_name(name), "status": status, "body": body,
            "metadata": {MARKER: {"incident": marker}}, **_marking(components)}})
        return str(answer["id"])

    async def update(self, public_id: str, *, status: str, body: str,
                     components: Mapping[str, str] | None = None) -> None:
        await self._call("update", "PATCH", f"{self._incidents}/{public_id}",
                         json={"incident": {"status": status, "body": body,
                                            **_marking(components)}})

    async def shows(self, public_id: str, *, status: str, body: str, since: datetime) -> bool:
        """Whether the public incident already shows this update, posted at `since` or later
        (updates carry no metadata, so the words, the status and the time must tell)."""
        shown = await self._call("lookup", "GET", f"{self._incidents}/{public_id}")
        updates = shown.get("incident_updates") if isinstance(shown, dict) else None
        for update in updates if isinstance(updates, list) else []:
            if not isinstance(update, dict) or _at(update.get("created_at")) < since:
                continue
            if update.get("status") == status and update.get("body") == body:
                return True
        return False

    async def find(self, *, name: str, marker: str) -> str | None:
        """The public incident an earlier create opened, if it did: found by its name, or
        among the unresolved ones (the name may have changed since), told by its marker."""
        searched = await self._call("lookup", "GET", self._incidents,
                                    params={"q": public_name(name), "limit": str(LOOKUP_LIMIT)})
        found = _marked(searched, marker)
        if found is None:
            found = _marked(await self._call("lookup", "GET", f"{self._incidents}/unresolved"),
                            marker)
        return found

    async def _call(self, call: str, method: str, url: str, **kwargs: Any) -> Any:
        with self.calls.counting(SYSTEM, call, retry=Busy, refused=Refused):
            return await self._request(call, method, url, **kwargs)

    async def _request(self, call: str, method: str, url: str, **kwargs: Any) -> Any:
        headers = {"Authorization": f"OAuth {self.api_key}"}
        try:
            async with aiohttp.ClientSession() as session, session.request(
                    method, url, headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout.total_seconds()),
                    **kwargs) as response:
                status = response.status
                answer = await _json(response)
                retry_after = response.headers.get("Retry-After")
        except (TimeoutError, aiohttp.ClientError) as exc:
            self.counts[(call, "unreachable")] += 1
            raise Busy(f"Statuspage {call}: {type(exc).__name__}", in_flight=True) from None
        if 200 <= status < 300:
            self.counts[(call, "accepted")] += 1
            return answer
        error = answer.get("error", "") if isinstance(answer, dict) else ""
        reason = f"Statuspage {call}: HTTP {status} {error}".strip()
        if status == 429:
            self.counts[(call, "rate_limited")] += 1
            raise Busy(reason, _seconds(retry_after))
        if status >= 500:
            self.counts[(call, "server_error")] += 1
            raise Busy(reason, maybe_applied=True)
        self.counts[(call, "rejected")] += 1
        raise Refused(reason)


def _marked(incidents: Any, marker: str) -> str | None:
    for incident in incidents if isinstance(incidents, list) else []:
        metadata = (incident.get("metadata") if isinstance(incident, dict) else None) or {}
        if isinstance(metadata.get(MARKER), dict) and metadata[MARKER].get("incident") == marker:
            return str(incident["id"])
    return None


async def _json(response: aiohttp.ClientResponse) -> Any:
    try:
        return await response.json(content_type=None)
    except ValueError:
        return {}


def _at(value: Any) -> datetime:
    """A Statuspage time (ISO 8601, `Z` or an offset); unreadable ones sort first."""
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _seconds(header: str | None) -> timedelta | None:
    try:
        return timedelta(seconds=max(0.0, float(header))) if header else None
    except ValueError:
        return None


def _marking(components: Mapping[str, str] | None) -> dict:
    """Statuspage's `component_ids` (the incident lists them) and `components` (each one's
    status on the page)."""
    if not components:
        return {}
    return {"component_ids": list(components), "components": dict(components)}
