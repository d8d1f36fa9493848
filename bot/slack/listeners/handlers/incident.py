"""Declare, log, status, severity, update, resolve and root cause."""

from bot.domain.incident import Incident
from bot.services import catalog, incidents
from bot.services.caller import Caller
from bot.services.incidents import Resolution, Ties
from bot.slack.deps import Deps
from bot.slack.listeners.registry import handles
from bot.slack.parsing import Declare, Log, Resolve, RootCause, SetSeverity, SetStatus, Update


@handles(Declare)
async def declare(deps: Deps, caller: Caller, request: Declare) -> str:
    ties = Ties(services=catalog.services_named(deps.catalog, request.services),
                kind=catalog.type_named(deps.catalog, request.kind) if request.kind else None,
                library=deps.library, find_oncall=deps.oncall is not None)
    incident = await incidents.declare(deps.store, caller=caller, severity=request.severity,
                                       slug=request.slug, title=request.title, policy=deps.policy,
                                       runbooks=deps.library.matching(request.slug),
                                       private=request.private, drill=request.drill, ties=ties)
    return declared(incident)


def declared(incident: Incident) -> str:
    kind = ("private " if incident.private else "") + ("drill channel" if incident.drill else "channel")
    about = ", ".join([incident.severity_label, incident.slug, *incident.services]
                      + ([f"type {incident.kind}"] if incident.kind else []))
    return f"{incident.ref} declared ({about}). Opening its {kind} now; you will be invited."


@handles(Log)
async def log(deps: Deps, caller: Caller, request: Log) -> str:
    await incidents.log(deps.store, caller=caller, text=request.text)
    return "Logged."


@handles(SetStatus)
async def status(deps: Deps, caller: Caller, request: SetStatus) -> str:
    result = await incidents.set_status(deps.store, caller=caller, target=request.status,
                                        rationale=request.rationale, exporter=deps.exporter,
                                        policy=deps.policy)
    return f"Status is now {request.status}." + resolution(result)


@handles(SetSeverity)
async def severity(deps: Deps, caller: Caller, request: SetSeverity) -> str:
    await incidents.set_severity(deps.store, caller=caller, severity=request.severity,
                                 rationale=request.rationale, policy=deps.policy)
    return f"Severity is now SEV{request.severity}."


@handles(Update)
async def update(deps: Deps, caller: Caller, request: Update) -> str:
    await incidents.post_update(deps.store, caller=caller, text=request.text, policy=deps.policy)
    return "Status update recorded and posted."


@handles(Resolve)
async def resolve(deps: Deps, caller: Caller, request: Resolve) -> str:
    result = await incidents.resolve(deps.store, caller=caller, root_cause=request.root_cause,
                                     exporter=deps.exporter, policy=deps.policy)
    return "Resolved." + resolution(result)


@handles(RootCause)
async def root_cause(deps: Deps, caller: Caller, request: RootCause) -> str:
    incident = await incidents.set_root_cause(deps.store, caller=caller, text=request.text)
    return f"Root cause of {incident.ref} recorded."


def resolution(result: Resolution | None) -> str:
    """What resolving also did: where the postmortem draft went, and access still owed."""
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
