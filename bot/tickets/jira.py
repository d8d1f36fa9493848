"""Action items as Jira issues (Cloud REST API v3, `JIRA_URL`, `JIRA_PROJECT`, `JIRA_TOKEN`).

The draft's marker becomes a label (`incident-bot-<marker>`), which JQL finds exactly.
Jira's search (`/search/jql`) is eventually consistent: an issue created moments ago may
not be found for a few seconds, so a create whose answer was lost is looked for after a
wait, not at once. Closing and reopening are workflow transitions: the first transition
into a status of the "done" category closes, the first out of it reopens.
"""

import base64
import re
from datetime import date, timedelta
from typing import Any

from bot.outbound.metrics import OutboundCalls
from bot.tickets.errors import Refused
from bot.tickets.http import RestSession
from bot.tickets.model import Draft, Ticket

SUMMARY_LIMIT = 255
LABEL_PREFIX = "incident-bot-"
DONE = "done"
ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-[0-9]+$")


def marker_label(marker: str) -> str:
    return LABEL_PREFIX + marker


def document(text: str) -> dict:
    """Plain text as an Atlassian Document: one paragraph per paragraph of the text."""
    paragraphs = [p for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]
    content = []
    for paragraph in paragraphs:
        lines = paragraph.split("\n")
        nodes: list[dict] = []
        for i, line in enumerate(lines):
            if i:
                nodes.append({"type": "hardBreak"})
            if line:
                nodes.append({"type": "text", "text": line})
        content.append({"type": "paragraph", "content": nodes})
    return {"type": "doc", "version": 1, "content": content}


class JiraIssues(RestSession):
    name = "jira"
    system = "jira"
    title = "Jira"

    def __init__(self, *, url: str, project: str, token: str, email: str | None = None,
                 issue_type: str = "Task", timeout: timedelta = timedelta(seconds=10),
                 calls: OutboundCalls | None = None) -> None:
        super().__init__(base=url, timeout=timeout, calls=calls)
        self.project = project
        self.issue_type = issue_type
        self.credential = "JIRA_TOKEN (with JIRA_EMAIL)" if email else "JIRA_TOKEN"
        if email:
            pair = base64.b64encode(f"{email}:{token}".encode()).decode()
            self._authorization = f"Basic {pair}"
        else:
            self._authorization = f"Bearer {token}"

    def headers(self) -> dict[str, str]:
        return {"Authorization": self._authorization, "Accept": "application/json"}

    def error_text(self, body: Any) -> str:
        if not isinstance(body, dict):
            return ""
        words = [str(m) for m in body.get("errorMessages") or []]
        errors = body.get("errors")
        if isinstance(errors, dict):
            words += [f"{field}: {message}" for field, message in errors.items()]
        return "; ".join(words)

    def _url(self, key: str) -> str:
        return f"{self.base}/browse/{key}"

    async def create(self, draft: Draft) -> Ticket:
        summary = " ".join(draft.title.split())
        if len(summary) > SUMMARY_LIMIT:
            summary = summary[:SUMMARY_LIMIT - 1] + "…"
        fields: dict[str, Any] = {
            "project": {"key": self.project}, "summary": summary,
            "issuetype": {"name": self.issue_type}, "description": document(draft.body),
            "labels": [marker_label(draft.marker), *draft.labels]}
        if draft.due is not None:
            fields["duedate"] = draft.due.isoformat()
        answer = await self.call("create", "POST", "/rest/api/3/issue", json={"fields": fields})
        key = str(answer.body["key"])
        return Ticket(key, self._url(key), False)

    async def find(self, marker: str) -> Ticket | None:
        jql = f'project = "{self.project}" AND labels = "{marker_label(marker)}" ORDER BY created ASC'
        answer = await self.call("lookup", "GET", "/rest/api/3/search/jql", params={
            "jql": jql, "fields": "status", "maxResults": "1"})
        issues = answer.body.get("issues") if isinstance(answer.body, dict) else None
        for issue in issues if isinstance(issues, list) else []:
            key = str(issue["key"])
            return Ticket(key, self._url(key), _category(issue) == DONE)
        return None

    async def close(self, key: str) -> Ticket:
        return await self._move("close", key, into_done=True)

    async def reopen(self, key: str) -> Ticket:
        return await self._move("reopen", key, into_done=False)

    async def set_due(self, key: str, due: date | None) -> None:
        _check(key)
        await self.call("set_due", "PUT", f"/rest/api/3/issue/{key}",
                        json={"fields": {"duedate": due.isoformat() if due else None}})

    async def _move(self, call: str, key: str, *, into_done: bool) -> Ticket:
        """Take the first transition into (or out of) the done category; nothing to do when
        the issue is there already."""
        _check(key)
        shown = await self.call(call, "GET", f"/rest/api/3/issue/{key}", params={"fields": "status"})
        if (_category(shown.body) == DONE) == into_done:
            return Ticket(key, self._url(key), into_done)
        offered = await self.call(call, "GET", f"/rest/api/3/issue/{key}/transitions")
        transitions = offered.body.get("transitions") if isinstance(offered.body, dict) else None
        for transition in transitions if isinstance(transitions, list) else []:
            category = (((transition.get("to") or {}).get("statusCategory") or {}).get("key"))
            if (category == DONE) == into_done:
                await self.call(call, "POST", f"/rest/api/3/issue/{key}/transitions",
                                json={"transition": {"id": str(transition["id"])}})
                return Ticket(key, self._url(key), into_done)
        wanted = "into a done status" if into_done else "out of the done status"
        raise Refused(f"Jira {call}: {key}'s workflow offers no transition {wanted}")


def _check(key: str) -> None:
    if not ISSUE_KEY.match(key):
        raise ValueError(f"`{key}` is not a Jira issue key (like OPS-7)")


def _category(issue: Any) -> str | None:
    try:
        return str(issue["fields"]["status"]["statusCategory"]["key"])
    except (KeyError, TypeError):
        return None
