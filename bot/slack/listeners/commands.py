"""`/incident …`: parse, run the use case, answer in the ack (ephemeral)."""

import html
import logging
from collections.abc import Awaitable, Callable

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import DuplicateDelivery, IncidentError
from bot.services import incidents
from bot.services.caller import Caller
from bot.services.exporter import ExportResult
from bot.slack import parsing
from bot.slack.blocks import declare_modal
from bot.slack.deps import Deps

log = logging.getLogger(__name__)

ALREADY_RECORDED = "Already recorded: Slack delivered this command twice."
FORM_FAILED = ("Slack did not open the declare form. Declare with "
               "`/incident declare <sev> <slug> [title]` instead.")
FAILED = ("Something went wrong and nothing was recorded. Please try again; "
          "if it persists, tell the bot's operators.")


def caller_of(command: dict) -> Caller:
    return Caller(user_id=command["user_id"], user_name=command.get("user_name", ""),
                  channel_id=command["channel_id"], trigger_id=command["trigger_id"],
                  command=command["command"], text=command.get("text", ""))


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command("/incident")
    async def incident_command(ack: AsyncAck, respond: AsyncRespond, command: dict,
                               client: AsyncWebClient) -> None:
        # Slack escapes & < > in command text; keep what the person typed.
        text = html.unescape(command.get("text", ""))
        try:
            request = parsing.parse(text)
        except parsing.UsageError as error:
            await ack(response_type="ephemeral", text=error.message())
            return
        if isinstance(request, parsing.Declare) and request.severity is None:
            await ack()
            try:
                await client.views_open(trigger_id=command["trigger_id"],
                                        view=declare_modal(command["channel_id"]))
            except Exception:
                log.exception("could not open the declare form")
                await respond(response_type="ephemeral", text=FORM_FAILED)
            return
        handler = HANDLERS[type(request)]
        try:
            reply = await handler(deps, caller_of(command | {"text": text}), request)
        except IncidentError as error:
            reply = str(error)
        except DuplicateDelivery:
            reply = ALREADY_RECORDED
        except Exception:
            log.exception("/incident %s failed", text.split(" ", 1)[0])
            reply = FAILED
        await ack(response_type="ephemeral", text=reply)


async def _declare(deps: Deps, caller: Caller, request: parsing.Declare) -> str:
    assert request.severity is not None
    incident = await incidents.declare(deps.store, caller=caller, severity=request.severity,
                                       slug=request.slug, title=request.title)
    return (f"{incident.ref} declared ({incident.severity_label}, {incident.slug}). "
            "Opening its channel now; you will be invited.")


async def _log(deps: Deps, caller: Caller, request: parsing.Log) -> str:
    await incidents.log(deps.store, caller=caller, text=request.text)
    return "Logged."


async def _status(deps: Deps, caller: Caller, request: parsing.SetStatus) -> str:
    result = await incidents.set_status(deps.store, caller=caller, target=request.status,
                                        rationale=request.rationale, exporter=deps.exporter)
    return f"Status is now {request.status}." + _exported(result)


async def _severity(deps: Deps, caller: Caller, request: parsing.SetSeverity) -> str:
    await incidents.set_severity(deps.store, caller=caller, severity=request.severity,
                                 rationale=request.rationale)
    return f"Severity is now SEV{request.severity}."


async def _commander(deps: Deps, caller: Caller, request: parsing.Commander) -> str:
    await incidents.assign_commander(deps.store, caller=caller, user_id=request.user_id,
                                     name=request.name)
    return f"<@{request.user_id}> is now the incident commander."


async def _update(deps: Deps, caller: Caller, request: parsing.Update) -> str:
    await incidents.post_update(deps.store, caller=caller, text=request.text)
    return "Status update recorded and posted."


async def _action(deps: Deps, caller: Caller, request: parsing.Action) -> str:
    item = await incidents.add_action_item(deps.store, caller=caller, text=request.text,
                                           owner_id=request.owner_id, owner_name=request.owner_name)
    return f"Action item #{item.number} recorded."


async def _resolve(deps: Deps, caller: Caller, request: parsing.Resolve) -> str:
    result = await incidents.resolve(deps.store, caller=caller, root_cause=request.root_cause,
                                     exporter=deps.exporter)
    return "Resolved." + _exported(result)


async def _help(deps: Deps, caller: Caller, request: parsing.Help) -> str:
    return "Incident commands:\n" + "\n".join(f"`{line}`" for line in parsing.USAGE.values())


def _exported(result: ExportResult | None) -> str:
    if result is None:
        return ""
    if result.error:
        return f" The postmortem draft {result.error}; it is still uploaded to the channel."
    return f" Postmortem draft written to `{result.path}` and uploaded to the channel."


HANDLERS: dict[type, Callable[[Deps, Caller, object], Awaitable[str]]] = {
    parsing.Declare: _declare,  # type: ignore[dict-item]
    parsing.Log: _log,  # type: ignore[dict-item]
    parsing.SetStatus: _status,  # type: ignore[dict-item]
    parsing.SetSeverity: _severity,  # type: ignore[dict-item]
    parsing.Commander: _commander,  # type: ignore[dict-item]
    parsing.Update: _update,  # type: ignore[dict-item]
    parsing.Action: _action,  # type: ignore[dict-item]
    parsing.Resolve: _resolve,  # type: ignore[dict-item]
    parsing.Help: _help,  # type: ignore[dict-item]
}
