"""What a tracker tells the bot: a ticket closed or reopened there.

GitHub signs every delivery with `GITHUB_WEBHOOK_SECRET` (`X-Hub-Signature-256:
sha256=<hex HMAC-SHA256 of the raw body>`); a Jira admin webhook saved with a secret
(`JIRA_WEBHOOK_SECRET`) signs the same way in `X-Hub-Signature`. A delivery is believed
only when its signature matches, compared in constant time, before its body is read.
Events that do not open or close a ticket are None: a label, a comment, an edit, a ping.
"""

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TicketChanged:
    """`key` as the tracker client names tickets (`"123"` on GitHub, `"OPS-7"` on Jira);
    `by`: who did it there (a GitHub login, a Jira display name)."""

    key: str
    closed: bool
    by: str


class WebhookRefused(Exception):
    """Not believed or not readable: answered 401 (bad signature) or 400, nothing changes."""

    def __init__(self, reason: str, status: int = 401) -> None:
        super().__init__(reason)
        self.status = status


SIGNATURE_HEADER = {"github": "X-Hub-Signature-256", "jira": "X-Hub-Signature"}
SECRET_SETTING = {"github": "GITHUB_WEBHOOK_SECRET", "jira": "JIRA_WEBHOOK_SECRET"}


def signature(secret: str, body: bytes) -> str:
    """The header value a tracker sends for `body`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def refusal(tracker: str, secret: str | None, headers: Mapping[str, str], body: bytes) -> str | None:
    """Why a delivery is not believed, or None when its signature is good."""
    setting, header = SECRET_SETTING[tracker], SIGNATURE_HEADER[tracker]
    if not secret:
        return f"{setting} is not set: {tracker} webhooks cannot be checked, so none is believed"
    given = _lowered(headers).get(header.lower())
    if not given:
        return f"no {header} header: the webhook must be saved with the secret in {setting}"
    if not given.startswith("sha256="):
        return f"{header} is not sha256=<hex>"
    if not hmac.compare_digest(given.encode(), signature(secret, body).encode()):
        return f"{header} does not match: the webhook's secret is not the one in {setting}"
    return None


def read(tracker: str, secret: str | None, headers: Mapping[str, str], body: bytes,
         *, repo: str | None = None, project: str | None = None) -> TicketChanged | None:
    """The change a signed delivery tells of, or None for one that does not matter;
    `WebhookRefused` for one not believed. `repo` / `project`: only that repository's or
    project's tickets count (one webhook may serve many)."""
    reason = refusal(tracker, secret, headers, body)
    if reason:
        raise WebhookRefused(reason)
    try:
        payload = json.loads(body)
    except ValueError:
        raise WebhookRefused("the body is not JSON", status=400) from None
    if not isinstance(payload, dict):
        raise WebhookRefused("the body is not a JSON object", status=400)
    if tracker == "github":
        return github_change(_lowered(headers).get("x-github-event", ""), payload, repo=repo)
    return jira_change(payload, project=project)


def github_change(event: str, payload: dict, *, repo: str | None = None) -> TicketChanged | None:
    """An `issues` event closing or reopening an issue (not a pull request)."""
    if event != "issues" or payload.get("action") not in ("closed", "reopened"):
        return None
    issue = payload.get("issue")
    if not isinstance(issue, dict) or "pull_request" in issue or "number" not in issue:
        return None
    full_name = (payload.get("repository") or {}).get("full_name")
    if repo is not None and str(full_name).lower() != repo.lower():
        return None
    closed = issue.get("state") == "closed" if "state" in issue else payload["action"] == "closed"
    by = (payload.get("sender") or {}).get("login") or ""
    return TicketChanged(str(issue["number"]), closed, str(by))


def jira_change(payload: dict, *, project: str | None = None) -> TicketChanged | None:
    """A `jira:issue_updated` whose changelog moves the status; closed when the status it
    moved to is in the done category."""
    if payload.get("webhookEvent") != "jira:issue_updated":
        return None
    items = (payload.get("changelog") or {}).get("items") or []
    if not any(isinstance(i, dict) and i.get("field") == "status" for i in items):
        return None
    issue = payload.get("issue")
    key = issue.get("key") if isinstance(issue, dict) else None
    if not isinstance(key, str):
        return None
    if project is not None and key.split("-")[0] != project:
        return None
    category = _get(issue, "fields", "status", "statusCategory", "key")
    by = _get(payload, "user", "displayName") or _get(payload, "user", "accountId") or ""
    return TicketChanged(key, category == "done", str(by))


def _lowered(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _get(data: Any, *path: str) -> Any:
    for step in path:
        if not isinstance(data, dict):
            return None
        data = data.get(step)
    return data
