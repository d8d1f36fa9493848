"""Buttons: Approve / Deny on a request, Extend / Revoke on a warning, Mark revoked on expiry."""

import logging
from collections.abc import Awaitable

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import DuplicateDelivery, IncidentError
from bot.services import access
from bot.services.caller import Caller
from bot.slack.deps import Deps
from bot.slack.listeners import home

log = logging.getLogger(__name__)


def clicker(body: dict, action: dict) -> Caller:
    user = body["user"]
    # action_ts names one click: a repeated delivery of it is recognised. A click on the
    # App Home comes from no channel.
    return Caller(user_id=user["id"], user_name=user.get("username") or user.get("name", ""),
                  channel_id=(body.get("channel") or {}).get("id", ""),
                  trigger_id=f"click:{action['action_ts']}:{user['id']}",
                  command="button", text=action["action_id"])


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_click(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict,
                       client: AsyncWebClient) -> None:
        await ack()
        caller, ref = clicker(body, action), f"AR-{action['value']}"
        # The button names its request: a click counts in the channel and in a DM copy alike.
        if action["action_id"] == "access_approve":
            work = access.approve(deps.store, caller=caller, ref=ref, duration=None, policy=deps.policy)
        elif action["action_id"] == "access_deny":
            work = access.deny(deps.store, caller=caller, ref=ref, note="", policy=deps.policy)
        elif action["action_id"] == "access_extend":
            work = access.extend(deps.store, caller=caller, ref=ref, policy=deps.policy)
        else:
            work = access.revoke(deps.store, caller=caller, ref=ref, policy=deps.policy)
        if (body.get("view") or {}).get("type") == "home":
            # No response_url on the App Home: the page itself shows how the click went.
            refused = await answer_click(None, action["action_id"], work)
            await home.publish(deps, client, caller.user_id, note=refused or "")
            return
        await answer_click(respond, action["action_id"], work)

    for action_id in ("access_approve", "access_deny", "access_extend", "access_revoke"):
        app.action(action_id)(on_click)


async def answer_click(respond: AsyncRespond | None, action_id: str,
                       work: Awaitable[object]) -> str | None:
    """Run what a click asks; a refusal or failure is told to the clicker alone (and
    returned: None when the click counted)."""
    try:
        await work
        return None
    except DuplicateDelivery:
        return None  # Slack delivered the same click twice; the first one counted
    except IncidentError as error:
        refused = str(error)
    except Exception:
        log.exception("button %s failed", action_id)
        refused = "Something went wrong and nothing was recorded. Please try again."
    if respond is not None:
        await tell(respond, refused)
    return refused


async def tell(respond: AsyncRespond, text: str) -> None:
    try:
        await respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:
        log.warning("could not answer a click: %s", text)
