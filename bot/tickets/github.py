"""Action items as GitHub issues (REST API, `GITHUB_REPO`, `GITHUB_TOKEN`).

The draft's marker rides in the issue body as an HTML comment, which GitHub does not show.
`find` reads the newest issues first (the repository's issue list is up to date the moment
an issue is created; GitHub's search is an index that lags behind writes), then asks the
search for older ones. GitHub issues have no due date: `set_due` does nothing.
"""

from datetime import date, timedelta
from typing import Any

from bot.outbound.metrics import OutboundCalls
from bot.tickets.http import Answer, RestSession
from bot.tickets.model import Draft, Ticket

API_VERSION = "2022-11-28"
TITLE_LIMIT = 256
BODY_LIMIT = 65536
# How many of the newest issues `find` reads before it asks the search.
RECENT_PAGES, PAGE_SIZE = 3, 100


def marker_comment(marker: str) -> str:
    return f"<!-- incident-bot:{marker} -->"


class GitHubIssues(RestSession):
    name = "github"
    system = "github"
    title = "GitHub"
    credential = "GITHUB_TOKEN"

    def __init__(self, *, repo: str, token: str, url: str = "https://api.github.com",
                 timeout: timedelta = timedelta(seconds=10),
                 calls: OutboundCalls | None = None) -> None:
        super().__init__(base=url, timeout=timeout, calls=calls)
        self.repo = repo
        self.token = token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION, "User-Agent": "incident-bot"}

    def error_text(self, body: Any) -> str:
        if not isinstance(body, dict):
            return ""
        words = [str(body.get("message", ""))]
        for error in body.get("errors") or []:
            if isinstance(error, dict):
                words.append(str(error.get("message") or
                                 f"{error.get('field', '')} {error.get('code', '')}".strip()))
            else:
                words.append(str(error))
        return ": ".join(w for w in words if w)

    def rate_limited(self, answer: Answer) -> bool:
        # GitHub says "rate limit" with a 403 as often as with a 429.
        if answer.status == 429:
            return True
        lowered = {k.lower(): v for k, v in answer.headers.items()}
        return answer.status == 403 and (
            lowered.get("x-ratelimit-remaining") == "0" or "retry-after" in lowered
            or "rate limit" in self.error_text(answer.body).lower())

    @property
    def _issues(self) -> str:
        return f"/repos/{self.repo}/issues"

    async def create(self, draft: Draft) -> Ticket:
        title = draft.title if len(draft.title) <= TITLE_LIMIT else draft.title[:TITLE_LIMIT - 1] + "…"
        comment = marker_comment(draft.marker)
        body = draft.body[:BODY_LIMIT - len(comment) - 2]
        answer = await self.call("create", "POST", self._issues, json={
            "title": title, "body": f"{body}\n\n{comment}", "labels": list(draft.labels)})
        return _ticket(answer.body)

    async def find(self, marker: str) -> Ticket | None:
        comment = marker_comment(marker)
        for page in range(1, RECENT_PAGES + 1):
            answer = await self.call("lookup", "GET", self._issues, params={
                "state": "all", "sort": "created", "direction": "desc",
                "per_page": str(PAGE_SIZE), "page": str(page)})
            issues = answer.body if isinstance(answer.body, list) else []
            found = _marked(issues, comment)
            if found is not None:
                return found
            if len(issues) < PAGE_SIZE:
                return None
        searched = await self.call("lookup", "GET", "/search/issues", params={
            "q": f'repo:{self.repo} is:issue in:body "incident-bot:{marker}"'})
        items = searched.body.get("items") if isinstance(searched.body, dict) else None
        return _marked(items if isinstance(items, list) else [], comment)

    async def close(self, key: str) -> Ticket:
        return await self._state("close", key, {"state": "closed", "state_reason": "completed"})

    async def reopen(self, key: str) -> Ticket:
        return await self._state("reopen", key, {"state": "open", "state_reason": "reopened"})

    async def set_due(self, key: str, due: date | None) -> None:
        """GitHub issues have no due date (milestones do, for many issues at once): the
        date stays in the bot's own record only."""

    async def _state(self, call: str, key: str, change: dict) -> Ticket:
        answer = await self.call(call, "PATCH", f"{self._issues}/{_number(key)}", json=change)
        return _ticket(answer.body)


def _number(key: str) -> str:
    number = key.lstrip("#")
    if not number.isdigit():
        raise ValueError(f"`{key}` is not a GitHub issue number")
    return number


def _ticket(issue: Any) -> Ticket:
    return Ticket(str(issue["number"]), str(issue["html_url"]), issue.get("state") == "closed")


def _marked(issues: list, comment: str) -> Ticket | None:
    for issue in issues:
        if not isinstance(issue, dict) or "pull_request" in issue:
            continue  # GitHub lists pull requests among issues
        if comment in (issue.get("body") or ""):
            return _ticket(issue)
    return None
