"""Slack's requests handed to the bot's Bolt apps in process, as bolt-python's own scenario
tests do: signed as Slack signs them and verified by Bolt, routed by the same choice as
`POST /slack/events`, without an HTTP round trip per request. Stories about the HTTP
endpoint itself (signatures, ack timing over the wire) send over HTTP instead."""

from typing import Any

from slack_bolt.request.async_request import AsyncBoltRequest

from bot.runtime import BotRuntime
from bot.slack.server import EVENTS_PATH, dispatch
from bot.standin.slack_sender import SlackSender


class InProcessSender(SlackSender):
    def __init__(self, bot: BotRuntime, *, signing_secret: str, api: Any = None) -> None:
        super().__init__(events_url=f"{bot.url}{EVENTS_PATH}", signing_secret=signing_secret,
                         api=api)
        self.events, self.commands = bot.bolt, bot.commands

    async def deliver(self, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        answer = await dispatch(AsyncBoltRequest(body=body.decode(), headers=headers),
                                events=self.events, commands=self.commands)
        return answer.status, answer.body
