"""`POST /webhooks/github` and `POST /webhooks/jira`: a ticket closed in the tracker ticks its
action item. A delivery not signed with the secret is 401 and changes nothing; one about a
ticket that is not an action item's, or a change that does not matter, is 200 and ignored
(a tracker takes any other answer for a failure and may stop sending)."""

import logging

from aiohttp import web

from bot.services import action_items
from bot.storage.store import Store
from bot.tickets.webhooks import WebhookRefused, read

log = logging.getLogger(__name__)
PATHS = {"github": "/webhooks/github", "jira": "/webhooks/jira"}
MAX_BODY = 5 * 1024 * 1024  # bytes; GitHub caps a payload at 25 MB, but an issue's is small


class TicketWebhooks:
    def __init__(self, *, store: Store, github_secret: str | None, github_repo: str | None,
                 jira_secret: str | None, jira_project: str | None) -> None:
        self.store = store
        self.secrets = {"github": github_secret, "jira": jira_secret}
        self.repo, self.project = github_repo, jira_project

    async def github(self, request: web.Request) -> web.Response:
        return await self._handle("github", request)

    async def jira(self, request: web.Request) -> web.Response:
        return await self._handle("jira", request)

    async def _handle(self, tracker: str, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return web.json_response({"ok": False, "error": "too large"}, status=413)
        body = await request.content.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return web.json_response({"ok": False, "error": "too large"}, status=413)
        try:
            change = read(tracker, self.secrets[tracker], request.headers, body,
                          repo=self.repo, project=self.project)
        except WebhookRefused as refused:
            log.warning("%s webhook refused: %s", tracker, refused)
            return web.json_response({"ok": False, "error": str(refused)}, status=refused.status)
        if change is None:
            return web.json_response({"ok": True, "changed": False})
        changed = await action_items.ticket_changed(self.store, tracker=tracker, key=change.key,
                                                    closed=change.closed, by=change.by)
        return web.json_response({"ok": True, "changed": changed})
