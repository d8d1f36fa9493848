"""Buttons: Approve / Deny on a request, Extend / Revoke on a warning, Mark revoked on expiry."""

from collections.abc import Awaitable

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import access
from bot.services.caller import Caller
from bot.slack import ids
from bot.slack.deps import Deps
from bot.slack.listeners import home
from bot.slack.listeners.answers import click_answer


def clicker(body: dict, action: dict, deps: Deps) -> Caller:
    user = body["user"]
    # action_ts names one click: a repeated delivery of it is recognised. A click on the
    # App Home comes from no channel.
    return Caller(user_id=user["id"], user_name=user.get("username") or user.get("name", ""),
                  channel_id=(body.get("channel") or {}).get("id", ""),
                  trigger_id=f"click:{action['action_ts']}:{user['id']}",
                  judge=deps.judge, command="button", text=action["action_id"])


def register(app: AsyncApp, deps: Deps) -> None:
    def work(action_id: str, caller: Caller, ref: str) -> Awaitable[object]:
        # The button names its request: a click counts in the channel and in a DM copy alike.
        if action_id == ids.ACCESS_APPROVE:
            return access.approve(deps.store, caller=caller, ref=ref, duration=None,
                                  policy=deps.policy)
        if action_id == ids.ACCESS_DENY:
            return access.deny(deps.store, caller=caller, ref=ref, note="", policy=deps.policy)
        if action_id == ids.ACCESS_EXTEND:
            return access.extend(deps.store, caller=caller, ref=ref, policy=deps.policy)
        return access.revoke(deps.store, caller=caller, ref=ref, policy=deps.policy)

    async def on_click(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict,
                       client: AsyncWebClient) -> None:
        await ack()
        caller, action_id = clicker(body, action, deps), action["action_id"]
        clicked = work(action_id, caller, f"AR-{action['value']}")
        if (body.get("view") or {}).get("type") == "home":
            # No response_url on the App Home: the page itself shows how the click went.
            refused = await click_answer(None, clicked, what=f"button {action_id}")
            await home.publish(deps, client, caller.user_id, note=refused or "")
            return
        await click_answer(respond, clicked, what=f"button {action_id}")

    for action_id in ids.ACCESS_BUTTONS:
        app.action(action_id)(on_click)
