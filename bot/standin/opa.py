"""A local stand-in of Open Policy Agent's Data API that keeps its rules.

Runs on 127.0.0.1 and answers `POST /v1/data[/<path>]` with `{"input": …}` as OPA does:
200 with `{"result": <document>}`, or 200 with `{}` when the document is undefined; errors
carry OPA's body `{"code": …, "message": …}`. The decision comes from a callable the test
gives (`decide(input) -> result document`, None for an undefined package), served at
`data.incident.authz`; paths below it read into that document, other paths are undefined.

Stricter than OPA where a lenient answer would hide a fault of the caller: a body that is
not JSON, or has no `input` object, is 400 `invalid_parameter` (OPA evaluates a missing
input as undefined and only adds a warning); a query parameter OPA does not document is
400; other methods on /v1/data are 405. With `token` set it behaves as OPA run with
`--authentication=token --authorization=basic` and a policy that admits that one bearer
token: 401 `unauthorized` otherwise. Scripted faults answer 5xx, or a page that is not
JSON, or hang for a while (a hung request is let go when the stand-in stops, so a test
never waits it out).
"""

import asyncio
import json
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.standin.local_server import LocalServer

# What OPA's Data API documents for POST /v1/data/{path} (REST API reference).
QUERY_PARAMETERS = frozenset({"pretty", "provenance", "explain", "metrics", "instrument",
                              "strict-builtin-errors"})
VERSION = "1.0.0-standin"
# OPA's error codes and messages (server/types).
INVALID_PARAMETER = "invalid_parameter"
UNAUTHORIZED = "unauthorized"
INTERNAL = "internal_error"
MSG_UNAUTHORIZED = "request rejected by administrative policy"
MSG_EVALUATION = "error(s) occurred while evaluating query"

Decide = Callable[[dict], dict | None]


@dataclass
class Received:
    """One request as it arrived; `status` is set when it is answered (0 until then)."""

    method: str
    path: str
    query: dict[str, str]
    authorization: str | None
    body: Any
    at: float
    status: int = 0

    @property
    def input(self) -> Any:
        return self.body.get("input") if isinstance(self.body, dict) else None


@dataclass
class _Fault:
    status: int | None = None
    delay: float = 0
    text: str | None = None


class FakeOpa(LocalServer):
    def __init__(self, decide: Decide | None = None, *, token: str | None = None,
                 package: str = "incident.authz", decision_ids: bool = False) -> None:
        # Without a policy nothing is allowed, as with OPA's `default allow := false`.
        self.decide: Decide = decide or (lambda _input: {"allow": False})
        self.token = token
        self.package = package
        # Decision logging on: every answer carries a decision_id, as OPA's then do.
        self.decision_ids = decision_ids
        self.received: list[Received] = []
        self.url = ""
        self._faults: deque[_Fault] = deque()
        self._released = asyncio.Event()

    # lifecycle ------------------------------------------------------------------
    async def start(self) -> str:
        self._released = asyncio.Event()
        app = web.Application()
        app.router.add_route("*", "/v1/data", self._data)
        app.router.add_route("*", "/v1/data/{path:.*}", self._data)
        port = await self._listen(app)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        self._released.set()
        await super().stop()

    # what happened ----------------------------------------------------------------
    @property
    def inputs(self) -> list[Any]:
        """The input documents of the decisions it answered, in order."""
        return [r.input for r in self.received if r.status == 200]

    # faults -------------------------------------------------------------------------
    def fault(self, *, status: int | None = None, delay: float = 0, text: str | None = None,
              times: int = 1) -> None:
        """The next requests answer `status` (500, 503, …) with OPA's error body, or `text`
        as a page that is not JSON (what a proxy in front of OPA may send), and/or only after
        `delay` seconds (or when the stand-in stops, whichever is first)."""
        for _ in range(times):
            self._faults.append(_Fault(status, delay, text))

    # HTTP ---------------------------------------------------------------------------
    async def _data(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        received = Received(request.method, request.path, dict(request.query),
                            request.headers.get("Authorization"), body, time.time())
        self.received.append(received)
        fault = self._faults.popleft() if self._faults else None
        if fault and fault.delay:
            try:
                await asyncio.wait_for(self._released.wait(), fault.delay)
            except TimeoutError:
                pass
        if fault and fault.text is not None:
            received.status = fault.status or 200
            return web.Response(text=fault.text, status=received.status, content_type="text/html")
        if fault and fault.status:
            return _answer(received, fault.status, _error(INTERNAL if fault.status >= 500 else
                                                          INVALID_PARAMETER, "scripted failure"))
        status, answer = self._evaluate(request, raw, body)
        return _answer(received, status, answer, pretty=request.query.get("pretty") == "true")

    def _evaluate(self, request: web.Request, raw: bytes, body: Any) -> tuple[int, dict]:
        if self.token is not None and request.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, _error(UNAUTHORIZED, MSG_UNAUTHORIZED)
        if request.method != "POST":
            return 405, _error("method_not_allowed",
                               f"{request.method} is not served here: POST /v1/data/<path>")
        unknown = sorted(set(request.query) - QUERY_PARAMETERS)
        if unknown:
            return 400, _error(INVALID_PARAMETER, f"unknown query parameter(s): {', '.join(unknown)}")
        if not raw:
            return 400, _error(INVALID_PARAMETER, "'input' key missing from the request")
        if isinstance(body, str):
            return 400, _error(INVALID_PARAMETER,
                               f"body contains malformed input document: {body[:80]!r} is not JSON")
        if not isinstance(body, dict) or "input" not in body:
            return 400, _error(INVALID_PARAMETER, "'input' key missing from the request")
        if not isinstance(body["input"], dict):
            return 400, _error(INVALID_PARAMETER, "'input' is not an object")
        path = [s for s in request.match_info.get("path", "").split("/") if s]
        package = self.package.split(".")
        decision = None
        # Only a query that reaches the package evaluates it, as in OPA.
        if path[:len(package)] == package[:len(path)]:
            try:
                decision = self.decide(body["input"])
            except Exception as error:  # the policy failing at evaluation, as OPA reports it
                answer = _error(INTERNAL, MSG_EVALUATION)
                answer["errors"] = [{"code": "eval_builtin_error", "message": str(error)}]
                return 500, answer
        answer = {}
        found, document = _lookup(self._data_tree(decision), path)
        if found:
            answer["result"] = document
        if request.query.get("metrics") == "true":
            answer["metrics"] = {"timer_rego_query_eval_ns": 1000, "timer_server_handler_ns": 2000}
        if request.query.get("provenance") == "true":
            answer["provenance"] = {"version": VERSION, "build_commit": "", "build_timestamp": "",
                                    "build_hostname": "127.0.0.1"}
        if self.decision_ids:
            answer["decision_id"] = str(uuid.uuid4())
        return 200, answer

    def _data_tree(self, decision: dict | None) -> dict:
        """The whole data document: the decision at the package's path."""
        tree: dict = {}
        if decision is not None:
            node = tree
            *parents, last = self.package.split(".")
            for name in parents:
                node = node.setdefault(name, {})
            node[last] = decision
        return tree


def _lookup(tree: Any, path: list[str]) -> tuple[bool, Any]:
    node = tree
    for segment in path:
        if isinstance(node, dict) and segment in node:
            node = node[segment]
        elif isinstance(node, list) and segment.isdigit() and int(segment) < len(node):
            node = node[int(segment)]
        else:
            return False, None
    return True, node


def _error(code: str, message: str) -> dict:
    return {"code": code, "message": message}


def _answer(received: Received, status: int, answer: dict, *, pretty: bool = False) -> web.Response:
    received.status = status
    return web.json_response(answer, status=status,
                             dumps=(lambda d: json.dumps(d, indent=2)) if pretty else json.dumps)
