"""The Bolt apps: signature checks, then the listeners. They authorize without calling Slack."""

import logging
import time
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware.request_verification.async_request_verification import (
    AsyncRequestVerification,
)
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.deps import Deps
from bot.slack.listeners import actions, commands, events, home, paging, shortcuts, statuspage, steps, views

log = logging.getLogger(__name__)

# Seconds between two lines about refused signatures.
TELL_EVERY = 60.0


class RejectedSignatures:
    """Requests refused for their signature, told at most once a TELL_EVERY: a wrong
    SLACK_SIGNING_SECRET refuses every request, and a line for each would bury the log."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.refused = 0  # since the last line
        self._told_at: float | None = None

    def note(self, *, secret_set: bool = True) -> None:
        self.refused += 1
        now = self.clock()
        if self._told_at is not None and now - self._told_at < TELL_EVERY:
            return
        if secret_set:
            why = ("their signature does not match SLACK_SIGNING_SECRET, or they are more than "
                   "5 minutes old: check that SLACK_SIGNING_SECRET is the app's Signing Secret "
                   "(Basic Information in the app's settings), and the clock")
        else:
            why = ("SLACK_SIGNING_SECRET is not set (Socket Mode needs none), so requests over "
                   "HTTP cannot be checked: set it, or leave the app's Request URLs unset")
        log.warning("%d request(s) to /slack/events refused with 401 since the last such line: %s",
                    self.refused, why)
        self._told_at, self.refused = now, 0


class SignatureCheck(AsyncRequestVerification):
    """Bolt's own check of Slack's signature, telling the operator when requests fail it. With no
    signing secret (Socket Mode), every request over HTTP is refused: none can be checked."""

    def __init__(self, signing_secret: str, rejected: RejectedSignatures) -> None:
        super().__init__(signing_secret)
        self.rejected = rejected

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        if not self._signing_secret and not self._can_skip(req.mode, req.body):
            self.rejected.note(secret_set=False)
            return self._build_error_response()
        return await super().async_process(req=req, resp=resp, next=next)

    def _debug_log_error(self, signature: str, timestamp: str, body: str) -> None:
        self.rejected.note()


def build_app(deps: Deps, client: AsyncWebClient,
              rejected: RejectedSignatures | None = None) -> AsyncApp:
    """Every listener. Clicks, forms and events are acked at once and handled after."""
    app = _app(deps, client, answer_when_done=False, rejected=rejected)
    for listeners in (commands, actions, steps, views, events, shortcuts, paging, statuspage, home):
        listeners.register(app, deps)
    return app


def build_command_app(deps: Deps, client: AsyncWebClient,
                      rejected: RejectedSignatures | None = None) -> AsyncApp:
    """Slash commands over HTTP. Each acks with what it recorded, as its last act, so the
    answer goes back the moment the listener returns, not at Bolt's next look at the ack,
    which it takes every 10 ms. Anything a command does after its ack runs in the background."""
    app = _app(deps, client, answer_when_done=True, rejected=rejected)
    commands.register(app, deps)
    return app


def _app(deps: Deps, client: AsyncWebClient, *, answer_when_done: bool,
         rejected: RejectedSignatures | None) -> AsyncApp:
    token = deps.settings.slack_bot_token

    async def authorize(enterprise_id: str | None, team_id: str | None,
                        **_: object) -> AuthorizeResult:
        # One workspace, one token: no auth.test per request, so a Slack outage
        # never stands between a request and its ack.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)

    secret = deps.settings.slack_signing_secret
    return AsyncApp(
        signing_secret=secret,
        client=client,
        authorize=authorize,
        process_before_response=answer_when_done,
        # Bolt's check, in its own place (right before authorize), and heard when it refuses.
        request_verification_enabled=False,
        before_authorize=SignatureCheck(secret, rejected or RejectedSignatures()),
    )
