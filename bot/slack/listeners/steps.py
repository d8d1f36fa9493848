"""Runbook step buttons: Start / Done / Failed / Skip, Run check, Capture snapshot, Request access."""

import re
from collections.abc import Awaitable

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.services import runbooks
from bot.slack.deps import Deps
from bot.slack.listeners.actions import answer_click, clicker, tell

STEP_ACTION = re.compile(r"^step:(\d+):(\d+):(started|done|failed|skipped|check|snapshot|access)$")


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(STEP_ACTION)
    async def on_step(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict) -> None:
        await ack()
        attached, number, what = STEP_ACTION.match(action["action_id"]).groups()  # type: ignore[union-attr]
        caller = clicker(body, action)

        async def request_access() -> None:
            request = await runbooks.request_step_access(
                deps.store, caller=caller, attached_id=int(attached), number=int(number),
                policy=deps.policy)
            await tell(respond, f"{request.ref} requested for step {number}; "
                                "approvers are asked in the channel and by DM.")

        work: Awaitable[object]
        if what in ("check", "snapshot"):
            work = runbooks.check(deps.store, caller=caller, attached_id=int(attached),
                                  number=int(number), snapshot=what == "snapshot",
                                  allow_commands=deps.settings.allow_runbook_commands)
        elif what == "access":
            work = request_access()
        else:
            work = runbooks.mark_step(deps.store, caller=caller, attached_id=int(attached),
                                      number=int(number), status=what)
        await answer_click(respond, action["action_id"], work)
