"""Socket Mode (SLACK_APP_TOKEN): Slack's requests over a WebSocket the bot opens, for a bot
without a public URL. The SDK connects, and reconnects, in the background: a Slack that does
not answer never holds up start-up or stopping, and each failed attempt is one line."""

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.slack.refusals import TOKEN_REFUSED
from bot.slack.webapi import error_code

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

log = logging.getLogger(__name__)

# Seconds between attempts to connect (the SDK waits its ping interval between them).
RETRY_EVERY = 10.0
# Seconds stopping waits for the WebSocket's goodbye before leaving it.
CLOSE_WAIT = 2.0


class OneLinePerAttempt(logging.Filter):
    """The SDK logs a failed attempt with its traceback, after a line of its own for a refusal;
    one line saying why is enough, and the same again every RETRY_EVERY."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Failed to retrieve WSS URL"):
            return False  # the attempt's own line follows, with the same error
        if message.startswith("Failed to connect") and record.exc_info:
            record.msg = "Socket Mode: cannot connect to Slack (%s); trying again in %gs"
            record.args = (_why(record.exc_info[1]), RETRY_EVERY)
            record.exc_info, record.exc_text = None, None
        return True


def _why(error: BaseException | None) -> str:
    if isinstance(error, SlackApiError):
        code = error_code(error)
        return f"Slack refuses SLACK_APP_TOKEN: {code}" if code in TOKEN_REFUSED else code
    said = str(error).strip().splitlines()
    return f"{type(error).__name__}: {said[0]}" if said else type(error).__name__


_sdk_log = logging.getLogger(f"{__name__}.sdk")
_sdk_log.addFilter(OneLinePerAttempt())


class SocketMode:
    def __init__(self, bolt: AsyncApp, app_token: str, *, api_url: str,
                 timeout: timedelta) -> None:
        self.bolt, self.app_token, self.api_url, self.timeout = bolt, app_token, api_url, timeout
        self._handler: AsyncSocketModeHandler | None = None
        self._connecting: asyncio.Task | None = None

    async def start(self) -> None:
        from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

        self._handler = AsyncSocketModeHandler(
            self.bolt, self.app_token, logger=_sdk_log, ping_interval=RETRY_EVERY,
            web_client=AsyncWebClient(base_url=self.api_url,
                                      timeout=max(1, int(self.timeout.total_seconds()))))
        self._connecting = asyncio.create_task(self._handler.connect_async())

    async def stop(self) -> None:
        if self._connecting is not None:
            self._connecting.cancel()
            await asyncio.gather(self._connecting, return_exceptions=True)
        if self._handler is None:
            return
        client = self._handler.client
        try:
            async with asyncio.timeout(CLOSE_WAIT):
                await self._handler.close_async()
        except Exception as exc:  # Slack gone mid-goodbye: the bot stops all the same
            log.info("Socket Mode: closed without Slack's goodbye: %r", exc)
        await client.aiohttp_client_session.close()
