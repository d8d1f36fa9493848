"""**Join** on a page or an escalation DM: the person is invited to the incident's channel."""

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.services import paging
from bot.services.caller import Caller
from bot.slack import ids
from bot.slack.deps import Deps
from bot.slack.listeners.actions import clicker
from bot.slack.listeners.answers import click_answer, tell


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(ids.JOIN)
    async def join(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict) -> None:
        await ack()

        async def invite(caller: Caller, value: str) -> None:
            incident = await paging.join(deps.store, caller=caller, incident_id=int(value))
            where = f"<#{incident.channel_id}>" if incident.channel_id else "its channel"
            await tell(respond, f"Inviting you to {where} ({incident.ref}).")

        await click_answer(respond, invite(clicker(body, action, deps), action["value"]),
                           what=f"button {ids.JOIN}")
