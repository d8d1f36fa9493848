"""Elevated access: requested, approved with an expiry, denied, expired, revoked."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.domain.errors import IncidentError


class AccessState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass
class AccessRequest:
    id: int
    incident_id: int
    what: str
    duration: timedelta
    requester_id: str
    requested_at: datetime
    reason: str = ""
    step: str | None = None
    state: AccessState = AccessState.PENDING
    approver_id: str | None = None
    decided_at: datetime | None = None
    expires_at: datetime | None = None
    decision_note: str = ""
    expired_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: str | None = None
    message_ts: str | None = None

    @property
    def ref(self) -> str:
        return f"AR-{self.id}"

    @property
    def needs_revoking(self) -> bool:
        """Granted at some point and nobody has confirmed it is taken away."""
        return self.approver_id is not None and self.state in (AccessState.APPROVED,
                                                                 AccessState.EXPIRED)

    def active(self, now: datetime) -> bool:
        return self.state is AccessState.APPROVED and self.expires_at is not None \
            and now < self.expires_at

    def approve(self, approver_id: str, approvers: list[str], now: datetime,
                duration: timedelta | None) -> None:
        check_decider(self, approver_id, approvers, "approve")
        self.state, self.approver_id, self.decided_at = AccessState.APPROVED, approver_id, now
        if duration is not None:
            self.duration = duration
        self.expires_at = now + self.duration

    def deny(self, approver_id: str, approvers: list[str], now: datetime, note: str) -> None:
        check_decider(self, approver_id, approvers, "deny")
        self.state, self.approver_id, self.decided_at = AccessState.DENIED, approver_id, now
        self.decision_note = note

    def expire(self, now: datetime) -> None:
        self.state, self.expired_at = AccessState.EXPIRED, now

    def revoke(self, user_id: str, approvers: list[str], now: datetime) -> None:
        if self.state is AccessState.REVOKED:
            raise IncidentError(f"{self.ref} was already revoked.")
        if not self.needs_revoking:
            raise IncidentError(f"{self.ref} is {self.state}: there is no access to revoke.")
        if user_id not in (self.requester_id, self.approver_id) and user_id not in approvers:
            raise IncidentError(f"Only the requester or an approver can revoke {self.ref}.")
        self.state, self.revoked_at, self.revoked_by = AccessState.REVOKED, now, user_id


@dataclass
class AccessCopy:
    """A request's copy in an approver's DM, updated in place with the channel message."""

    request_id: int
    user_id: str
    channel_id: str
    ts: str


def copy_recipients(request: AccessRequest, approvers: list[str] | tuple[str, ...]) -> list[str]:
    """Approvers asked in a DM: all but the requester, who cannot decide their own request."""
    return [a for a in dict.fromkeys(approvers) if a != request.requester_id]


def check_decider(request: AccessRequest, user_id: str, approvers: list[str], verb: str) -> None:
    if user_id not in approvers:
        raise IncidentError(f"Only approvers can {verb} access requests; you are not one of them.")
    if user_id == request.requester_id:
        raise IncidentError(f"You cannot {verb} your own request {request.ref}; ask another approver.")
    if request.state is not AccessState.PENDING:
        # Several people are asked at once (the channel, each approver's DM): whoever comes
        # second learns who came first.
        decided = "denied" if request.state is AccessState.DENIED else "approved"
        by = f" by <@{request.approver_id}>" if request.approver_id else ""
        since = "" if request.state == decided else f", and is now {request.state}"
        raise IncidentError(f"{request.ref} was already {decided}{by}{since}. Nothing changed.")


def parse_access_ref(text: str) -> int:
    cleaned = text.strip().upper().removeprefix("AR-").removeprefix("AR")
    if not cleaned.isdigit():
        raise IncidentError(f"'{text}' is not an access request id (use AR-<n>).")
    return int(cleaned)
