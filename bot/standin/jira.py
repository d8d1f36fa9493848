"""A local stand-in of Jira Cloud's REST API v3 for one project's issues, keeping Jira's rules.

Runs on 127.0.0.1 and answers:
- `POST /rest/api/3/issue` → 201 `{"id", "key", "self"}`;
- `GET|PUT /rest/api/3/issue/{key}` → 200 / 204;
- `GET|POST /rest/api/3/issue/{key}/transitions` → 200 / 204;
- `GET /rest/api/3/search/jql?jql=…&fields=…` → 200 `{"issues", "isLast"}` for the JQL
  the bot writes (`project = "X" AND labels = "y"`, `ORDER BY`); other JQL is 400.
As Jira does: basic auth (email:API token) or a bearer token, else 401; a project the
account cannot see, a missing summary, an unknown issue type, a description that is not an
Atlassian Document, a due date that is not YYYY-MM-DD, a label with a space is 400
`{"errorMessages": [], "errors": {field: message}}`; an unknown issue is 404. The search
returns only the fields asked for, and, when `search_lag` is on, not the issues created
since the last `reindex()` (Jira's search is eventually consistent).
The workflow: To Do (new) → In Progress (indeterminate) → Done (done), any to any.
Scripted faults give 429 with Retry-After, 5xx, a hang, or an answer lost after the
request was carried out. When told where, every status change is sent as a signed
`jira:issue_updated` webhook.
"""

import asyncio
import base64
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiohttp import web

from bot.standin.local_server import LocalServer
from bot.standin.webhook_sender import WebhookSender, answer_lost

# status name → (status id, category key, category name)
STATUSES = {"To Do": ("10000", "new", "To Do"), "In Progress": ("3", "indeterminate", "In Progress"),
            "Done": ("10001", "done", "Done")}
TRANSITIONS = {"11": "To Do", "21": "In Progress", "31": "Done"}
ISSUE_TYPES = ("Task", "Bug", "Story")
SUMMARY_LIMIT = 255
_JQL = re.compile(r'^\s*project\s*=\s*"?(?P<project>[A-Z][A-Z0-9_]*)"?'
                  r'(?:\s+AND\s+labels\s*=\s*"(?P<label>[^"]+)")?'
                  r'(?:\s+ORDER\s+BY\s+(?:created|key)\s*(?:ASC|DESC)?)?\s*$', re.IGNORECASE)


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int
    at: float


@dataclass
class JiraIssue:
    id: str
    key: str
    summary: str
    issue_type: str
    description: dict | None
    labels: list[str]
    duedate: str | None = None
    status: str = "To Do"
    history: list[str] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return STATUSES[self.status][1] == "done"

    def fields(self) -> dict:
        status_id, category, category_name = STATUSES[self.status]
        return {"summary": self.summary, "issuetype": {"name": self.issue_type},
                "description": self.description, "labels": list(self.labels),
                "duedate": self.duedate,
                "status": {"id": status_id, "name": self.status,
                           "statusCategory": {"key": category, "name": category_name}}}


@dataclass
class _Fault:
    status: int | None = None
    retry_after: float | None = None
    delay: float = 0
    lose_answer: bool = False


class FakeJira(LocalServer):
    def __init__(self, *, project: str = "OPS", email: str = "bot@example.com",
                 token: str = "jira-standin-token", search_lag: bool = False) -> None:
        self.project = project
        self.email, self.token = email, token
        self.search_lag = search_lag
        self.issues: dict[str, JiraIssue] = {}
        self.unindexed: set[str] = set()
        self.received: list[Received] = []
        self.webhooks = WebhookSender("X-Hub-Signature")
        self._faults: deque[_Fault] = deque()
        self.url = ""

    async def start(self) -> str:
        app = web.Application()
        app.router.add_post("/rest/api/3/issue", self._route)
        app.router.add_get("/rest/api/3/issue/{key}", self._route)
        app.router.add_put("/rest/api/3/issue/{key}", self._route)
        app.router.add_get("/rest/api/3/issue/{key}/transitions", self._route)
        app.router.add_post("/rest/api/3/issue/{key}/transitions", self._route)
        app.router.add_get("/rest/api/3/search/jql", self._route)
        port = await self._listen(app)
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    # shaping it -------------------------------------------------------------------
    def fault(self, *, status: int | None = None, retry_after: float | None = None,
              delay: float = 0, lose_answer: bool = False, times: int = 1) -> None:
        """The next requests fail with `status` (after `delay`), or are carried out and then
        answered after `delay` or never (`lose_answer`)."""
        for _ in range(times):
            self._faults.append(_Fault(status, retry_after, delay, lose_answer))

    def reindex(self) -> None:
        """The search catches up with every write."""
        self.unindexed.clear()

    def browse(self, key: str) -> str:
        return f"{self.url}/browse/{key}"

    async def transition_as(self, key: str, status: str, display_name: str) -> int | None:
        """A person moves the issue on the board; the webhook is sent before this returns."""
        issue = self.issues[key]
        before, issue.status = issue.status, status
        issue.history.append(status)
        return await self.webhooks.send(self._event(issue, before, display_name), {})

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
            headers = {"Retry-After": str(int(fault.retry_after))} \
                if fault.retry_after is not None else {}
            message = "Rate limit exceeded." if fault.status == 429 else "Internal server error"
            return self._answer(request, body, fault.status, _errors([message]), headers)
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
        header = request.headers.get("Authorization", "")
        scheme, _, credential = header.partition(" ")
        good = False
        if scheme == "Basic":
            try:
                good = base64.b64decode(credential).decode() == f"{self.email}:{self.token}"
            except ValueError:
                good = False
        elif scheme == "Bearer":
            good = credential == self.token
        if not good:
            return 401, _errors(["You are not authenticated. Authentication required to "
                                 "perform this operation."])
        return 200, None

    def _apply(self, request: web.Request, body: Any) -> tuple[int, Any]:
        path, method = request.path, request.method
        if path.endswith("/search/jql"):
            return self._search(request)
        if "key" not in request.match_info:
            return self._create(body)
        issue = self.issues.get(request.match_info["key"])
        if issue is None:
            return 404, _errors(["Issue does not exist or you do not have permission to see it."])
        if path.endswith("/transitions"):
            return self._transitions(issue) if method == "GET" else self._transition(issue, body)
        if method == "GET":
            return 200, self._shown(issue, request.query.get("fields"))
        return self._edit(issue, body)

    def _create(self, body: Any) -> tuple[int, Any]:
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return 400, _errors(["No fields were given."])
        errors = {}
        if (fields.get("project") or {}).get("key") != self.project:
            errors["project"] = "Specify a valid project ID or key"
        summary = fields.get("summary")
        if not isinstance(summary, str) or not summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(summary) > SUMMARY_LIMIT:
            errors["summary"] = "Summary must be less than 255 characters."
        elif "\n" in summary or "\r" in summary:
            errors["summary"] = "The summary is invalid because it contains newline characters."
        if (fields.get("issuetype") or {}).get("name") not in ISSUE_TYPES:
            errors["issuetype"] = "Specify an issue type"
        errors.update(_field_problems(fields))
        if errors:
            return 400, _errors([], errors)
        number = len(self.issues) + 1
        issue = JiraIssue(str(10000 + number), f"{self.project}-{number}", str(summary),
                          fields["issuetype"]["name"], fields.get("description"),
                          list(fields.get("labels") or []), fields.get("duedate"))
        self.issues[issue.key] = issue
        if self.search_lag:
            self.unindexed.add(issue.key)
        return 201, {"id": issue.id, "key": issue.key, "self": f"{self.url}/rest/api/3/issue/{issue.id}"}

    def _edit(self, issue: JiraIssue, body: Any) -> tuple[int, Any]:
        fields = body.get("fields") if isinstance(body, dict) else None
        if not isinstance(fields, dict):
            return 400, _errors(["No fields were given."])
        errors = _field_problems(fields)
        if "summary" in fields and not str(fields["summary"] or "").strip():
            errors["summary"] = "You must specify a summary of the issue."
        if errors:
            return 400, _errors([], errors)
        for name in ("summary", "description", "labels", "duedate"):
            if name in fields:
                setattr(issue, name, fields[name])
        return 204, None

    def _transitions(self, issue: JiraIssue) -> tuple[int, Any]:
        offered = []
        for transition_id, status in TRANSITIONS.items():
            if status == issue.status:
                continue
            status_id, category, category_name = STATUSES[status]
            offered.append({"id": transition_id, "name": status, "to": {
                "id": status_id, "name": status,
                "statusCategory": {"key": category, "name": category_name}}})
        return 200, {"transitions": offered}

    def _transition(self, issue: JiraIssue, body: Any) -> tuple[int, Any]:
        wanted = (body.get("transition") or {}).get("id") if isinstance(body, dict) else None
        status = TRANSITIONS.get(str(wanted))
        if status is None or status == issue.status:
            return 400, _errors([f"Transition id '{wanted}' is not valid for this issue."])
        before, issue.status = issue.status, status
        issue.history.append(status)
        self.webhooks.later(self._event(issue, before, "Incident Bot"), {})
        return 204, None

    def _search(self, request: web.Request) -> tuple[int, Any]:
        jql = request.query.get("jql", "")
        matched = _JQL.match(jql)
        if not jql or matched is None:
            return 400, _errors([f"Error in the JQL Query: the query '{jql}' could not be parsed."])
        if matched["project"] != self.project:
            return 400, _errors([f"The value '{matched['project']}' does not exist for the "
                                 "field 'project'."])
        try:
            limit = int(request.query.get("maxResults", 50))
        except ValueError:
            return 400, _errors(["maxResults must be a number"])
        found = [i for i in self.issues.values() if i.key not in self.unindexed
                 and (matched["label"] is None or matched["label"] in i.labels)]
        fields = request.query.get("fields")
        return 200, {"issues": [self._shown(i, fields, searched=True) for i in found[:limit]],
                     "isLast": len(found) <= limit}

    def _shown(self, issue: JiraIssue, fields: str | None, *, searched: bool = False) -> dict:
        """The issue with the `fields` asked for; without any, all of them when read alone
        and none in a search (the search endpoint returns only ids unless asked)."""
        shown: dict[str, Any] = {"id": issue.id, "key": issue.key,
                                 "self": f"{self.url}/rest/api/3/issue/{issue.id}"}
        wanted = [f for f in (fields or "").split(",") if f]
        everything = issue.fields()
        if "*all" in wanted or (fields is None and not searched):
            shown["fields"] = everything
        elif wanted and wanted != ["id"]:
            shown["fields"] = {f: everything[f] for f in wanted if f in everything}
        return shown

    def _event(self, issue: JiraIssue, before: str, display_name: str) -> dict:
        return {"timestamp": int(time.time() * 1000), "webhookEvent": "jira:issue_updated",
                "issue_event_type_name": "issue_generic",
                "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": display_name},
                "issue": {"id": issue.id, "key": issue.key, "self": f"{self.url}/rest/api/3/issue/{issue.id}",
                          "fields": issue.fields()},
                "changelog": {"id": str(len(issue.history)), "items": [
                    {"field": "status", "fieldtype": "jira", "fromString": before,
                     "toString": issue.status}]}}

    def _record(self, request: web.Request, body: Any, status: int) -> None:
        self.received.append(Received(request.method, request.path_qs, dict(request.headers),
                                      body, status, time.time()))

    def _answer(self, request: web.Request, body: Any, status: int, answer: Any,
                headers: dict[str, str] | None = None) -> web.Response:
        self._record(request, body, status)
        if answer is None:
            return web.Response(status=status, headers=headers)
        return web.json_response(answer, status=status, headers=headers)


def _errors(messages: list[str], errors: dict | None = None) -> dict:
    return {"errorMessages": messages, "errors": errors or {}}


def _field_problems(fields: dict) -> dict[str, str]:
    errors = {}
    description = fields.get("description")
    if description is not None and not (isinstance(description, dict)
                                        and description.get("type") == "doc"
                                        and description.get("version") == 1
                                        and isinstance(description.get("content"), list)):
        errors["description"] = ("Operation value must be an Atlassian Document (see the "
                                 "Atlassian Document Format)")
    due = fields.get("duedate")
    if due is not None:
        try:
            date.fromisoformat(str(due))
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(due)):
                raise ValueError(due)
        except ValueError:
            errors["duedate"] = f"Error parsing date string: {due}"
    labels = fields.get("labels")
    if labels is not None:
        if not isinstance(labels, list) or not all(isinstance(n, str) for n in labels):
            errors["labels"] = "Labels must be a list of strings"
        else:
            spaced = next((n for n in labels if not n or any(c.isspace() for c in n)), None)
            if spaced is not None:
                errors["labels"] = f"The label '{spaced}' contains spaces which is invalid."
    return errors
