"""Buttons: Approve / Deny on a request, Extend / Revoke on a warning, Mark revoked on expiry."""

import logging
from collections.abc import Awaitable

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.domain.errors import DuplicateDelivery, IncidentError
from bot.services import access
from bot.services.caller import Caller
from bot.slack.deps import Deps

log = logging.getLogger(__name__)


def clicker(body: dict, action: dict) -> Caller:
    user = body["user"]
    # action_ts names one click: a repeated delivery of it is recognised.
    return Caller(user_id=user["id"], user_name=user.get("username") or user.get("name", ""),
                  channel_id=body["channel"]["id"], trigger_id=f"click:{action['action_ts']}:{user['id']}",
                  command="button", text=action["action_id"])


def register(app: AsyncApp, deps: Deps) -> None:
    async def on_click(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict) -> None:
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
        await answer_click(respond, action["action_id"], work)

    for action_id in ("access_approve", "access_deny", "access_extend", "access_revoke"):
        app.action(action_id)(on_click)


async def answer_click(respond: AsyncRespond, action_id: str, work: Awaitable[object]) -> None:
    """Run what a click asks; a refusal or failure is told to the clicker alone."""
    try:
        await work
    except DuplicateDelivery:
        return  # Slack delivered the same click twice; the first one counted
    except IncidentError as error:
        await tell(respond, str(error))
    except Exception:
        log.exception("button %s failed", action_id)
        await tell(respond, "Something went wrong and nothing was recorded. Please try again.")


async def tell(respond: AsyncRespond, text: str) -> None:
    try:
        await respond(text=text, response_type="ephemeral", replace_original=False)
    except Exception:
        log.warning("could not answer a click: %s", text)
