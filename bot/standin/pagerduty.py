"""A local stand-in of PagerDuty's Events API v2, and of the REST API's on-call list, that
keeps their rules.

Runs on 127.0.0.1 and answers `POST /v2/enqueue` as PagerDuty does: 202 with the
dedup_key for a valid event, 400 "invalid event" with the reasons for a malformed
one, and, when told, 429 or 5xx or a slow answer. It keeps every alert by routing
key and dedup_key (triggered, acknowledged, resolved), so tests can ask what an
on-call engineer's phone would show.

`GET /oncalls` (at `rest_url`) lists who is on call, as the REST API does: the
`Authorization: Token token=<api token>` header or 401, the
`application/vnd.pagerduty+json;version=2` Accept header or 406, `limit` (at most 100)
and `offset` paging with `more`, users as references unless `include[]=users`, and
errors as `{"error": {"message", "code"[, "errors"]}}`. Its faults (`oncall_fault`) are
its own: 429 with Retry-After, 5xx, or a hang.
"""

import asyncio
import json
import time
import uuid
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.standin.local_server import LocalServer

ACTIONS = ("trigger", "acknowledge", "resolve")
SEVERITIES = ("critical", "error", "warning", "info")
ROUTING_KEY_LENGTH = 32
SUMMARY_LIMIT = 1024
DEDUP_KEY_LIMIT = 255
BODY_LIMIT = 512 * 1024


@dataclass
class Received:
    """One request as it arrived, with the status it was answered with."""

    body: Any
    status: int
    at: float


@dataclass
class Alert:
    routing_key: str
    dedup_key: str
    summary: str
    severity: str
    status: str = "triggered"  # acknowledged, resolved
    # The events applied to this alert, in order (a trigger on an open alert adds one).
    events: list[dict] = field(default_factory=list)


@dataclass
class OnCallRequest:
    """One `GET /oncalls` as it arrived, with the status it was answered with."""

    query: str
    headers: dict[str, str]
    status: int


@dataclass
class OnCallEntry:
    escalation_policy_id: str
    level: int
    user: dict


@dataclass
class _Fault:
    status: int | None = None
    delay: float = 0
    retry_after: float | None = None


def _problems(event: Any) -> list[str]:
    """What PagerDuty would say is wrong with an event; empty when it is valid."""
    if not isinstance(event, dict):
        return ["Event object is invalid"]
    errors = []
    key = event.get("routing_key")
    if not isinstance(key, str) or not key:
        errors.append("'routing_key' is missing or blank")
    elif len(key) != ROUTING_KEY_LENGTH:
        errors.append(f"Length of 'routing_key' is incorrect (should be {ROUTING_KEY_LENGTH} characters)")
    action = event.get("event_action")
    if action not in ACTIONS:
        errors.append("'event_action' is missing or invalid (should be one of: "
                      + ", ".join(ACTIONS) + ")")
    dedup = event.get("dedup_key")
    if dedup is not None and (not isinstance(dedup, str) or len(dedup) > DEDUP_KEY_LIMIT):
        errors.append(f"'dedup_key' must be a string of at most {DEDUP_KEY_LIMIT} characters")
    if action in ("acknowledge", "resolve") and not dedup:
        errors.append(f"'dedup_key' is required for an {action} event")
    if action == "trigger":
        errors += _payload_problems(event.get("payload"))
    links = event.get("links", [])
    if not isinstance(links, list) or any(
            not isinstance(link, dict) or not isinstance(link.get("href"), str) or not link["href"]
            for link in links):
        errors.append("'links' must be a list of objects each with an 'href'")
    return errors


def _payload_problems(payload: Any) -> list[str]:
    if not isinstance(payload, dict):
        return ["'payload' is missing or not an object"]
    errors = []
    summary = payload.get("summary")
    if not isinstance(summary, str) or not summary.strip():
        errors.append("'payload.summary' is missing or blank")
    elif len(summary) > SUMMARY_LIMIT:
        errors.append(f"'payload.summary' is longer than {SUMMARY_LIMIT} characters")
    if not isinstance(payload.get("source"), str) or not payload["source"].strip():
        errors.append("'payload.source' is missing or blank")
    if payload.get("severity") not in SEVERITIES:
        errors.append("'payload.severity' is missing or invalid (should be one of: "
                      + ", ".join(SEVERITIES) + ")")
    if "custom_details" in payload and not isinstance(payload["custom_details"], dict | str):
        errors.append("'payload.custom_details' must be an object")
    return errors


class FakePagerDuty(LocalServer):
    def __init__(self, *, api_token: str = "pd-standin-api-token") -> None:
        self.received: list[Received] = []
        self.alerts: dict[tuple[str, str], Alert] = {}
        self._faults: deque[_Fault] = deque()
        self.url = ""
        # The REST API: its key, who is on call, the list requests it answered.
        self.api_token = api_token
        self.oncalls: list[OnCallEntry] = []
        self.oncall_requests: list[OnCallRequest] = []
        self._oncall_faults: deque[_Fault] = deque()
        self.rest_url = ""

    # lifecycle ------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=BODY_LIMIT * 2)
        app.router.add_post("/v2/enqueue", self._enqueue)
        app.router.add_get("/oncalls", self._list_oncalls)
        port = await self._listen(app)
        self.url = f"http://127.0.0.1:{port}/v2/enqueue"
        self.rest_url = f"http://127.0.0.1:{port}"
        return self.url

    # the on-call list ---------------------------------------------------------------
    def on_call(self, escalation_policy_id: str, level: int, name: str, email: str) -> None:
        """`name` (`email`) is on call now at `level` of the policy."""
        user_id = f"P{zlib.crc32(email.encode()) % 10**6:06d}"
        self.oncalls.append(OnCallEntry(escalation_policy_id, level, {
            "id": user_id, "type": "user", "name": name, "email": email,
            "summary": name, "html_url": f"https://standin.pagerduty.com/users/{user_id}"}))

    def oncall_fault(self, *, status: int | None = None, delay: float = 0,
                     retry_after: float | None = None, times: int = 1) -> None:
        """The next on-call requests fail with `status` (429, 500, …), after `delay`."""
        for _ in range(times):
            self._oncall_faults.append(_Fault(status, delay, retry_after))

    async def _list_oncalls(self, request: web.Request) -> web.Response:
        fault = self._oncall_faults.popleft() if self._oncall_faults else None
        if fault and fault.delay:
            await asyncio.sleep(fault.delay)
        if fault and fault.status:
            headers = {"Retry-After": str(int(fault.retry_after))} \
                if fault.status == 429 and fault.retry_after is not None else {}
            message = "Rate Limit Exceeded" if fault.status == 429 else "Internal Server Error"
            return self._rest_answer(request, fault.status,
                                     {"error": {"message": message, "code": 2020}}, headers)
        if request.headers.get("Authorization") != f"Token token={self.api_token}":
            return self._rest_answer(request, 401, {"error": {
                "message": "Authentication failed", "code": 2006}})
        if request.headers.get("Accept") != "application/vnd.pagerduty+json;version=2":
            return self._rest_answer(request, 406, {"error": {
                "message": "Not Acceptable: use application/vnd.pagerduty+json;version=2",
                "code": 2001}})
        query = request.query
        problems = []
        includes = query.getall("include[]", [])
        if any(i not in ("escalation_policies", "users", "schedules") for i in includes):
            problems.append("Include is not one of: escalation_policies, users, schedules")
        try:
            limit, offset = int(query.get("limit", 25)), int(query.get("offset", 0))
        except ValueError:
            limit, offset = 0, 0
            problems.append("Limit and offset must be integers")
        if limit > 100 or limit < 1 or offset < 0:
            problems.append("Limit must be between 1 and 100, offset at least 0")
        if query.get("earliest", "false") not in ("true", "false"):
            problems.append("Earliest must be true or false")
        if problems:
            return self._rest_answer(request, 400, {"error": {
                "message": "Invalid Input Provided", "code": 2001, "errors": problems}})
        policies = set(query.getall("escalation_policy_ids[]", []))
        found = [e for e in self.oncalls if not policies or e.escalation_policy_id in policies]
        page = found[offset:offset + limit]
        shown = [{"escalation_policy": {"id": e.escalation_policy_id,
                                        "type": "escalation_policy_reference"},
                  "escalation_level": e.level, "schedule": None, "start": None, "end": None,
                  "user": e.user if "users" in includes else {
                      "id": e.user["id"], "type": "user_reference", "summary": e.user["name"]}}
                 for e in page]
        return self._rest_answer(request, 200, {
            "oncalls": shown, "limit": limit, "offset": offset,
            "more": offset + limit < len(found), "total": None})

    def _rest_answer(self, request: web.Request, status: int, answer: dict,
                     headers: dict[str, str] | None = None) -> web.Response:
        self.oncall_requests.append(OnCallRequest(request.query_string, dict(request.headers), status))
        return web.json_response(answer, status=status, headers=headers)

    # what happened ----------------------------------------------------------------
    @property
    def events(self) -> list[dict]:
        """The events PagerDuty accepted, in order."""
        return [r.body for r in self.received if r.status == 202]

    def alert(self, routing_key: str, dedup_key: str) -> Alert | None:
        return self.alerts.get((routing_key, dedup_key))

    # faults -------------------------------------------------------------------------
    def fault(self, *, status: int | None = None, delay: float = 0,
              retry_after: float | None = None, times: int = 1) -> None:
        """The next requests fail with `status` (429, 500, …) or answer after `delay`."""
        for _ in range(times):
            self._faults.append(_Fault(status, delay, retry_after))

    # HTTP ---------------------------------------------------------------------------
    async def _enqueue(self, request: web.Request) -> web.Response:
        raw = await request.read()
        fault = self._faults.popleft() if self._faults else None
        if fault and fault.delay:
            await asyncio.sleep(fault.delay)
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        if fault and fault.status:
            return self._answer(body, fault.status, *self._failure(fault))
        if len(raw) > BODY_LIMIT:
            return self._answer(body, 400, {"status": "invalid event",
                                            "message": "Event object is invalid",
                                            "errors": ["Event is larger than 512 KB"]})
        if not request.content_type == "application/json" or not isinstance(body, dict):
            return self._answer(body, 400, {"status": "invalid event",
                                            "message": "Event object is invalid",
                                            "errors": ["Request body is not a JSON object"]})
        errors = _problems(body)
        if errors:
            return self._answer(body, 400, {"status": "invalid event",
                                            "message": "Event object is invalid", "errors": errors})
        dedup_key = body.get("dedup_key") or uuid.uuid4().hex
        self._apply(body, dedup_key)
        return self._answer(body, 202, {"status": "success", "message": "Event processed",
                                        "dedup_key": dedup_key})

    @staticmethod
    def _failure(fault: _Fault) -> tuple[dict, dict[str, str]]:
        if fault.status == 429:
            headers = {} if fault.retry_after is None else {"Retry-After": str(int(fault.retry_after))}
            return {"status": "throttle event", "message": "Requests for this service are "
                    "arriving too quickly. Please retry later."}, headers
        if fault.status == 400:
            return {"status": "invalid event", "message": "Event object is invalid",
                    "errors": ["scripted refusal"]}, {}
        return {"status": "error", "message": "Internal server error"}, {}

    def _apply(self, event: dict, dedup_key: str) -> None:
        key = (event["routing_key"], dedup_key)
        alert = self.alerts.get(key)
        action = event["event_action"]
        if action == "trigger":
            if alert is None or alert.status == "resolved":  # a resolved alert is never reopened
                alert = self.alerts[key] = Alert(event["routing_key"], dedup_key,
                                                 event["payload"]["summary"],
                                                 event["payload"]["severity"])
            alert.events.append(event)
            return
        # Acknowledge and resolve apply to an open alert of the same routing key, else are dropped.
        if alert is None or alert.status == "resolved":
            return
        alert.status = "acknowledged" if action == "acknowledge" else "resolved"
        alert.events.append(event)

    def _answer(self, body: Any, status: int, answer: dict,
                headers: dict[str, str] | None = None) -> web.Response:
        self.received.append(Received(body, status, time.time()))
        return web.json_response(answer, status=status, headers=headers)
