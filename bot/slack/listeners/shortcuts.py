"""The message shortcut Add to timeline: the message it is used on goes on the timeline,
any secret in it taken out first (the person who used it is told)."""

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import redaction
from bot.domain.captures import Via
from bot.services import capture
from bot.slack import ids
from bot.slack.deps import Deps
from bot.slack.listeners.answers import Refusal, attempt, tell
from bot.slack.said import said_of

ONLY_IN_INCIDENTS = ("Add to timeline works in incident channels only: use it on a message "
                     "in the incident's channel (#inc-…).")
ALREADY = "That message is on the timeline already."


def register(app: AsyncApp, deps: Deps) -> None:
    @app.message_shortcut(ids.ADD_TO_TIMELINE)
    async def add_to_timeline(ack: AsyncAck, respond: AsyncRespond, body: dict) -> None:
        await ack()
        user, message = body["user"], body["message"]
        heard = said_of(message)

        async def ask() -> capture.Asked:
            # The payload carries the message: only its permalink is left to ask Slack for.
            return await capture.ask(
                deps.store, delivery=f"shortcut:{body['trigger_id']}",
                channel_id=body["channel"]["id"], ts=message["ts"], by=user["id"],
                by_name=user.get("username") or user.get("name", ""), via=Via.SHORTCUT, judge=deps.judge,
                said=heard.said, reply_to=body.get("response_url"))

        asked = await attempt(ask(), what="add to timeline")
        if isinstance(asked, Refusal):
            if not asked.repeated:
                await tell(respond, asked.text)
        elif asked is capture.Asked.NOT_AN_INCIDENT:
            await tell(respond, ONLY_IN_INCIDENTS)
        elif asked is capture.Asked.ALREADY:
            await tell(respond, ALREADY)
        elif asked is capture.Asked.OWED and heard.redacted:
            await tell(respond, redaction.told(heard.redacted))
