"""A local stand-in of the Atlassian Statuspage REST API v1 that keeps its rules.

Runs on 127.0.0.1 and answers, for one page and one API key:
- `POST /pages/{page_id}/incidents` → 201 with the new incident;
- `PATCH /pages/{page_id}/incidents/{incident_id}` → 200 with the incident updated;
- `GET /pages/{page_id}/incidents[?q=…&limit=…&page=…]` → 200, newest first;
- `GET /pages/{page_id}/incidents/unresolved` and `GET …/incidents/{incident_id}`.
As Statuspage does: `Authorization: OAuth <key>` (or `?api_key=`) or 401; an unknown
page or incident is 404; a body that is not `{"incident": {…}}`, a missing name or a
status outside investigating|identified|monitoring|resolved is 422; more requests than
`rate` a second for the key is 429. Scripted faults give 429 or 5xx or a slow answer;
a slow answer still applies the request, as a real one whose answer is lost would.
"""

import asyncio
import json
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bot.standin.local_server import LocalServer

STATUSES = ("investigating", "identified", "monitoring", "resolved")
IMPACTS = ("none", "minor", "major", "critical")
COMPONENT_STATUSES = ("operational", "under_maintenance", "degraded_performance",
                      "partial_outage", "major_outage")
NAME_LIMIT = 255
PAGE_LIMIT = 100


@dataclass
class Received:
    """One request as it arrived, with the status it was answered with."""

    method: str
    path: str
    body: Any
    status: int
    at: float


@dataclass
class PublicIncident:
    id: str
    name: str
    status: str
    impact: str
    metadata: dict
    component_ids: list[str]
    created_at: str
    updates: list[dict] = field(default_factory=list)
    resolved_at: str | None = None

    def shown(self, page_id: str) -> dict:
        return {"id": self.id, "name": self.name, "status": self.status, "impact": self.impact,
                "page_id": page_id, "created_at": self.created_at,
                "updated_at": self.updates[-1]["created_at"], "started_at": self.created_at,
                "resolved_at": self.resolved_at, "monitoring_at": None,
                "shortlink": f"https://stspg.io/{self.id[:7]}", "metadata": self.metadata,
                "components": [{"id": c} for c in self.component_ids],
                # Statuspage lists an incident's updates newest first.
                "incident_updates": list(reversed(self.updates))}


@dataclass
class _Fault:
    status: int | None = None
    delay: float = 0
    retry_after: float | None = None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeStatuspage(LocalServer):
    def __init__(self, *, page_id: str = "pg0standin0", api_key: str = "standin-api-key",
                 rate: float | None = None) -> None:
        self.page_id = page_id
        self.api_key = api_key
        # Requests a second the key may make (Statuspage documents a per-key limit); None: no limit.
        self.rate = rate
        self.received: list[Received] = []
        self.incidents: dict[str, PublicIncident] = {}
        # Each component's status on the page, as incidents set it (`components`).
        self.component_status: dict[str, str] = {}
        self._faults: deque[_Fault] = deque()
        self._last: float | None = None
        self.url = ""

    # lifecycle ------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application()
        base = "/v1/pages/{page_id}/incidents"
        app.router.add_post(base, self._create)
        app.router.add_get(base, self._list)
        app.router.add_get(base + "/unresolved", self._unresolved)
        app.router.add_get(base + "/{incident_id}", self._show)
        app.router.add_patch(base + "/{incident_id}", self._update)
        port = await self._listen(app)
        self.url = f"http://127.0.0.1:{port}/v1"
        return self.url

    # what happened ----------------------------------------------------------------
    def calls(self, method: str | None = None) -> list[Received]:
        return [r for r in self.received if method is None or r.method == method]

    # faults -------------------------------------------------------------------------
    def fault(self, *, status: int | None = None, delay: float = 0,
              retry_after: float | None = None, times: int = 1) -> None:
        """The next requests fail with `status` (429, 500, …) or answer after `delay`."""
        for _ in range(times):
            self._faults.append(_Fault(status, delay, retry_after))

    # HTTP ---------------------------------------------------------------------------
    async def _create(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, self._apply_create)

    async def _update(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, self._apply_update)

    async def _list(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, self._apply_list)

    async def _unresolved(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, self._apply_unresolved)

    async def _show(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, self._apply_show)

    async def _serve(self, request: web.Request, apply: Any) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        fault = self._faults.popleft() if self._faults else None
        if fault and fault.status:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            return self._failure(request, body, fault)
        status, answer = self._check(request)
        if status == 200:
            status, answer = apply(request, body)
        if fault and fault.delay:
            # Applied already: the caller who stops waiting does not undo it.
            await asyncio.sleep(fault.delay)
        return self._answer(request, body, status, answer)

    def _check(self, request: web.Request) -> tuple[int, Any]:
        header = request.headers.get("Authorization", "")
        key = header.removeprefix("OAuth ").strip() if header.startswith("OAuth ") else \
            request.query.get("api_key", "")
        if key != self.api_key:
            return 401, {"error": "Could not authenticate"}
        if request.match_info["page_id"] != self.page_id:
            return 404, {"error": "The page could not be found."}
        now = time.monotonic()
        if self.rate is not None and self._last is not None and now - self._last < 1 / self.rate:
            return 429, {"error": "Rate limit exceeded. Retry later."}
        self._last = now
        return 200, None

    def _apply_create(self, request: web.Request, body: Any) -> tuple[int, Any]:
        fields, problem = _incident_fields(body)
        if problem:
            return 422, {"error": problem}
        name = fields.get("name")
        if not isinstance(name, str) or not name.strip():
            return 422, {"error": "Name can't be blank"}
        if len(name) > NAME_LIMIT:
            return 422, {"error": f"Name is too long (maximum is {NAME_LIMIT} characters)"}
        status = fields.get("status", "investigating")
        problem = _status_problem(status) or _field_problems(fields)
        if problem:
            return 422, {"error": problem}
        at = _now()
        incident = PublicIncident(
            id=uuid.uuid4().hex[:12], name=name, status=status,
            impact=fields.get("impact_override") or "none", metadata=fields.get("metadata") or {},
            component_ids=list(fields.get("component_ids") or []), created_at=at,
            resolved_at=at if status == "resolved" else None)
        incident.updates.append(_update(incident, fields.get("body") or "", at))
        self.incidents[incident.id] = incident
        self.component_status.update(fields.get("components") or {})
        return 201, incident.shown(self.page_id)

    def _apply_update(self, request: web.Request, body: Any) -> tuple[int, Any]:
        incident = self.incidents.get(request.match_info["incident_id"])
        if incident is None:
            return 404, {"error": "The incident could not be found."}
        fields, problem = _incident_fields(body)
        if problem:
            return 422, {"error": problem}
        if "name" in fields and (not isinstance(fields["name"], str) or not fields["name"].strip()):
            return 422, {"error": "Name can't be blank"}
        problem = ("status" in fields and _status_problem(fields["status"])) or \
            _field_problems(fields)
        if problem:
            return 422, {"error": problem}
        at = _now()
        incident.name = fields.get("name", incident.name)
        incident.status = fields.get("status", incident.status)
        if "component_ids" in fields:
            incident.component_ids = list(fields["component_ids"])
        self.component_status.update(fields.get("components") or {})
        if incident.status == "resolved" and incident.resolved_at is None:
            incident.resolved_at = at
        if "status" in fields or fields.get("body"):
            incident.updates.append(_update(incident, fields.get("body") or "", at))
        return 200, incident.shown(self.page_id)

    def _apply_list(self, request: web.Request, body: Any) -> tuple[int, Any]:
        try:
            limit = min(int(request.query.get("limit", PAGE_LIMIT)), PAGE_LIMIT)
            page = max(int(request.query.get("page", 1)), 1)
        except ValueError:
            return 400, {"error": "limit and page are numbers"}
        query = request.query.get("q", "").lower()
        found = [i for i in reversed(self.incidents.values())
                 if not query or query in i.name.lower() or query in i.status
                 or any(query in u["body"].lower() for u in i.updates)]
        return 200, [i.shown(self.page_id) for i in found[(page - 1) * limit:page * limit]]

    def _apply_unresolved(self, request: web.Request, body: Any) -> tuple[int, Any]:
        return 200, [i.shown(self.page_id) for i in reversed(self.incidents.values())
                     if i.status != "resolved"]

    def _apply_show(self, request: web.Request, body: Any) -> tuple[int, Any]:
        incident = self.incidents.get(request.match_info["incident_id"])
        if incident is None:
            return 404, {"error": "The incident could not be found."}
        return 200, incident.shown(self.page_id)

    def _failure(self, request: web.Request, body: Any, fault: _Fault) -> web.Response:
        headers = {}
        if fault.status == 429:
            answer = {"error": "Rate limit exceeded. Retry later."}
            if fault.retry_after is not None:
                headers["Retry-After"] = str(int(fault.retry_after))
        elif fault.status is not None and fault.status < 500:
            answer = {"error": "scripted refusal"}
        else:
            answer = {"error": "Internal server error"}
        return self._answer(request, body, fault.status or 500, answer, headers)

    def _answer(self, request: web.Request, body: Any, status: int, answer: Any,
                headers: dict[str, str] | None = None) -> web.Response:
        self.received.append(Received(request.method, request.path_qs, body, status, time.time()))
        return web.json_response(answer, status=status, headers=headers)


def _incident_fields(body: Any) -> tuple[dict, str]:
    if not isinstance(body, dict) or not isinstance(body.get("incident"), dict):
        return {}, "incident is missing or not an object"
    return body["incident"], ""


def _status_problem(status: Any) -> str:
    if status not in STATUSES:
        return f"Status is not included in the list ({', '.join(STATUSES)})"
    return ""


def _field_problems(fields: dict) -> str:
    if "body" in fields and fields["body"] is not None and not isinstance(fields["body"], str):
        return "Body must be text"
    impact = fields.get("impact_override")
    if impact is not None and impact not in IMPACTS:
        return f"Impact override is not included in the list ({', '.join(IMPACTS)})"
    if "deliver_notifications" in fields and not isinstance(fields["deliver_notifications"], bool):
        return "Deliver notifications must be true or false"
    components = fields.get("component_ids")
    if components is not None and (not isinstance(components, list)
                                   or not all(isinstance(c, str) for c in components)):
        return "Component ids must be a list of ids"
    statuses = fields.get("components")
    if statuses is not None:
        if not isinstance(statuses, dict):
            return "Components must be an object of component id to status"
        wrong = [s for s in statuses.values() if s not in COMPONENT_STATUSES]
        if wrong:
            return (f"Component status {wrong[0]!r} is not included in the list "
                    f"({', '.join(COMPONENT_STATUSES)})")
    if "metadata" in fields and not isinstance(fields["metadata"], dict):
        return "Metadata must be an object"
    return ""


def _update(incident: PublicIncident, body: str, at: str) -> dict:
    return {"id": uuid.uuid4().hex[:12], "incident_id": incident.id, "status": incident.status,
            "body": body, "created_at": at, "display_at": at, "updated_at": at}
