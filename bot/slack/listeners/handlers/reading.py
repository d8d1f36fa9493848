"""Runbooks (list or attach), the timeline, the incident list, and help."""

from bot.domain.severity import criteria_lines
from bot.services import authz, listing, runbooks
from bot.services.caller import Caller
from bot.slack import overview
from bot.slack.deps import Deps
from bot.slack.listeners.registry import handles
from bot.slack.parsing import AttachRunbook, Can, Help, ListIncidents, Timeline, help_text


@handles(AttachRunbook)
async def runbook(deps: Deps, caller: Caller, request: AttachRunbook) -> str:
    if not request.query:
        listed = "\n".join(f"`{r.id}` {r.title}" for r in deps.library.runbooks)
        return "Runbooks:\n" + (listed or "none in RUNBOOKS_DIR")
    attached = await runbooks.attach_named(deps.store, caller=caller, library=deps.library,
                                          query=request.query)
    return f"{attached.id} {attached.title} attached; its steps are posted in the channel."


@handles(Timeline)
async def timeline(deps: Deps, caller: Caller, request: Timeline) -> str:
    return overview.timeline(await listing.recent(deps.store, caller=caller,
                                                  count=request.count))


@handles(ListIncidents)
async def incident_list(deps: Deps, caller: Caller, request: ListIncidents) -> str:
    shown = await listing.listed_to(deps.store, caller=caller, drills=request.drills)
    return overview.incident_list(shown, drills=request.drills)


@handles(Can)
async def can(deps: Deps, caller: Caller, request: Can) -> str:
    decision, incident = await authz.would_permit(deps.store, caller=caller,
                                                  action=request.action, args=dict(request.args))
    asked = f"`{request.action}`" + "".join(f" {k}={v}" for k, v in request.args)
    where = f" in {incident.ref}" if incident else ""
    if decision.allow:
        return f"Allowed: you may {asked}{where}."
    return f"Not allowed: {asked}{where}. {decision.reason}"


@handles(Help)
async def usage(deps: Deps, caller: Caller, request: Help) -> str:
    return help_text(criteria_lines(deps.policy.ack_deadlines,
                                    deps.policy.status_update_intervals))
