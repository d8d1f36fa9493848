"""Commander, role, handoff and invite."""

from bot.services import incidents, people
from bot.services.caller import Caller
from bot.slack.deps import Deps
from bot.slack.listeners.registry import handles
from bot.slack.parsing import Commander, Handoff, Invite, Role


@handles(Commander)
async def commander(deps: Deps, caller: Caller, request: Commander) -> str:
    await incidents.assign_commander(deps.store, caller=caller, user_id=request.user_id,
                                     name=request.name)
    return f"<@{request.user_id}> is now the incident commander."


@handles(Role)
async def role(deps: Deps, caller: Caller, request: Role) -> str:
    await people.assign_role(deps.store, caller=caller, role=request.role, user_id=request.user_id,
                             name=request.name, policy=deps.policy)
    named = "the incident commander" if request.role == "commander" else f"*{request.role}*"
    return f"<@{request.user_id}> is now {named}."


@handles(Handoff)
async def handoff(deps: Deps, caller: Caller, request: Handoff) -> str:
    await people.handoff(deps.store, caller=caller, user_id=request.user_id, name=request.name,
                         notes=request.notes)
    return f"Handed off: <@{request.user_id}> is now the incident commander."


@handles(Invite)
async def invite(deps: Deps, caller: Caller, request: Invite) -> str:
    await people.invite(deps.store, caller=caller,
                        people=[people.Person(ref, name) for ref, name in request.people])
    shown = ", ".join(f"<!subteam^{ref}>" if people.is_group(ref) else f"<@{ref}>"
                      for ref, _ in request.people)
    return f"Inviting {shown} to the channel."
