"""**Resolve on Statuspage** / **Keep it open** on the resolve message: the public incident is
resolved only by that click, never as a side effect of resolving the incident."""

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.services import statuspage
from bot.services.caller import Caller
from bot.slack import ids
from bot.slack.deps import Deps
from bot.slack.listeners.actions import clicker
from bot.slack.listeners.answers import click_answer, tell


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(ids.STATUSPAGE_RESOLVE)
    async def resolve(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict) -> None:
        await ack()

        async def publish(caller: Caller, value: str) -> None:
            incident = await statuspage.resolve_public(deps.store, caller=caller,
                                                       incident_id=int(value), policy=deps.policy,
                                                       components=deps.catalog.components())
            await tell(respond, f"Resolving {incident.ref} on Statuspage.")

        await click_answer(respond, publish(clicker(body, action, deps), action["value"]),
                           what=f"button {ids.STATUSPAGE_RESOLVE}")

    @app.action(ids.STATUSPAGE_KEEP_OPEN)
    async def keep_open(ack: AsyncAck, respond: AsyncRespond) -> None:
        await ack()
        await tell(respond, "The public incident stays open. Resolve it later with "
                            "`/incident statuspage resolved <public text>`.")
