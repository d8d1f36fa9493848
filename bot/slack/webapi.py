"""Web API calls with Slack's failures sorted into final, retry-later, Slack-is-down, or a
person must fix it (bot/slack/refusals.py); each call counted, and what it showed of Slack
(reached or not, the token taken or not) kept for /healthz and /metrics."""

import logging
import time
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.outbound.errors import Retry
from bot.outbound.metrics import ERROR, OK, REFUSED, RETRY, OutboundCalls
from bot.slack.refusals import NeedsAPerson, Told, refusal

log = logging.getLogger(__name__)

SYSTEM = "slack"
# Slack answers these with ok=false, yet they pass: the wanted state is already there.
ALREADY_DONE = {"already_pinned", "already_in_channel", "cant_invite_self"}
# Answers the callers act on, as a step of their own: a channel name taken (the next one is
# tried), a post where the bot is not a member (it joins first; only the join's refusal needs
# a person), a message or user group that is gone. Counted `ok`: nothing to look into.
EXPECTED = {("conversations.create", "name_taken"), ("chat.postMessage", "not_in_channel"),
            ("conversations.replies", "thread_not_found"),
            ("usergroups.users.list", "no_such_subteam")}
# Worth waiting for: Slack itself may come back.
TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable",
             "request_timeout", "team_added_to_org"}


def error_code(exc: SlackApiError) -> str:
    """Slack's error code; a 5xx from a proxy may carry no JSON at all."""
    data = exc.response.data
    return data.get("error", "") if isinstance(data, dict) else ""


class WebApi:
    name = "Slack"

    def __init__(self, client: AsyncWebClient, *, calls: OutboundCalls | None = None,
                 channel_settings: Mapping[str, str] | None = None) -> None:
        self.client = client
        self.calls = calls or OutboundCalls()
        # The setting that names a channel, by the channel: a refusal there names the setting.
        self.channel_settings = dict(channel_settings or {})
        self.told = Told()
        # Slack limits each method per workspace: after a 429 no lane calls it before then.
        self._rate_limited_until: dict[str, float] = {}
        # Set by a 5xx, a timeout or a refused connection: calls wait for a probe to succeed.
        self.failing_since: float | None = None
        # What the last call showed: Slack answered it; Slack's word on the token, when it
        # refused it (invalid_auth, token_revoked, …).
        self.reachable = True
        self.token_refused: str | None = None

    async def call(self, method: str, **params: Any) -> Any:
        if self.failing_since is not None:
            raise Retry(f"{method}: Slack is failing; waiting for it to answer again", held=True)
        wait = self._rate_limited_until.get(method, 0) - time.monotonic()
        if wait > 0:
            raise Retry(f"{method}: still rate limited", after=timedelta(seconds=wait))
        try:
            return await self.sort_failures(method, self._invoke(method, params), params)
        except NeedsAPerson as refused:
            self.told.tell(refused)
            raise

    async def _invoke(self, method: str, params: dict) -> Any:
        # The SDK's own method knows each call's encoding (form, JSON or GET).
        return await getattr(self.client, method.replace(".", "_"))(**params)

    async def sort_failures(self, method: str, call: Any, params: Mapping[str, Any] | None = None,
                            *, hold: bool = True) -> Any:
        """The call's answer, or its failure sorted. `hold`: Slack not answering holds the
        other calls until a probe succeeds."""
        try:
            answer = await call
        except SlackApiError as exc:
            status, error = exc.response.status_code, error_code(exc)
            if status == 429 or error == "ratelimited":
                self._answered(method, RETRY)
                headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
                wait = float(headers.get("retry-after", 1))
                self._rate_limited_until[method] = time.monotonic() + wait
                raise Retry(f"{method}: rate limited", after=timedelta(seconds=wait)) from None
            if status >= 500:
                self._not_reached(method, hold)
                raise Retry(f"{method}: HTTP {status}", uncertain=True, held=True) from None
            if error in ALREADY_DONE:
                self._answered(method, OK)
                return exc.response
            if (method, error) in EXPECTED:
                self._answered(method, OK)
                raise
            if error in TRANSIENT:  # Slack answers: its next success sends these again
                self._answered(method, RETRY)
                raise Retry(f"{method}: {error}", held=True) from None
            self._answered(method, REFUSED)
            refused = refusal(method, error, exc.response.data, params or {},
                              self.channel_settings)
            if refused is None:
                raise
            if refused.token:
                self.token_refused = error
            raise refused from None
        except aiohttp.ClientConnectorError as exc:
            self._not_reached(method, hold)  # never reached Slack
            raise Retry(f"{method}: {type(exc).__name__}", held=True) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            self._not_reached(method, hold)
            raise Retry(f"{method}: {type(exc).__name__}", in_flight=True) from None
        except Exception:
            self.calls.add(SYSTEM, method, ERROR)
            raise
        self._answered(method, OK)
        self.token_refused = None
        return answer

    def _answered(self, method: str, outcome: str) -> None:
        self.calls.add(SYSTEM, method, outcome)
        self.reachable = True

    def _not_reached(self, method: str, hold: bool) -> None:
        self.calls.add(SYSTEM, method, RETRY)
        self.reachable = False
        if hold and self.failing_since is None:
            log.warning("Slack is failing; probing until it answers again")
            self.failing_since = time.monotonic()

    async def who_am_i(self) -> str:
        """auth.test, made whatever state the other calls are in: the bot user's id. Raises
        NeedsAPerson when Slack refuses the token, Retry when Slack does not answer (which
        holds no other call: those find out for themselves)."""
        answer = await self.sort_failures("auth.test", self._invoke("auth.test", {}), hold=False)
        return str(answer["user_id"])

    async def probe(self) -> bool:
        """One cheap call: True, and calls resume, when Slack answers it."""
        try:
            await self.client.api_test()
        except Exception as exc:  # any failure means: not back yet
            self.calls.add(SYSTEM, "api.test", RETRY)
            self.reachable = False
            log.info("Slack still failing: %s", type(exc).__name__)
            return False
        self._answered("api.test", OK)
        if self.failing_since is not None:
            log.warning("Slack answers again after %.1fs", time.monotonic() - self.failing_since)
        self.failing_since = None
        return True
