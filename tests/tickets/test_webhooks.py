"""A ticket closed in the tracker tells the bot through a signed webhook: believed only with
the right signature, and only opening or closing a ticket matters."""

import json

import pytest
from aiohttp import web

from bot.standin.github import FakeGitHub
from bot.standin.jira import FakeJira
from bot.tickets import Draft, GitHubIssues, JiraIssues
from bot.tickets.webhooks import TicketChanged, WebhookRefused, read, signature

SECRET = "whsec-tests"


class Receiver:
    """The bot's webhook route, reduced to what it hears and answers."""

    def __init__(self, tracker: str, secret: str | None, **scope: str) -> None:
        self.tracker, self.secret, self.scope = tracker, secret, scope
        self.heard: list[TicketChanged | None] = []
        self.refused: list[str] = []
        self.url = ""
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> "Receiver":
        app = web.Application()
        app.router.add_post("/webhooks/{tracker}", self._receive)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/webhooks/{self.tracker}"
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        try:
            self.heard.append(read(self.tracker, self.secret, request.headers, await request.read(),
                                   **self.scope))
        except WebhookRefused as refused:
            self.refused.append(str(refused))
            return web.Response(status=refused.status, text=str(refused))
        return web.Response(status=204)


def github_event(action: str = "closed", state: str = "closed", number: int = 4) -> dict:
    return {"action": action, "issue": {"number": number, "state": state,
                                        "html_url": f"https://github.com/acme/ops/issues/{number}"},
            "repository": {"full_name": "acme/ops"}, "sender": {"login": "ann"}}


def github_headers(raw: bytes, event: str = "issues", secret: str = SECRET) -> dict:
    return {"X-GitHub-Event": event, "X-GitHub-Delivery": "d-1",
            "X-Hub-Signature-256": signature(secret, raw)}


def test_a_signed_github_close_is_a_ticket_closed():
    raw = json.dumps(github_event()).encode()
    assert read("github", SECRET, github_headers(raw), raw, repo="acme/ops") == \
        TicketChanged("4", True, "ann")
    reopened = json.dumps(github_event("reopened", "open")).encode()
    assert read("github", SECRET, github_headers(reopened), reopened) == TicketChanged("4", False, "ann")


@pytest.mark.parametrize(("headers", "reason"), [
    ({"X-GitHub-Event": "issues"}, "no X-Hub-Signature-256 header"),
    ({"X-GitHub-Event": "issues", "X-Hub-Signature-256": "sha1=abc"}, "not sha256=<hex>"),
    ("wrong secret", "does not match: the webhook's secret is not the one in GITHUB_WEBHOOK_SECRET"),
])
def test_a_github_delivery_without_the_right_signature_is_refused(headers, reason):
    raw = json.dumps(github_event()).encode()
    if headers == "wrong secret":
        headers = github_headers(raw, secret="other")
    with pytest.raises(WebhookRefused, match=reason) as refused:
        read("github", SECRET, headers, raw)
    assert refused.value.status == 401


def test_a_body_changed_after_signing_is_refused():
    raw = json.dumps(github_event()).encode()
    headers = github_headers(raw)
    with pytest.raises(WebhookRefused, match="does not match"):
        read("github", SECRET, headers, raw.replace(b'"number": 4', b'"number": 5'))


def test_without_a_secret_set_nothing_is_believed():
    raw = json.dumps(github_event()).encode()
    with pytest.raises(WebhookRefused, match="GITHUB_WEBHOOK_SECRET is not set"):
        read("github", None, github_headers(raw), raw)


@pytest.mark.parametrize(("event", "payload"), [
    ("ping", {"zen": "Keep it logically awesome.", "hook_id": 1}),
    ("issues", github_event("labeled", "closed")),
    ("issues", github_event("edited", "open")),
    ("issues", {**github_event(), "issue": {**github_event()["issue"], "pull_request": {}}}),
    ("issues", {**github_event(), "repository": {"full_name": "acme/other"}}),
])
def test_github_events_that_do_not_open_or_close_a_ticket_are_ignored(event, payload):
    raw = json.dumps(payload).encode()
    assert read("github", SECRET, github_headers(raw, event), raw, repo="acme/ops") is None


def jira_event(to: str = "Done", category: str = "done", field: str = "status") -> dict:
    return {"webhookEvent": "jira:issue_updated", "user": {"displayName": "Ann Oncall"},
            "issue": {"key": "OPS-3", "fields": {"status": {
                "name": to, "statusCategory": {"key": category}}}},
            "changelog": {"items": [{"field": field, "fromString": "To Do", "toString": to}]}}


def test_a_signed_jira_transition_to_done_is_a_ticket_closed():
    raw = json.dumps(jira_event()).encode()
    headers = {"X-Hub-Signature": signature(SECRET, raw)}
    assert read("jira", SECRET, headers, raw, project="OPS") == TicketChanged("OPS-3", True, "Ann Oncall")
    raw = json.dumps(jira_event("In Progress", "indeterminate")).encode()
    assert read("jira", SECRET, {"X-Hub-Signature": signature(SECRET, raw)}, raw) == \
        TicketChanged("OPS-3", False, "Ann Oncall")
    # An edit of a done issue is not a close again.
    raw = json.dumps(jira_event(field="summary")).encode()
    assert read("jira", SECRET, {"X-Hub-Signature": signature(SECRET, raw)}, raw) is None
    raw = json.dumps(jira_event()).encode()
    assert read("jira", SECRET, {"X-Hub-Signature": signature(SECRET, raw)}, raw, project="DEV") is None
    with pytest.raises(WebhookRefused, match="no X-Hub-Signature header"):
        read("jira", SECRET, {}, raw)
    with pytest.raises(WebhookRefused, match="JIRA_WEBHOOK_SECRET"):
        read("jira", SECRET, {"X-Hub-Signature": signature("other", raw)}, raw)


async def test_an_issue_closed_on_github_reaches_the_bot_signed():
    async with FakeGitHub(repo="acme/ops", token="t") as github, \
            Receiver("github", SECRET, repo="acme/ops") as bot:
        issues = GitHubIssues(repo="acme/ops", token="t", url=github.url)
        ticket = await issues.create(Draft("INC-1.a1", "Add an alert", "why"))
        github.webhooks.send_to(bot.url, SECRET)
        assert await github.close_as(int(ticket.key), "ann") == 204
        assert bot.heard == [TicketChanged(ticket.key, True, "ann")]
        await issues.reopen(ticket.key)  # the bot's own change comes back too
        await github.webhooks.delivered()
        assert bot.heard[-1] == TicketChanged(ticket.key, False, "incident-bot[bot]")
        github.webhooks.send_to(bot.url, "not-the-secret")
        assert await github.close_as(int(ticket.key), "ann") == 401
        await issues.aclose()
    assert len(bot.heard) == 2 and "GITHUB_WEBHOOK_SECRET" in bot.refused[0]


async def test_an_issue_done_in_jira_reaches_the_bot_signed():
    async with FakeJira(project="OPS", email="e@x", token="t") as jira, \
            Receiver("jira", SECRET, project="OPS") as bot:
        issues = JiraIssues(url=jira.url, project="OPS", token="t", email="e@x")
        ticket = await issues.create(Draft("INC-1.a1", "Add an alert", "why"))
        jira.webhooks.send_to(bot.url, SECRET)
        assert await jira.transition_as(ticket.key, "Done", "Ann Oncall") == 204
        await issues.reopen(ticket.key)
        await jira.webhooks.delivered()
        await issues.aclose()
    assert bot.heard == [TicketChanged("OPS-1", True, "Ann Oncall"),
                         TicketChanged("OPS-1", False, "Incident Bot")]
