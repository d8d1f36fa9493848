"""Access requests: the request message and its copies, what the channel hears, and the DMs
that tell the requester."""

from dataclasses import dataclass
from datetime import datetime

from bot.domain.notices.base import ChannelLine, DirectMessage, IncidentNotice


@dataclass(frozen=True, kw_only=True)
class PostAccess(IncidentNotice):
    KIND = "post_access"
    request: int


@dataclass(frozen=True, kw_only=True)
class PostAccessCopy(IncidentNotice):
    """A request's copy in an approver's DM: a lane of its own, so one person's DM failing
    holds up neither the channel nor the other approvers."""

    KIND = "post_access_copy"
    request: int
    user: str

    @property
    def lane(self) -> str:
        return f"{super().lane}:access:{self.request}:dm:{self.user}"


@dataclass(frozen=True, kw_only=True)
class RefreshAccess(IncidentNotice):
    """The request's channel message and every DM copy of it, brought to the state of then."""

    KIND = "refresh_access"
    request: int

    @property
    def lane(self) -> str:
        return f"{super().lane}:access:{self.request}"


@dataclass(frozen=True, kw_only=True)
class AccessLine(ChannelLine):
    request: int
    what: str


@dataclass(frozen=True, kw_only=True)
class AccessApproved(AccessLine):
    KIND = "access_approved"
    user: str
    requester: str
    expires: datetime


@dataclass(frozen=True, kw_only=True)
class AccessDenied(AccessLine):
    KIND = "access_denied"
    user: str
    requester: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class AccessExtended(AccessLine):
    KIND = "access_extended"
    user: str
    expires: datetime


@dataclass(frozen=True, kw_only=True)
class AccessRevoked(AccessLine):
    KIND = "access_revoked"
    user: str


@dataclass(frozen=True, kw_only=True)
class AccessWarning(AccessLine):
    KIND = "access_warning"
    requester: str
    approver: str | None
    expires: datetime


@dataclass(frozen=True, kw_only=True)
class AccessExpired(AccessLine):
    KIND = "access_expired"
    requester: str
    approver: str | None


@dataclass(frozen=True, kw_only=True)
class ToRequester(DirectMessage):
    """A DM to the requester: it names the request and where it comes from."""

    request: int
    what: str
    # The incident's ref, and its channel (empty while not open yet).
    incident: str
    channel: str = ""


@dataclass(frozen=True, kw_only=True)
class YourAccessApproved(ToRequester):
    KIND = "your_access_approved"
    by: str
    expires: datetime


@dataclass(frozen=True, kw_only=True)
class YourAccessDenied(ToRequester):
    KIND = "your_access_denied"
    by: str
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class YourAccessExpiring(ToRequester):
    KIND = "your_access_expiring"
    approver: str | None
    expires: datetime
