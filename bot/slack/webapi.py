"""Web API calls with Slack's failures sorted into final, retry-later, or Slack-is-down."""

import logging
import time
from datetime import timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.outbound.errors import Retry

log = logging.getLogger(__name__)

# Slack answers these with ok=false, yet they pass: the wanted state is already there.
ALREADY_DONE = {"already_pinned", "already_in_channel", "cant_invite_self"}
# Worth waiting for: the token or Slack itself may come back.
TRANSIENT = {"ratelimited", "internal_error", "fatal_error", "service_unavailable",
             "request_timeout", "invalid_auth", "not_authed", "account_inactive",
             "token_revoked", "team_added_to_org"}


def error_code(exc: SlackApiError) -> str:
    """Slack's error code; a 5xx from a proxy may carry no JSON at all."""
    data = exc.response.data
    return data.get("error", "") if isinstance(data, dict) else ""


class WebApi:
    name = "Slack"

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        # Slack limits each method per workspace: after a 429 no lane calls it before then.
        self._rate_limited_until: dict[str, float] = {}
        # Set by a 5xx, a timeout or a refused connection: calls wait for a probe to succeed.
        self.failing_since: float | None = None

    async def call(self, method: str, **params: Any) -> Any:
        if self.failing_since is not None:
            raise Retry(f"{method}: Slack is failing; waiting for it to answer again", held=True)
        wait = self._rate_limited_until.get(method, 0) - time.monotonic()
        if wait > 0:
            raise Retry(f"{method}: still rate limited", after=timedelta(seconds=wait))
        return await self.sort_failures(method, self._invoke(method, params))

    async def _invoke(self, method: str, params: dict) -> Any:
        # The SDK's own method knows each call's encoding (form, JSON or GET).
        return await getattr(self.client, method.replace(".", "_"))(**params)

    async def sort_failures(self, method: str, call: Any) -> Any:
        try:
            return await call
        except SlackApiError as exc:
            status, error = exc.response.status_code, error_code(exc)
            if status == 429 or error == "ratelimited":
                headers = {k.lower(): v for k, v in (exc.response.headers or {}).items()}
                wait = float(headers.get("retry-after", 1))
                self._rate_limited_until[method] = time.monotonic() + wait
                raise Retry(f"{method}: rate limited", after=timedelta(seconds=wait)) from None
            if status >= 500:
                self._failing()
                raise Retry(f"{method}: HTTP {status}", uncertain=True, held=True) from None
            if error in ALREADY_DONE:
                return exc.response
            if error in TRANSIENT:  # Slack answers: its next success sends these again
                raise Retry(f"{method}: {error}", held=True) from None
            raise
        except aiohttp.ClientConnectorError as exc:
            self._failing()  # never reached Slack
            raise Retry(f"{method}: {type(exc).__name__}", held=True) from None
        except (TimeoutError, aiohttp.ClientError) as exc:
            self._failing()
            raise Retry(f"{method}: {type(exc).__name__}", in_flight=True) from None

    def _failing(self) -> None:
        if self.failing_since is None:
            log.warning("Slack is failing; probing until it answers again")
            self.failing_since = time.monotonic()

    async def probe(self) -> bool:
        """One cheap call: True, and calls resume, when Slack answers it."""
        try:
            await self.client.api_test()
        except Exception as exc:  # any failure means: not back yet
            log.info("Slack still failing: %s", type(exc).__name__)
            return False
        if self.failing_since is not None:
            log.warning("Slack answers again after %.1fs", time.monotonic() - self.failing_since)
        self.failing_since = None
        return True
