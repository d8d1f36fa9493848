"""Channel events: who joined an incident, and when; 📌 put on and taken off messages."""

from slack_bolt.async_app import AsyncApp

from bot.domain.captures import PIN, Via
from bot.services import capture, incidents
from bot.slack.deps import Deps
from bot.slack.listeners.answers import attempt


def _bot_users(body: dict) -> set[str]:
    return {a.get("user_id") for a in body.get("authorizations") or []}


def _pinned_message(event: dict, body: dict) -> bool:
    """A 📌 on a message; on one of the bot's own it captures nothing (what the bot says is
    recorded already)."""
    return (event.get("reaction") == PIN and event.get("item", {}).get("type") == "message"
            and event.get("item_user") not in _bot_users(body))


def register(app: AsyncApp, deps: Deps) -> None:
    @app.event("member_joined_channel")
    async def member_joined(body: dict, event: dict) -> None:
        if event["user"] in _bot_users(body):
            return
        await incidents.participant_joined(deps.store, event_id=body["event_id"],
                                           channel_id=event["channel"], user_id=event["user"])

    @app.event("reaction_added")
    async def reaction_added(body: dict, event: dict) -> None:
        if _pinned_message(event, body):
            # Nobody to answer a reaction: a refusal of the policy is only kept.
            await attempt(capture.ask(deps.store, delivery=body["event_id"],
                                      channel_id=event["item"]["channel"], ts=event["item"]["ts"],
                                      by=event["user"], via=Via.PIN, judge=deps.judge),
                          what="a 📌 capture")

    @app.event("reaction_removed")
    async def reaction_removed(body: dict, event: dict) -> None:
        if _pinned_message(event, body):
            await capture.unpinned(deps.store, delivery=body["event_id"],
                                   channel_id=event["item"]["channel"], ts=event["item"]["ts"],
                                   by=event["user"])
