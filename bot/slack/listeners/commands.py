"""`/incident …` and `/approve …`: parse, run the request's handler, answer in the ack
(ephemeral). A command that opens a form acks first and opens it beside the answer."""

import asyncio
import html
import logging
from collections.abc import Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot import redaction, tracing
from bot.redaction import Redacted
from bot.services.caller import Caller
from bot.services.listing import in_channel
from bot.slack import ids
from bot.slack.deps import Deps
from bot.slack.listeners import handlers  # noqa: F401 - registers every command's handler
from bot.slack.listeners.answers import Refusal, attempt, command_answer, refusal
from bot.slack.listeners.registry import handler_for
from bot.slack.parsing import CommandRequest, Declare, Update, UsageError, parse, parse_approve
from bot.slack.render.forms import declare_modal, update_modal

log = logging.getLogger(__name__)

FORM_FAILED = ("Slack did not open the declare form. Declare with "
               "`/incident declare <sev> <slug> [title]` instead.")
UPDATE_FORM_FAILED = ("Slack did not open the update form. Post the update with "
                      "`/incident update <text>` instead.")


def caller_of(command: dict, deps: Deps) -> Caller:
    return Caller(user_id=command["user_id"], user_name=command.get("user_name", ""),
                  channel_id=command["channel_id"], trigger_id=command["trigger_id"],
                  judge=deps.judge, command=command["command"], text=command.get("text", ""))


def said(command: dict) -> Redacted:
    """The command's text as it may be recorded: the parser, the handlers and the commands
    table only ever see it with any secret taken out."""
    # Slack escapes & < > in command text; keep what the person typed.
    return redaction.redact(html.unescape(command.get("text", "")))


def told(answer: str, heard: Redacted) -> str:
    """The answer, and what was taken out of the command before it was recorded."""
    return f"{answer}\n{redaction.told(heard.kinds)}" if heard.kinds else answer


async def run(deps: Deps, caller: Caller, request: CommandRequest) -> str:
    """Run one request; whatever happens, the answer is a sentence, never a traceback."""
    what = f"{caller.command} {caller.text.split(' ', 1)[0]}".strip()
    with tracing.span("incident.command", command=what):
        return await command_answer(handler_for(request)(deps, caller, request), what=what)


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command(ids.INCIDENT_COMMAND)
    async def incident_command(ack: AsyncAck, respond: AsyncRespond, command: dict,
                               client: AsyncWebClient) -> None:
        heard = said(command)
        text = heard.text
        try:
            request = parse(text)
        except UsageError as error:
            await ack(response_type="ephemeral", text=refusal(error, what=text).text)
            return
        if isinstance(request, Declare) and request.opens_form:
            await ack()
            after_ack(open_form(client, respond, command["trigger_id"], FORM_FAILED,
                                declare_modal(command["channel_id"], deps.library.runbooks,
                                              services=deps.catalog.services,
                                              types=deps.catalog.types,
                                              private=request.private, drill=request.drill)))
            return
        if isinstance(request, Update) and not request.text:
            await open_update_form(ack, respond, command, client)
            return
        await ack(response_type="ephemeral", text=told(
            await run(deps, caller_of(command | {"text": text}, deps), request), heard))

    async def open_update_form(ack: AsyncAck, respond: AsyncRespond, command: dict,
                               client: AsyncWebClient) -> None:
        incident = await attempt(in_channel(deps.store, channel_id=command["channel_id"]),
                                 what="the update form")
        if isinstance(incident, Refusal):
            await ack(response_type="ephemeral", text=incident.text)
            return
        await ack()
        after_ack(open_form(client, respond, command["trigger_id"], UPDATE_FORM_FAILED,
                            update_modal(command["channel_id"], incident.last_update_text)))

    @app.command(ids.APPROVE_COMMAND)
    async def approve_command(ack: AsyncAck, command: dict) -> None:
        heard = said(command)
        text = heard.text
        try:
            request = parse_approve(text)
        except UsageError as error:
            await ack(response_type="ephemeral", text=refusal(error, what=text).text)
            return
        await ack(response_type="ephemeral", text=told(
            await run(deps, caller_of(command | {"text": text}, deps), request), heard))


async def open_form(client: AsyncWebClient, respond: AsyncRespond, trigger_id: str,
                    failed: str, view: dict) -> None:
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except Exception:
        log.exception("could not open the form %s", view.get("callback_id"))
        await respond(response_type="ephemeral", text=failed)


_after_ack: set[asyncio.Task] = set()


def after_ack(work: Coroutine[Any, Any, None]) -> None:
    """Run `work` beside the answer: a command's ack never waits for a Slack call."""
    task = asyncio.create_task(work)
    _after_ack.add(task)
    task.add_done_callback(_finished)


def _finished(task: asyncio.Task) -> None:
    _after_ack.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("after a command's answer", exc_info=task.exception())
