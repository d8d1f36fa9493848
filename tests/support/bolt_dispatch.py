"""Slack's requests handed to the bot's Bolt apps in process, as bolt-python's own scenario
tests do: signed as Slack signs them and verified by Bolt, routed by the same choice as
`POST /slack/events`, without an HTTP round trip per request. Stories about the HTTP
endpoint itself (signatures, ack timing over the wire) send over HTTP instead."""

import json
import time
from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest

from bot.runtime import BotRuntime
from bot.slack.server import EVENTS_PATH, dispatch
from bot.standin.slack_sender import SlackResponse, SlackSender, signature


class InProcessSender(SlackSender):
    def __init__(self, bot: BotRuntime, *, signing_secret: str, api: Any = None) -> None:
        super().__init__(events_url=f"{bot.url}{EVENTS_PATH}", signing_secret=signing_secret,
                         api=api)
        self.events, self.commands = bot.bolt, bot.commands

    async def post(self, body: bytes, content_type: str, *, timestamp: int | None = None,
                   signature_value: str | None = None, sign: bool = True,
                   headers: dict | None = None, **legacy: Any) -> SlackResponse:
        signature_value = legacy.pop("signature", signature_value)
        stamp = int(time.time()) if timestamp is None else timestamp
        sent = {"Content-Type": content_type, **(headers or {})}
        if sign:
            sent["X-Slack-Request-Timestamp"] = str(stamp)
            sent["X-Slack-Signature"] = signature_value or signature(self.secret, stamp, body)
        started = time.monotonic()
        answer = await dispatch(AsyncBoltRequest(body=body.decode(), headers=sent),
                                events=self.events, commands=self.commands)
        try:
            parsed = json.loads(answer.body) if answer.body else None
        except ValueError:
            parsed = None
        return SlackResponse(answer.status, answer.body, parsed, time.monotonic() - started)
