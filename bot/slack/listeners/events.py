"""Channel events: who joined an incident, and when."""

from slack_bolt.async_app import AsyncApp

from bot.services import incidents
from bot.slack.deps import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    @app.event("member_joined_channel")
    async def member_joined(body: dict, event: dict) -> None:
        bot_users = {a.get("user_id") for a in body.get("authorizations") or []}
        if event["user"] in bot_users:
            return
        await incidents.participant_joined(deps.store, event_id=body["event_id"],
                                           channel_id=event["channel"], user_id=event["user"])
