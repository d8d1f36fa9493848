"""Runbook step buttons: Start / Done / Failed / Skip, Run check, Capture snapshot, Request access."""

import logging
import re

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.domain.errors import DuplicateDelivery, IncidentError
from bot.services import runbooks
from bot.slack.deps import Deps
from bot.slack.listeners.actions import clicker, tell

log = logging.getLogger(__name__)
STEP_ACTION = re.compile(r"^step:(\d+):(\d+):(started|done|failed|skipped|check|snapshot|access)$")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(STEP_ACTION)
    async def on_step(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict) -> None:
        await ack()
        attached, number, what = STEP_ACTION.match(action["action_id"]).groups()  # type: ignore[union-attr]
        caller = clicker(body, action)
        try:
            if what in ("check", "snapshot"):
                await runbooks.check(deps.store, caller=caller, attached_id=int(attached),
                                     number=int(number), snapshot=what == "snapshot",
                                     allow_commands=deps.settings.allow_runbook_commands)
            elif what == "access":
                request = await runbooks.request_step_access(
                    deps.store, caller=caller, attached_id=int(attached), number=int(number))
                await tell(respond, f"{request.ref} requested for step {number}; "
                                    "approvers are asked in the channel.")
            else:
                await runbooks.mark_step(deps.store, caller=caller, attached_id=int(attached),
                                         number=int(number), status=what)
        except DuplicateDelivery:
            return
        except IncidentError as error:
            await tell(respond, str(error))
        except Exception:
            log.exception("step button %s failed", action["action_id"])
            await tell(respond, "Something went wrong and nothing was recorded. Please try again.")
