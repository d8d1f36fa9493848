"""A local stand-in of GitHub's REST API for one repository's issues, keeping GitHub's rules.

Runs on 127.0.0.1 and answers, for one repository and one token:
- `POST /repos/{owner}/{repo}/issues` → 201 with the issue;
- `GET /repos/{owner}/{repo}/issues[?state&sort&direction&per_page&page&labels]` → 200;
- `GET|PATCH /repos/{owner}/{repo}/issues/{number}` → 200;
- `GET /search/issues?q=repo:owner/name is:issue in:body "words"` → 200.
As GitHub does: no `User-Agent` is 403; no token is 401 "Requires authentication", a wrong
one 401 "Bad credentials"; a token without write access is 403 on writes; an unknown
repository or issue is 404; issues turned off is 410; a missing title, a title over 256
characters, a body over 65536, a bad `state` or `state_reason` is 422 "Validation Failed"
with `errors`. Errors are `{"message", "documentation_url"[, "errors"]}`.
Scripted faults give 429 or 403 rate limits (with `retry-after` or `x-ratelimit-reset`),
5xx, a hang, or an answer lost after the request was carried out. When told where, every
close and reopen is sent as a signed `issues` webhook.
"""

import asyncio
import json
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from bot.standin.local_server import LocalServer
from bot.standin.webhook_sender import WebhookSender, answer_lost

DOCS = "https://docs.github.com/rest"
TITLE_LIMIT = 256
BODY_LIMIT = 65536
STATE_REASONS = ("completed", "not_planned", "reopened", "duplicate")


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int
    at: float


@dataclass
class Issue:
    number: int
    title: str
    body: str
    labels: list[str]
    user: str
    state: str = "open"
    state_reason: str | None = None
    is_pull_request: bool = False
    created_at: float = field(default_factory=time.time)

    def shown(self, repo: str) -> dict:
        shown = {"id": 1000 + self.number, "number": self.number, "title": self.title,
                 "body": self.body, "state": self.state, "state_reason": self.state_reason,
                 "labels": [{"name": n} for n in self.labels], "user": {"login": self.user},
                 "url": f"https://api.github.com/repos/{repo}/issues/{self.number}",
                 "html_url": f"https://github.com/{repo}/issues/{self.number}"}
        if self.is_pull_request:
            shown["pull_request"] = {"url": f"https://api.github.com/repos/{repo}/pulls/{self.number}"}
        return shown


@dataclass
class _Fault:
    status: int | None = None
    retry_after: float | None = None
    reset_in: float | None = None
    delay: float = 0
    lose_answer: bool = False


class FakeGitHub(LocalServer):
    def __init__(self, *, repo: str = "acme/ops", token: str = "ghp_standin0token",
                 login: str = "incident-bot[bot]", can_write: bool = True) -> None:
        self.repo = repo
        self.token = token
        # Who the token is: the sender of the webhooks its own changes cause.
        self.login = login
        self.can_write = can_write
        self.has_issues = True
        self.issues: dict[int, Issue] = {}
        self.received: list[Received] = []
        self.webhooks = WebhookSender("X-Hub-Signature-256")
        self._faults: deque[_Fault] = deque()
        self._deliveries = 0
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        base = "/repos/{owner}/{name}/issues"
        app.router.add_post(base, self._route)
        app.router.add_get(base, self._route)
        app.router.add_get(base + "/{number}", self._route)
        app.router.add_patch(base + "/{number}", self._route)
        app.router.add_get("/search/issues", self._route)
        port = await self._listen(app)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    # shaping it -------------------------------------------------------------------
    def fault(self, *, status: int | None = None, retry_after: float | None = None,
              reset_in: float | None = None, delay: float = 0, lose_answer: bool = False,
              times: int = 1) -> None:
        """The next requests: fail with `status` (429 or 403 are rate limits, with
        `retry_after` or `reset_in` seconds; 5xx), after `delay` when given; or, with no
        status, are carried out and then answered after `delay` or never (`lose_answer`)."""
        for _ in range(times):
            self._faults.append(_Fault(status, retry_after, reset_in, delay, lose_answer))

    def add_issue(self, title: str, body: str = "", *, pull_request: bool = False,
                  state: str = "open") -> Issue:
        """Someone else's issue (or pull request), already in the repository."""
        issue = Issue(len(self.issues) + 1, title, body, [], "someone", state,
                      is_pull_request=pull_request)
        self.issues[issue.number] = issue
        return issue

    async def close_as(self, number: int, login: str, *, reopen: bool = False) -> int | None:
        """A person closes (or reopens) the issue on github.com; the webhook is sent before
        this returns. The bot's answer's status, or None when none was sent."""
        issue = self.issues[number]
        issue.state = "open" if reopen else "closed"
        issue.state_reason = "reopened" if reopen else "completed"
        payload, headers = self._event(issue, login)
        return await self.webhooks.send(payload, headers)

    # HTTP ---------------------------------------------------------------------------
    async def _route(self, request: web.Request) -> web.StreamResponse:
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
            status, answer = self._apply(request, body)
        if fault and fault.lose_answer:
            self._record(request, body, 0)
            answer_lost(request)
            return web.Response(status=status)
        if fault and fault.delay:
            await asyncio.sleep(fault.delay)
        return self._answer(request, body, status, answer)

    def _check(self, request: web.Request) -> tuple[int, Any]:
        if not request.headers.get("User-Agent"):
            return 403, _error("Request forbidden by administrative rules. Please make sure "
                               "your request has a User-Agent header")
        header = request.headers.get("Authorization", "")
        if not header:
            return 401, _error("Requires authentication")
        scheme, _, token = header.partition(" ")
        if scheme.lower() not in ("bearer", "token") or token.strip() != self.token:
            return 401, _error("Bad credentials")
        if "owner" in request.match_info:
            repo = f"{request.match_info['owner']}/{request.match_info['name']}"
            if repo.lower() != self.repo.lower():
                return 404, _error("Not Found")
            if not self.has_issues:
                return 410, _error("Issues are disabled for this repo")
        if request.method != "GET" and not self.can_write:
            return 403, _error("Resource not accessible by personal access token")
        return 200, None

    def _apply(self, request: web.Request, body: Any) -> tuple[int, Any]:
        if request.path.startswith("/search/"):
            return self._search(request)
        number = request.match_info.get("number")
        if number is None:
            return self._create(body) if request.method == "POST" else self._list(request)
        issue = self.issues.get(int(number)) if number.isdigit() else None
        if issue is None:
            return 404, _error("Not Found")
        if request.method == "GET":
            return 200, issue.shown(self.repo)
        return self._update(issue, body)

    def _create(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, _error("Problems parsing JSON")
        title = body.get("title")
        if title is None or title == "":
            return 422, _invalid("missing_field", "title")
        if not isinstance(title, str | int):
            return 422, _invalid("invalid", "title")
        problems = _field_problems({**body, "title": str(title)})
        if problems:
            return 422, problems
        labels = body.get("labels") or []
        issue = Issue(len(self.issues) + 1, str(title), body.get("body") or "",
                      [str(n) for n in labels], self.login)
        self.issues[issue.number] = issue
        return 201, issue.shown(self.repo)

    def _update(self, issue: Issue, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return 400, _error("Problems parsing JSON")
        problems = _field_problems(body)
        if problems:
            return 422, problems
        if "state" in body and body["state"] not in ("open", "closed"):
            return 422, _invalid("invalid", "state")
        before = issue.state
        issue.title = body.get("title", issue.title)
        issue.body = body.get("body", issue.body)
        if "state" in body:
            issue.state = body["state"]
            # state_reason is ignored unless the state changes with it.
            if issue.state != before:
                issue.state_reason = body.get("state_reason") or (
                    "completed" if issue.state == "closed" else "reopened")
        if issue.state != before:
            self.webhooks.later(*self._event(issue, self.login))
        return 200, issue.shown(self.repo)

    def _list(self, request: web.Request) -> tuple[int, Any]:
        query = request.query
        state = query.get("state", "open")
        if state not in ("open", "closed", "all"):
            return 422, _invalid("invalid", "state")
        try:
            per_page = min(int(query.get("per_page", 30)), 100)
            page = max(int(query.get("page", 1)), 1)
        except ValueError:
            return 422, _invalid("invalid", "per_page")
        wanted = {n for n in query.get("labels", "").split(",") if n}
        found = [i for i in self.issues.values()
                 if (state == "all" or i.state == state) and wanted <= set(i.labels)]
        found.sort(key=lambda i: i.number, reverse=query.get("direction", "desc") == "desc")
        return 200, [i.shown(self.repo) for i in found[(page - 1) * per_page:page * per_page]]

    def _search(self, request: web.Request) -> tuple[int, Any]:
        q = request.query.get("q", "")
        if not q:
            return 422, {**_error("Validation Failed"),
                         "errors": [{"resource": "Search", "field": "q", "code": "missing"}]}
        phrase = q.split('"')[1] if q.count('"') >= 2 else ""
        repo = next((t.removeprefix("repo:") for t in q.split() if t.startswith("repo:")), None)
        items = [i.shown(self.repo) for i in self.issues.values()
                 if not i.is_pull_request and (repo is None or repo.lower() == self.repo.lower())
                 and phrase in i.body]
        return 200, {"total_count": len(items), "incomplete_results": False, "items": items}

    def _event(self, issue: Issue, login: str) -> tuple[dict, dict[str, str]]:
        self._deliveries += 1
        payload = {"action": "closed" if issue.state == "closed" else "reopened",
                   "issue": issue.shown(self.repo),
                   "repository": {"full_name": self.repo, "name": self.repo.split("/")[1]},
                   "sender": {"login": login}}
        return payload, {"X-GitHub-Event": "issues",
                         "X-GitHub-Delivery": f"00000000-0000-0000-0000-{self._deliveries:012d}",
                         "User-Agent": "GitHub-Hookshot/standin"}

    def _failure(self, request: web.Request, body: Any, fault: _Fault) -> web.Response:
        headers: dict[str, str] = {}
        status = fault.status or 500
        if status in (403, 429):
            answer = _error("API rate limit exceeded for user. (But here's the good news: "
                            "Authenticated requests get a higher rate limit.)")
            if fault.retry_after is not None:
                headers["retry-after"] = str(int(fault.retry_after))
            if fault.reset_in is not None:
                headers["x-ratelimit-remaining"] = "0"
                headers["x-ratelimit-reset"] = str(int(time.time() + fault.reset_in))
        else:
            answer = {"message": "Server Error"}
        return self._answer(request, body, status, answer, headers)

    def _record(self, request: web.Request, body: Any, status: int) -> None:
        self.received.append(Received(request.method, request.path_qs, dict(request.headers),
                                      body, status, time.time()))

    def _answer(self, request: web.Request, body: Any, status: int, answer: Any,
                headers: dict[str, str] | None = None) -> web.Response:
        self._record(request, body, status)
        return web.json_response(answer, status=status, headers=headers)


def _error(message: str) -> dict:
    return {"message": message, "documentation_url": DOCS}


def _invalid(code: str, field_name: str) -> dict:
    return {**_error("Validation Failed"),
            "errors": [{"resource": "Issue", "code": code, "field": field_name}]}


def _field_problems(body: dict) -> dict | None:
    title = body.get("title")
    if title is not None and len(str(title)) > TITLE_LIMIT:
        return {**_error("Validation Failed"), "errors": [
            {"resource": "Issue", "code": "custom", "field": "title",
             "message": f"title is too long (maximum is {TITLE_LIMIT} characters)"}]}
    text = body.get("body")
    if text is not None and not isinstance(text, str):
        return _invalid("invalid", "body")
    if isinstance(text, str) and len(text) > BODY_LIMIT:
        return {**_error("Validation Failed"), "errors": [
            {"resource": "Issue", "code": "custom", "field": "body",
             "message": f"body is too long (maximum is {BODY_LIMIT} characters)"}]}
    if "state_reason" in body and body["state_reason"] is not None \
            and body["state_reason"] not in STATE_REASONS:
        return _invalid("invalid", "state_reason")
    labels = body.get("labels")
    if labels is not None and (not isinstance(labels, list)
                               or not all(isinstance(n, str) and n for n in labels)):
        return _invalid("invalid", "labels")
    return None
