"""Runbooks (list or attach), the timeline, the incident list, and help."""

from bot.services import listing, runbooks
from bot.services.caller import Caller
from bot.slack import overview
from bot.slack.deps import Deps
from bot.slack.listeners.registry import handles
from bot.slack.parsing import AttachRunbook, Help, ListIncidents, Timeline, help_text


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
    return overview.timeline(await listing.recent(deps.store, channel_id=caller.channel_id,
                                                  count=request.count))


@handles(ListIncidents)
async def incident_list(deps: Deps, caller: Caller, request: ListIncidents) -> str:
    shown = await listing.listed_to(deps.store, user_id=caller.user_id, drills=request.drills)
    return overview.incident_list(shown, drills=request.drills)


@handles(Help)
async def usage(deps: Deps, caller: Caller, request: Help) -> str:
    return help_text()
