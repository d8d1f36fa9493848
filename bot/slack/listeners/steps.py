"""Runbook buttons: Start / Done / Failed / Skip, Run check, Capture snapshot, Request access,
and Abort runbook. Failed and Abort ask why in a form first."""

import logging
import re
from collections.abc import Awaitable

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import runbooks
from bot.slack.blocks import abort_modal, step_failed_modal
from bot.slack.deps import Deps
from bot.slack.listeners.actions import answer_click, clicker, tell

log = logging.getLogger(__name__)

STEP_ACTION = re.compile(r"^step:(\d+):(\d+):(started|done|failed|skipped|check|snapshot|access)$")
ABORT_ACTION = re.compile(r"^runbook:(\d+):abort$")
FAILED_WITHOUT_REASON = ("The form asking why could not open, so step {number} is marked failed "
                         "without a reason. Say why with `/incident log <reason>`.")
ABORT_FORM_FAILED = "The form asking why could not open; nothing changed. Please try again."


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(STEP_ACTION)
    async def on_step(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict,
                      client: AsyncWebClient) -> None:
        await ack()
        attached, number, what = STEP_ACTION.match(action["action_id"]).groups()  # type: ignore[union-attr]
        caller = clicker(body, action)

        async def request_access() -> None:
            request = await runbooks.request_step_access(
                deps.store, caller=caller, attached_id=int(attached), number=int(number),
                policy=deps.policy)
            await tell(respond, f"{request.ref} requested for step {number}; "
                                "approvers are asked in the channel and by DM.")

        async def ask_why_failed() -> None:
            runbook, step = await runbooks.step_to_fail(
                deps.store, caller=caller, attached_id=int(attached), number=int(number))
            try:
                await client.views_open(trigger_id=body["trigger_id"], view=step_failed_modal(
                    caller.channel_id, int(attached), runbook, step))
            except Exception:
                # The click still counts: the failure is recorded, only its reason is missing.
                log.exception("could not open the step-failed form")
                await runbooks.mark_step(deps.store, caller=caller, attached_id=int(attached),
                                         number=int(number), status="failed")
                await tell(respond, FAILED_WITHOUT_REASON.format(number=number))

        work: Awaitable[object]
        if what in ("check", "snapshot"):
            work = runbooks.check(deps.store, caller=caller, attached_id=int(attached),
                                  number=int(number), snapshot=what == "snapshot",
                                  allow_commands=deps.settings.allow_runbook_commands)
        elif what == "access":
            work = request_access()
        elif what == "failed":
            work = ask_why_failed()
        else:
            work = runbooks.mark_step(deps.store, caller=caller, attached_id=int(attached),
                                      number=int(number), status=what)
        await answer_click(respond, action["action_id"], work)

    @app.action(ABORT_ACTION)
    async def on_abort(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict,
                       client: AsyncWebClient) -> None:
        await ack()
        attached = int(ABORT_ACTION.match(action["action_id"]).group(1))  # type: ignore[union-attr]
        caller = clicker(body, action)

        async def ask_why() -> None:
            runbook = await runbooks.runbook_to_abort(deps.store, caller=caller,
                                                      attached_id=attached)
            try:
                await client.views_open(trigger_id=body["trigger_id"],
                                        view=abort_modal(caller.channel_id, attached, runbook))
            except Exception:
                log.exception("could not open the abort form")
                await tell(respond, ABORT_FORM_FAILED)

        await answer_click(respond, action["action_id"], ask_why())
