"""**Join** on a page or an escalation DM: the person is invited to the incident's channel."""

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.services import paging
from bot.services.caller import Caller
from bot.slack.deps import Deps
from bot.slack.listeners.actions import answer_click, clicker, tell

JOIN = "incident_join"


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(JOIN)
    async def join(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict) -> None:
        await ack()

        async def invite(caller: Caller, incident_id: int) -> None:
            incident = await paging.join(deps.store, caller=caller, incident_id=incident_id)
            where = f"<#{incident.channel_id}>" if incident.channel_id else "its channel"
            await tell(respond, f"Inviting you to {where} ({incident.ref}).")

        await answer_click(respond, JOIN, invite(clicker(body, action), int(action["value"])))
