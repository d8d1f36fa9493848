"""Access use cases: request, approve, deny, extend, revoke, list; and the high-risk gate."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import TypedDict

from bot.domain import notices
from bot.domain.access import AccessRequest, AccessState, copy_recipients, parse_access_ref
from bot.domain.authz import Action
from bot.domain.durations import format_duration
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.reminders import ReminderKind
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import NOT_AN_INCIDENT_CHANNEL, event, incident_command, record_caller
from bot.storage.store import Store, Tx

ACCESS_REMINDERS = {ReminderKind.ACCESS_WARNING, ReminderKind.ACCESS_EXPIRED}


def hhmm(at: datetime | None) -> str:
    return f"{at:%H:%M}" if at else "-"


def refresh(request: AccessRequest) -> notices.RefreshAccess:
    return notices.RefreshAccess(incident_id=request.incident_id, request=request.id)


async def request_access(store: Store, *, caller: Caller, what: str, duration: timedelta,
                         reason: str, policy: Policy, step: str | None = None,
                         risk: str | None = None) -> AccessRequest:
    """Posted in the channel, and sent to each approver who may decide it as a DM copy.
    `step`: the runbook step it unlocks, and that step's `risk`."""
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.ACCESS_REQUEST, incident, what=what,
                     duration=int(duration.total_seconds()), step=step, risk=risk)
        _require_open(incident)
        request = await tx.add_access_request(AccessRequest(
            id=0, incident_id=incident.id, what=what, duration=duration,
            requester_id=caller.user_id, requested_at=tx.now, reason=reason, step=step))
        details = f"{request.ref} {what} for {format_duration(duration)}" + \
            (f" because {reason}" if reason else "")
        await tx.append(event(tx, incident, caller.user_id, "access_request", details,
                              step=step, request=request.ref))
        tx.notify(notices.PostAccess(incident_id=incident.id, request=request.id))
        tx.notify(*(notices.PostAccessCopy(incident_id=incident.id, request=request.id,
                                           user=approver)
                    for approver in copy_recipients(request, policy.approvers)))
        return request


@asynccontextmanager
async def _acting_on(store: Store, caller: Caller, ref: str | None,
                     action: Action) -> AsyncIterator[tuple[Tx, Incident, AccessRequest]]:
    """The request a command or click names, with its incident locked. In an incident's
    channel, a request of that incident; elsewhere (an approver's DM copy, a command typed
    in a DM with the bot) the id alone says which incident."""
    async with store.transaction(queue=caller.channel_id) as tx:
        incident = await tx.incident_by_channel(caller.channel_id, lock=True)
        if incident is not None:
            request = await _find(tx, incident, ref)
        elif ref is None:
            raise IncidentError(NOT_AN_INCIDENT_CHANNEL)
        else:
            number = parse_access_ref(ref)
            found = await tx.access_request(number)
            if found is None:
                raise IncidentError(f"There is no access request AR-{number}.")
            # The incident before the request, as every use case locks them: no deadlocks.
            incident = await tx.incident(found.incident_id, lock=True)
            assert incident is not None
            request = await _locked(tx, number)
        await record_caller(tx, caller, incident.id)
        await permit(tx, caller, action, incident, request=request.ref,
                     requester=request.requester_id, step=request.step)
        yield tx, incident, request


async def _find(tx: Tx, incident: Incident, ref: str | None) -> AccessRequest:
    if ref is None:
        pending = [r for r in await tx.access_requests(incident.id) if r.state is AccessState.PENDING]
        if len(pending) == 1:
            return await _locked(tx, pending[0].id)
        if not pending:
            raise IncidentError(f"{incident.ref} has no pending access request.")
        listed = ", ".join(f"{r.ref} ({r.what})" for r in pending)
        raise IncidentError(f"Several requests are pending: {listed}. Say which: `/approve AR-<n>`.")
    number = parse_access_ref(ref)
    request = await tx.access_request(number, lock=True)
    if request is None:
        raise IncidentError(f"There is no access request AR-{number}.")
    if request.incident_id != incident.id:
        raise IncidentError(f"{request.ref} belongs to INC-{request.incident_id}; "
                            "act on it in that incident's channel.")
    return request


async def _locked(tx: Tx, request_id: int) -> AccessRequest:
    request = await tx.access_request(request_id, lock=True)
    assert request is not None
    return request


class ToRequester(TypedDict):
    """What a DM to the requester needs to say where it comes from."""

    incident_id: int
    user: str
    request: int
    what: str
    incident: str
    channel: str


def _about(incident: Incident, request: AccessRequest) -> ToRequester:
    return {"incident_id": incident.id, "user": request.requester_id, "request": request.id,
            "what": request.what, "incident": incident.ref, "channel": incident.channel_id or ""}


async def approve(store: Store, *, caller: Caller, ref: str | None, duration: timedelta | None,
                  policy: Policy) -> AccessRequest:
    async with _acting_on(store, caller, ref, Action.APPROVE) as (tx, incident, request):
        if request.state is AccessState.PENDING:
            _require_open(incident)
        request.approve(caller.user_id, list(policy.approvers), tx.now, duration)
        expires_at = request.expires_at
        assert expires_at is not None  # approving sets it
        await tx.save_access_request(request)
        await tx.append(event(tx, incident, caller.user_id, "access_approved",
                              f"{request.ref} {request.what} granted, expires "
                              f"{hhmm(expires_at)}", request=request.ref,
                              expires=expires_at.isoformat(), step=request.step))
        _plan_expiry(tx, request, policy)
        tx.notify(refresh(request), notices.AccessApproved(
            incident_id=incident.id, user=caller.user_id, request=request.id,
            requester=request.requester_id, what=request.what, expires=expires_at),
            notices.YourAccessApproved(by=caller.user_id, expires=expires_at,
                                       **_about(incident, request)))
        return request


def _plan_expiry(tx: Tx, request: AccessRequest, policy: Policy) -> None:
    assert request.expires_at is not None
    warn_at = request.expires_at - policy.access_expiry_warning
    if warn_at > tx.now:
        tx.schedule(ReminderKind.ACCESS_WARNING, request.incident_id, warn_at, request.id)
    tx.schedule(ReminderKind.ACCESS_EXPIRED, request.incident_id, request.expires_at, request.id)


async def deny(store: Store, *, caller: Caller, ref: str, note: str, policy: Policy) -> AccessRequest:
    async with _acting_on(store, caller, ref, Action.DENY) as (tx, incident, request):
        request.deny(caller.user_id, list(policy.approvers), tx.now, note)
        await tx.save_access_request(request)
        await tx.append(event(tx, incident, caller.user_id, "access_denied",
                              f"{request.ref} {request.what}" + (f": {note}" if note else ""),
                              request=request.ref, step=request.step))
        tx.notify(refresh(request), notices.AccessDenied(
            incident_id=incident.id, user=caller.user_id, request=request.id,
            requester=request.requester_id, what=request.what, note=note),
            notices.YourAccessDenied(by=caller.user_id, note=note, **_about(incident, request)))
        return request


async def extend(store: Store, *, caller: Caller, ref: str, policy: Policy) -> AccessRequest:
    """Another stretch of the approved duration, by an approver who is not the requester."""
    async with _acting_on(store, caller, ref, Action.EXTEND) as (tx, incident, request):
        if caller.user_id not in policy.approvers:
            raise IncidentError("Only approvers can extend access.")
        if caller.user_id == request.requester_id:
            raise IncidentError(f"You cannot extend your own request {request.ref}.")
        if not request.active(tx.now):
            raise IncidentError(f"{request.ref} is {request.state}; only active access can be extended.")
        assert request.expires_at is not None
        request.expires_at += request.duration
        await tx.save_access_request(request)
        await tx.cancel_reminders(incident.id, ACCESS_REMINDERS, request.id)
        _plan_expiry(tx, request, policy)
        await tx.append(event(tx, incident, caller.user_id, "access_extended",
                              f"{request.ref} {request.what} extended, expires "
                              f"{hhmm(request.expires_at)}", request=request.ref,
                              expires=request.expires_at.isoformat(), step=request.step))
        tx.notify(refresh(request), notices.AccessExtended(
            incident_id=incident.id, user=caller.user_id, request=request.id,
            what=request.what, expires=request.expires_at))
        return request


async def revoke(store: Store, *, caller: Caller, ref: str, policy: Policy) -> AccessRequest:
    async with _acting_on(store, caller, ref, Action.REVOKE) as (tx, incident, request):
        request.revoke(caller.user_id, list(policy.approvers), tx.now)
        await tx.save_access_request(request)
        await tx.cancel_reminders(incident.id, ACCESS_REMINDERS, request.id)
        await tx.append(event(tx, incident, caller.user_id, "access_revoked",
                              f"{request.ref} {request.what}", request=request.ref, step=request.step))
        tx.notify(refresh(request), notices.AccessRevoked(
            incident_id=incident.id, user=caller.user_id, request=request.id, what=request.what))
        return request


async def listing(store: Store, *, channel_id: str) -> tuple[Incident, list[AccessRequest]]:
    async with store.transaction() as tx:
        incident = await tx.incident_by_channel(channel_id)
        if incident is None:
            raise IncidentError(NOT_AN_INCIDENT_CHANNEL)
        return incident, await tx.access_requests(incident.id)


async def expire(tx: Tx, incident: Incident, request_id: int) -> None:
    request = await _locked(tx, request_id)
    if request.state is not AccessState.APPROVED:
        return
    request.expire(tx.now)
    await tx.save_access_request(request)
    await tx.append(event(tx, incident, "scheduler", "access_expired",
                          f"{request.ref} {request.what} expired", request=request.ref, step=request.step))
    tx.notify(refresh(request), notices.AccessExpired(
        incident_id=incident.id, request=request.id, what=request.what,
        requester=request.requester_id, approver=request.approver_id))


async def warn(tx: Tx, incident: Incident, request_id: int) -> None:
    request = await _locked(tx, request_id)
    if not request.active(tx.now):
        return
    await tx.append(event(tx, incident, "scheduler", "access_expiry_warning",
                          f"{request.ref} {request.what} expires {hhmm(request.expires_at)}",
                          request=request.ref, step=request.step))
    expires = request.expires_at
    assert expires is not None  # an active request has one
    tx.notify(notices.AccessWarning(
        incident_id=incident.id, request=request.id, what=request.what,
        requester=request.requester_id, approver=request.approver_id, expires=expires),
        notices.YourAccessExpiring(approver=request.approver_id, expires=expires,
                                   **_about(incident, request)))


async def step_unlocked(tx: Tx, incident_id: int, step: str) -> bool:
    """A high-risk step may be done only under approved, unexpired, unrevoked access for it."""
    return any(r.step == step and r.active(tx.now) for r in await tx.access_requests(incident_id))


def unrevoked(requests: list[AccessRequest]) -> list[AccessRequest]:
    return [r for r in requests if r.needs_revoking]


def _require_open(incident: Incident) -> None:
    if not incident.status.is_open:
        raise IncidentError(f"{incident.ref} is {incident.status}; no new access is granted.")

