"""Runbook buttons: Start / Done / Failed / Skip, Run check, Capture snapshot, Request access,
and Abort runbook. Failed and Abort ask why in a form first."""

import logging
from collections.abc import Awaitable

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.services import runbooks
from bot.slack import ids
from bot.slack.deps import Deps
from bot.slack.listeners.actions import clicker
from bot.slack.listeners.answers import click_answer, tell
from bot.slack.render.forms import abort_modal, step_failed_modal

log = logging.getLogger(__name__)

FAILED_WITHOUT_REASON = ("The form asking why could not open, so step {number} is marked failed "
                         "without a reason. Say why with `/incident log <reason>`.")
ABORT_FORM_FAILED = "The form asking why could not open; nothing changed. Please try again."


def register(app: AsyncApp, deps: Deps) -> None:
    @app.action(ids.STEP_ACTION)
    async def on_step(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict,
                      client: AsyncWebClient) -> None:
        await ack()
        step = ids.read_step_action(action["action_id"])  # Bolt matched STEP_ACTION
        attached, number = step.attached_id, step.number
        caller = clicker(body, action, deps)

        async def request_access() -> None:
            request = await runbooks.request_step_access(
                deps.store, caller=caller, attached_id=attached, number=number,
                policy=deps.policy)
            await tell(respond, f"{request.ref} requested for step {number}; "
                                "approvers are asked in the channel and by DM.")

        async def ask_why_failed() -> None:
            runbook, failing = await runbooks.step_to_fail(
                deps.store, caller=caller, attached_id=attached, number=number)
            try:
                await client.views_open(trigger_id=body["trigger_id"], view=step_failed_modal(
                    caller.channel_id, attached, runbook, failing))
            except Exception:
                # The click still counts: the failure is recorded, only its reason is missing.
                log.exception("could not open the step-failed form")
                await runbooks.mark_step(deps.store, caller=caller, attached_id=attached,
                                         number=number, status="failed")
                await tell(respond, FAILED_WITHOUT_REASON.format(number=number))

        work: Awaitable[object]
        if step.click in ("check", "snapshot"):
            work = runbooks.check(deps.store, caller=caller, attached_id=attached,
                                  number=number, snapshot=step.click == "snapshot",
                                  allow_commands=deps.settings.allow_runbook_commands)
        elif step.click == "access":
            work = request_access()
        elif step.click == "failed":
            work = ask_why_failed()
        else:
            work = runbooks.mark_step(deps.store, caller=caller, attached_id=attached,
                                      number=number, status=step.click)
        await click_answer(respond, work, what=f"button {action['action_id']}")

    @app.action(ids.ABORT_ACTION)
    async def on_abort(ack: AsyncAck, respond: AsyncRespond, body: dict, action: dict,
                       client: AsyncWebClient) -> None:
        await ack()
        attached = ids.read_abort_action(action["action_id"])  # Bolt matched ABORT_ACTION
        caller = clicker(body, action, deps)

        async def ask_why() -> None:
            runbook = await runbooks.runbook_to_abort(deps.store, caller=caller,
                                                      attached_id=attached)
            try:
                await client.views_open(trigger_id=body["trigger_id"],
                                        view=abort_modal(caller.channel_id, attached, runbook))
            except Exception:
                log.exception("could not open the abort form")
                await tell(respond, ABORT_FORM_FAILED)

        await click_answer(respond, ask_why(), what=f"button {action['action_id']}")
