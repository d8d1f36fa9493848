"""A local stand-in of PagerDuty's Events API v2 that keeps its rules.

Runs on 127.0.0.1 and answers `POST /v2/enqueue` as PagerDuty does: 202 with the
dedup_key for a valid event, 400 "invalid event" with the reasons for a malformed
one, and, when told, 429 or 5xx or a slow answer. It keeps every alert by routing
key and dedup_key (triggered, acknowledged, resolved), so tests can ask what an
on-call engineer's phone would show.
"""

import asyncio
import json
import time
import uuid
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
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.alerts: dict[tuple[str, str], Alert] = {}
        self._faults: deque[_Fault] = deque()
        self.url = ""

    # lifecycle ------------------------------------------------------------------
    async def start(self) -> str:
        app = web.Application(client_max_size=BODY_LIMIT * 2)
        app.router.add_post("/v2/enqueue", self._enqueue)
        port = await self._listen(app)
        self.url = f"http://127.0.0.1:{port}/v2/enqueue"
        return self.url

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
