"""`/incident …`: parse, run the use case, answer in the ack (ephemeral)."""

import asyncio
import html
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.web.async_client import AsyncWebClient

from bot.domain.errors import DuplicateDelivery, IncidentError
from bot.services import (
    access,
    action_items,
    incidents,
    listing,
    paging,
    people,
    runbooks,
    statuspage,
)
from bot.services.caller import Caller
from bot.services.incidents import Resolution
from bot.services.listing import in_channel
from bot.slack import overview, parsing
from bot.slack.blocks import declare_modal, update_modal
from bot.slack.deps import Deps

log = logging.getLogger(__name__)

ALREADY_RECORDED = "Already recorded: Slack delivered this command twice."
FORM_FAILED = ("Slack did not open the declare form. Declare with "
               "`/incident declare <sev> <slug> [title]` instead.")
UPDATE_FORM_FAILED = ("Slack did not open the update form. Post the update with "
                      "`/incident update <text>` instead.")
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
            after_ack(open_form(client, respond, command["trigger_id"], FORM_FAILED,
                                declare_modal(command["channel_id"], deps.library.runbooks,
                                              private=request.private, drill=request.drill)))
            return
        if isinstance(request, parsing.Update) and not request.text:
            await open_update_form(ack, respond, command, client)
            return
        await ack(response_type="ephemeral",
                  text=await run(deps, caller_of(command | {"text": text}), request))

    async def open_update_form(ack: AsyncAck, respond: AsyncRespond, command: dict,
                               client: AsyncWebClient) -> None:
        try:
            incident = await in_channel(deps.store, channel_id=command["channel_id"])
        except IncidentError as error:
            await ack(response_type="ephemeral", text=str(error))
            return
        await ack()
        after_ack(open_form(client, respond, command["trigger_id"], UPDATE_FORM_FAILED,
                            update_modal(command["channel_id"], incident.last_update_text)))

    @app.command("/approve")
    async def approve_command(ack: AsyncAck, command: dict) -> None:
        text = html.unescape(command.get("text", ""))
        try:
            request = parsing.parse_approve(text)
        except parsing.UsageError as error:
            await ack(response_type="ephemeral", text=error.message())
            return
        await ack(response_type="ephemeral",
                  text=await run(deps, caller_of(command | {"text": text}), request))


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


async def run(deps: Deps, caller: Caller, request: object) -> str:
    """Run one request; whatever happens, the answer is a sentence, never a traceback."""
    try:
        return await HANDLERS[type(request)](deps, caller, request)
    except IncidentError as error:
        return str(error)
    except DuplicateDelivery:
        return ALREADY_RECORDED
    except Exception:
        log.exception("%s %s failed", caller.command, caller.text.split(" ", 1)[0])
        return FAILED


async def _declare(deps: Deps, caller: Caller, request: parsing.Declare) -> str:
    assert request.severity is not None
    incident = await incidents.declare(deps.store, caller=caller, severity=request.severity,
                                       slug=request.slug, title=request.title, policy=deps.policy,
                                       runbooks=deps.library.matching(request.slug),
                                       private=request.private, drill=request.drill)
    kind = ("private " if incident.private else "") + ("drill channel" if incident.drill else "channel")
    return (f"{incident.ref} declared ({incident.severity_label}, {incident.slug}). "
            f"Opening its {kind} now; you will be invited.")


async def _log(deps: Deps, caller: Caller, request: parsing.Log) -> str:
    await incidents.log(deps.store, caller=caller, text=request.text)
    return "Logged."


async def _status(deps: Deps, caller: Caller, request: parsing.SetStatus) -> str:
    result = await incidents.set_status(deps.store, caller=caller, target=request.status,
                                        rationale=request.rationale, exporter=deps.exporter,
                                        policy=deps.policy)
    return f"Status is now {request.status}." + _resolution(result)


async def _severity(deps: Deps, caller: Caller, request: parsing.SetSeverity) -> str:
    await incidents.set_severity(deps.store, caller=caller, severity=request.severity,
                                 rationale=request.rationale, policy=deps.policy)
    return f"Severity is now SEV{request.severity}."


async def _commander(deps: Deps, caller: Caller, request: parsing.Commander) -> str:
    await incidents.assign_commander(deps.store, caller=caller, user_id=request.user_id,
                                     name=request.name)
    return f"<@{request.user_id}> is now the incident commander."


async def _role(deps: Deps, caller: Caller, request: parsing.Role) -> str:
    await people.assign_role(deps.store, caller=caller, role=request.role, user_id=request.user_id,
                             name=request.name, policy=deps.policy)
    role = "the incident commander" if request.role == "commander" else f"*{request.role}*"
    return f"<@{request.user_id}> is now {role}."


async def _handoff(deps: Deps, caller: Caller, request: parsing.Handoff) -> str:
    await people.handoff(deps.store, caller=caller, user_id=request.user_id, name=request.name,
                         notes=request.notes)
    return f"Handed off: <@{request.user_id}> is now the incident commander."


async def _invite(deps: Deps, caller: Caller, request: parsing.Invite) -> str:
    await people.invite(deps.store, caller=caller,
                        people=[people.Person(ref, name) for ref, name in request.people])
    shown = ", ".join(f"<!subteam^{ref}>" if people.is_group(ref) else f"<@{ref}>"
                      for ref, _ in request.people)
    return f"Inviting {shown} to the channel."


async def _update(deps: Deps, caller: Caller, request: parsing.Update) -> str:
    await incidents.post_update(deps.store, caller=caller, text=request.text, policy=deps.policy)
    return "Status update recorded and posted."


async def _action(deps: Deps, caller: Caller, request: parsing.Action) -> str:
    item = await incidents.add_action_item(deps.store, caller=caller, text=request.text,
                                           owner_id=request.owner_id, owner_name=request.owner_name)
    return f"Action item #{item.number} recorded."


async def _action_done(deps: Deps, caller: Caller, request: parsing.ActionDone) -> str:
    item = await action_items.mark_done(deps.store, caller=caller, number=request.number)
    return f"Action item #{item.number} ticked."


async def _action_due(deps: Deps, caller: Caller, request: parsing.ActionDue) -> str:
    item = await action_items.set_due(deps.store, caller=caller, number=request.number,
                                      due_on=request.due_on)
    owner = f"<@{item.owner_id}> hears" if item.owner_id else "The channel hears"
    return (f"Action item #{item.number} is due {request.due_on.isoformat()}. {owner} "
            "once if it is not done by then.")


async def _root_cause(deps: Deps, caller: Caller, request: parsing.RootCause) -> str:
    incident = await incidents.set_root_cause(deps.store, caller=caller, text=request.text)
    return f"Root cause of {incident.ref} recorded."


async def _page(deps: Deps, caller: Caller, request: parsing.Page) -> str:
    if request.user_id is not None:
        await paging.page_person(deps.store, caller=caller, user_id=request.user_id,
                                 name=request.name, message=request.message)
        return f"Paging <@{request.user_id}> by DM, with a button to join the channel."
    assert request.service is not None
    if deps.policy.paging_service(request.service) is None:
        return parsing.UsageError(paging.unknown_service(request.service, deps.policy),
                                  "page").message()
    name = await paging.page_service(deps.store, caller=caller, service=request.service,
                                     message=request.message, policy=deps.policy)
    return f"Paging `{name}` on PagerDuty."


async def _statuspage(deps: Deps, caller: Caller, request: parsing.Statuspage) -> str:
    created = await statuspage.publish(deps.store, caller=caller, status=request.status,
                                       text=request.text, policy=deps.policy)
    if created:
        return f"Opening the public incident on Statuspage ({request.status})."
    return f"Updating the public incident on Statuspage ({request.status})."


async def _resolve(deps: Deps, caller: Caller, request: parsing.Resolve) -> str:
    result = await incidents.resolve(deps.store, caller=caller, root_cause=request.root_cause,
                                     exporter=deps.exporter, policy=deps.policy)
    return "Resolved." + _resolution(result)


async def _timeline(deps: Deps, caller: Caller, request: parsing.Timeline) -> str:
    return overview.timeline(await listing.recent(deps.store, channel_id=caller.channel_id,
                                                  count=request.count))


async def _list(deps: Deps, caller: Caller, request: parsing.ListIncidents) -> str:
    shown = await listing.listed_to(deps.store, user_id=caller.user_id, drills=request.drills)
    return overview.incident_list(shown, drills=request.drills)


async def _help(deps: Deps, caller: Caller, request: parsing.Help) -> str:
    return "Incident commands:\n" + "\n".join(f"`{line}`" for line in parsing.USAGE.values())


def _resolution(result: Resolution | None) -> str:
    if result is None:
        return ""
    export = result.export
    if export.error:
        reply = f" The postmortem draft {export.error}; it is still uploaded to the channel."
    else:
        reply = f" Postmortem draft written to `{export.path}` and uploaded to the channel."
    if result.unrevoked:
        owed = ", ".join(f"{r.ref} {r.what} ({r.state})" for r in result.unrevoked)
        reply += (f"\nAccess not yet revoked: {owed}. Take it away, then "
                  "`/incident access revoke AR-<n>`.")
    return reply


async def _runbook(deps: Deps, caller: Caller, request: parsing.AttachRunbook) -> str:
    if not request.query:
        listed = "\n".join(f"`{r.id}` {r.title}" for r in deps.library.runbooks)
        return "Runbooks:\n" + (listed or "none in RUNBOOKS_DIR")
    runbook = await runbooks.attach_named(deps.store, caller=caller, library=deps.library,
                                         query=request.query)
    return f"{runbook.id} {runbook.title} attached; its steps are posted in the channel."


async def _request_access(deps: Deps, caller: Caller, request: parsing.RequestAccess) -> str:
    created = await access.request_access(deps.store, caller=caller, what=request.what,
                                          duration=request.duration, reason=request.reason,
                                          policy=deps.policy)
    return f"{created.ref} requested; approvers are asked in the channel and by DM."


async def _approve(deps: Deps, caller: Caller, request: parsing.Approve) -> str:
    approved = await access.approve(deps.store, caller=caller, ref=request.ref,
                                    duration=request.duration, policy=deps.policy)
    return f"{approved.ref} approved until {approved.expires_at:%H:%M} UTC."


async def _deny(deps: Deps, caller: Caller, request: parsing.DenyAccess) -> str:
    denied = await access.deny(deps.store, caller=caller, ref=request.ref, note=request.note,
                               policy=deps.policy)
    return f"{denied.ref} denied."


async def _revoke(deps: Deps, caller: Caller, request: parsing.RevokeAccess) -> str:
    revoked = await access.revoke(deps.store, caller=caller, ref=request.ref, policy=deps.policy)
    return f"{revoked.ref} marked revoked."


async def _list_access(deps: Deps, caller: Caller, request: parsing.ListAccess) -> str:
    incident, requests = await access.listing(deps.store, channel_id=caller.channel_id)
    if not requests:
        return f"{incident.ref} has no access requests."
    lines = [f"`{r.ref}` {r.what}: {r.state}"
             + (f", expires {r.expires_at:%H:%M} UTC" if r.expires_at else "") for r in requests]
    return f"Access for {incident.ref}:\n" + "\n".join(lines)


HANDLERS: dict[type, Callable[[Deps, Caller, object], Awaitable[str]]] = {
    parsing.Declare: _declare,  # type: ignore[dict-item]
    parsing.Log: _log,  # type: ignore[dict-item]
    parsing.SetStatus: _status,  # type: ignore[dict-item]
    parsing.SetSeverity: _severity,  # type: ignore[dict-item]
    parsing.Commander: _commander,  # type: ignore[dict-item]
    parsing.Role: _role,  # type: ignore[dict-item]
    parsing.Handoff: _handoff,  # type: ignore[dict-item]
    parsing.Invite: _invite,  # type: ignore[dict-item]
    parsing.Update: _update,  # type: ignore[dict-item]
    parsing.Action: _action,  # type: ignore[dict-item]
    parsing.ActionDone: _action_done,  # type: ignore[dict-item]
    parsing.ActionDue: _action_due,  # type: ignore[dict-item]
    parsing.RootCause: _root_cause,  # type: ignore[dict-item]
    parsing.Resolve: _resolve,  # type: ignore[dict-item]
    parsing.Page: _page,  # type: ignore[dict-item]
    parsing.Statuspage: _statuspage,  # type: ignore[dict-item]
    parsing.Help: _help,  # type: ignore[dict-item]
    parsing.Timeline: _timeline,  # type: ignore[dict-item]
    parsing.ListIncidents: _list,  # type: ignore[dict-item]
    parsing.AttachRunbook: _runbook,  # type: ignore[dict-item]
    parsing.RequestAccess: _request_access,  # type: ignore[dict-item]
    parsing.Approve: _approve,  # type: ignore[dict-item]
    parsing.DenyAccess: _deny,  # type: ignore[dict-item]
    parsing.RevokeAccess: _revoke,  # type: ignore[dict-item]
    parsing.ListAccess: _list_access,  # type: ignore[dict-item]
}
