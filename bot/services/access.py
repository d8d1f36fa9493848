"""Access use cases: request, approve, deny, extend, revoke, list; and the high-risk gate."""

from datetime import datetime, timedelta

from bot.domain import notices
from bot.domain.access import AccessRequest, AccessState
from bot.domain.durations import format_duration
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.reminders import ReminderKind
from bot.services.caller import Caller
from bot.services.context import NOT_AN_INCIDENT_CHANNEL, event, incident_command
from bot.storage.store import Store, Tx

ACCESS_REMINDERS = {ReminderKind.ACCESS_WARNING, ReminderKind.ACCESS_EXPIRED}


def hhmm(at: datetime | None) -> str:
    return f"{at:%H:%M}" if at else "-"


def refresh(request: AccessRequest) -> notices.Notice:
    return notices.refresh_access(request.incident_id, request.id)


async def request_access(store: Store, *, caller: Caller, what: str, duration: timedelta,
                         reason: str, step: str | None = None) -> AccessRequest:
    async with incident_command(store, caller) as (tx, incident):
        _require_open(incident)
        request = await tx.add_access_request(AccessRequest(
            id=0, incident_id=incident.id, what=what, duration=duration,
            requester_id=caller.user_id, requested_at=tx.now, reason=reason, step=step))
        details = f"{request.ref} {what} for {format_duration(duration)}" + \
            (f" because {reason}" if reason else "")
        await tx.append(event(tx, incident, caller.user_id, "access_request", details,
                              step=step, request=request.ref))
        tx.notify(notices.Notice("post_access", notices.incident_lane(incident.id),
                                 {"request": request.id}))
        return request


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


def parse_access_ref(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("AR-").removeprefix("AR")
    if not cleaned.isdigit():
        raise IncidentError(f"'{text}' is not an access request id (use AR-<n>).")
    return int(cleaned)


async def approve(store: Store, *, caller: Caller, ref: str | None, duration: timedelta | None,
                  policy: Policy) -> AccessRequest:
    async with incident_command(store, caller) as (tx, incident):
        request = await _find(tx, incident, ref)
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
        tx.notify(refresh(request), notices.to_channel(
            incident.id, "access_approved", user=caller.user_id, request=request.id,
            requester=request.requester_id, what=request.what,
            expires=expires_at.isoformat()))
        return request


def _plan_expiry(tx: Tx, request: AccessRequest, policy: Policy) -> None:
    assert request.expires_at is not None
    warn_at = request.expires_at - policy.access_expiry_warning
    if warn_at > tx.now:
        tx.schedule(ReminderKind.ACCESS_WARNING, request.incident_id, warn_at, request.id)
    tx.schedule(ReminderKind.ACCESS_EXPIRED, request.incident_id, request.expires_at, request.id)


async def deny(store: Store, *, caller: Caller, ref: str, note: str, policy: Policy) -> AccessRequest:
    async with incident_command(store, caller) as (tx, incident):
        request = await _find(tx, incident, ref)
        request.deny(caller.user_id, list(policy.approvers), tx.now, note)
        await tx.save_access_request(request)
        await tx.append(event(tx, incident, caller.user_id, "access_denied",
                              f"{request.ref} {request.what}" + (f": {note}" if note else ""),
                              request=request.ref, step=request.step))
        tx.notify(refresh(request), notices.to_channel(
            incident.id, "access_denied", user=caller.user_id, request=request.id,
            requester=request.requester_id, what=request.what, note=note))
        return request


async def extend(store: Store, *, caller: Caller, ref: str, policy: Policy) -> AccessRequest:
    """Another stretch of the approved duration, by an approver who is not the requester."""
    async with incident_command(store, caller) as (tx, incident):
        request = await _find(tx, incident, ref)
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
        tx.notify(refresh(request), notices.to_channel(
            incident.id, "access_extended", user=caller.user_id, request=request.id,
            what=request.what, expires=request.expires_at.isoformat()))
        return request


async def revoke(store: Store, *, caller: Caller, ref: str, policy: Policy) -> AccessRequest:
    async with incident_command(store, caller) as (tx, incident):
        request = await _find(tx, incident, ref)
        request.revoke(caller.user_id, list(policy.approvers), tx.now)
        await tx.save_access_request(request)
        await tx.cancel_reminders(incident.id, ACCESS_REMINDERS, request.id)
        await tx.append(event(tx, incident, caller.user_id, "access_revoked",
                              f"{request.ref} {request.what}", request=request.ref, step=request.step))
        tx.notify(refresh(request), notices.to_channel(
            incident.id, "access_revoked", user=caller.user_id, request=request.id,
            what=request.what))
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
    tx.notify(refresh(request), notices.to_channel(
        incident.id, "access_expired", request=request.id, what=request.what,
        requester=request.requester_id, approver=request.approver_id))


async def warn(tx: Tx, incident: Incident, request_id: int) -> None:
    request = await _locked(tx, request_id)
    if not request.active(tx.now):
        return
    await tx.append(event(tx, incident, "scheduler", "access_expiry_warning",
                          f"{request.ref} {request.what} expires {hhmm(request.expires_at)}",
                          request=request.ref, step=request.step))
    tx.notify(notices.to_channel(
        incident.id, "access_warning", request=request.id, what=request.what,
        requester=request.requester_id, approver=request.approver_id,
        expires=request.expires_at.isoformat() if request.expires_at else ""))


async def step_unlocked(tx: Tx, incident_id: int, step: str) -> bool:
    """A high-risk step may be done only under approved, unexpired, unrevoked access for it."""
    return any(r.step == step and r.active(tx.now) for r in await tx.access_requests(incident_id))


def unrevoked(requests: list[AccessRequest]) -> list[AccessRequest]:
    return [r for r in requests if r.needs_revoking]


def _require_open(incident: Incident) -> None:
    if not incident.status.is_open:
        raise IncidentError(f"{incident.ref} is {incident.status}; no new access is granted.")

