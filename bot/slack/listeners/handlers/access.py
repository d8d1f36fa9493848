"""Temporary access: request, approve, deny, revoke, list."""

from bot.services import access
from bot.services.caller import Caller
from bot.slack.deps import Deps
from bot.slack.listeners.registry import handles
from bot.slack.parsing import Approve, DenyAccess, ListAccess, RequestAccess, RevokeAccess


@handles(RequestAccess)
async def request_access(deps: Deps, caller: Caller, request: RequestAccess) -> str:
    created = await access.request_access(deps.store, caller=caller, what=request.what,
                                          duration=request.duration, reason=request.reason,
                                          policy=deps.policy)
    return f"{created.ref} requested; approvers are asked in the channel and by DM."


@handles(Approve)
async def approve(deps: Deps, caller: Caller, request: Approve) -> str:
    approved = await access.approve(deps.store, caller=caller, ref=request.ref,
                                    duration=request.duration, policy=deps.policy)
    return f"{approved.ref} approved until {approved.expires_at:%H:%M} UTC."


@handles(DenyAccess)
async def deny(deps: Deps, caller: Caller, request: DenyAccess) -> str:
    denied = await access.deny(deps.store, caller=caller, ref=request.ref, note=request.note,
                               policy=deps.policy)
    return f"{denied.ref} denied."


@handles(RevokeAccess)
async def revoke(deps: Deps, caller: Caller, request: RevokeAccess) -> str:
    revoked = await access.revoke(deps.store, caller=caller, ref=request.ref, policy=deps.policy)
    return f"{revoked.ref} marked revoked."


@handles(ListAccess)
async def list_access(deps: Deps, caller: Caller, request: ListAccess) -> str:
    incident, requests = await access.listing(deps.store, channel_id=caller.channel_id)
    if not requests:
        return f"{incident.ref} has no access requests."
    lines = [f"`{r.ref}` {r.what}: {r.state}"
             + (f", expires {r.expires_at:%H:%M} UTC" if r.expires_at else "") for r in requests]
    return f"Access for {incident.ref}:\n" + "\n".join(lines)
