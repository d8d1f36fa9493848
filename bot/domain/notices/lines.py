"""What the incident channel is told as the incident goes on."""

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.lifecycle import Status
from bot.domain.notices.base import ChannelLine


@dataclass(frozen=True, kw_only=True)
class Logged(ChannelLine):
    KIND = "log"
    user: str
    text: str
    at: datetime


@dataclass(frozen=True, kw_only=True)
class Captured(ChannelLine):
    KIND = "captured"
    user: str
    author: str
    link: str


@dataclass(frozen=True, kw_only=True)
class CaptureRetracted(ChannelLine):
    KIND = "capture_retracted"
    user: str
    link: str | None


@dataclass(frozen=True, kw_only=True)
class AlertLine(ChannelLine):
    """An alert of the incident's group, with what tells it from the others: its labels
    not common to the group (`apart`), its description, and its links by name (`graph`,
    `runbook`, `dashboard`, `panel`, `silence`; web addresses only)."""

    alertname: str
    summary: str = ""
    apart: dict[str, str] = field(default_factory=dict)
    description: str = ""
    links: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class AlertFiring(AlertLine):
    KIND = "alert_firing"
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class AlertResolved(AlertLine):
    KIND = "alert_resolved"


@dataclass(frozen=True, kw_only=True)
class StatusChanged(ChannelLine):
    KIND = "status_changed"
    user: str
    old: Status
    new: Status
    rationale: str | None = None


@dataclass(frozen=True, kw_only=True)
class SeverityChanged(ChannelLine):
    KIND = "severity_changed"
    user: str
    old: str
    new: str
    rationale: str | None = None


@dataclass(frozen=True, kw_only=True)
class CommanderAssigned(ChannelLine):
    KIND = "commander_assigned"
    user: str
    commander: str


@dataclass(frozen=True, kw_only=True)
class RoleAssigned(ChannelLine):
    KIND = "role_assigned"
    user: str
    role: str
    assignee: str


@dataclass(frozen=True, kw_only=True)
class StatusUpdate(ChannelLine):
    KIND = "status_update"
    user: str
    text: str


@dataclass(frozen=True, kw_only=True)
class RootCause(ChannelLine):
    KIND = "root_cause"
    user: str
    text: str
    replaced: bool = False


@dataclass(frozen=True, kw_only=True)
class Resolved(ChannelLine):
    KIND = "resolved"
    user: str
    root_cause: str | None = None
    # The timeline's chain head when it was sealed.
    head: str = ""
    unrevoked: list[int]


@dataclass(frozen=True, kw_only=True)
class Paged(ChannelLine):
    """Someone paged a PagerDuty service (`service`) or a person by DM (`paged`)."""

    KIND = "paged"
    user: str
    service: str | None = None
    paged: str | None = None
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class WouldPage(ChannelLine):
    """A drill's page: said, never sent."""

    KIND = "would_page"
    user: str
    text: str


@dataclass(frozen=True, kw_only=True)
class AckOverdue(ChannelLine):
    KIND = "ack_overdue"
    deadline: str
    paged: bool = False
    users: list[str]
    # A drill names whom it would have reached instead.
    would: list[str] | None = None


@dataclass(frozen=True, kw_only=True)
class StatusNudge(ChannelLine):
    KIND = "status_nudge"
    commander: str
    comms: str | None = None
    last_update: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class StatuspageUpdated(ChannelLine):
    KIND = "statuspage_update"
    user: str
    status: str
    text: str


@dataclass(frozen=True, kw_only=True)
class StatuspageResolveOffer(ChannelLine):
    """The incident is resolved here and still open on the public page: offer to resolve it."""

    KIND = "statuspage_resolve_offer"
    status: str


@dataclass(frozen=True, kw_only=True)
class StatuspageFailed(ChannelLine):
    KIND = "statuspage_failed"
    status: str
    reason: str
