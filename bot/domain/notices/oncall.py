"""Owed for the catalog's services: who is on call, asked of PagerDuty and found in Slack."""

from dataclasses import dataclass

from bot.domain.notices.base import ChannelLine, IncidentNotice


@dataclass(frozen=True, kw_only=True)
class FindOnCall(IncidentNotice):
    """Ask PagerDuty who is on call for the service's escalation policy. A lane of its own, so
    PagerDuty being slow never holds up the channel."""

    KIND = "find_oncall"
    LANE = ":oncall"
    service: str
    escalation_policy: str


@dataclass(frozen=True, kw_only=True)
class InviteOnCall(IncidentNotice):
    """The people PagerDuty named, found in Slack by their email and invited. Emails stay in
    the outbox: the record keeps the Slack users found."""

    KIND = "invite_oncall"
    service: str
    names: tuple[str, ...]
    emails: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class ServiceAdded(ChannelLine):
    KIND = "service_added"
    user: str
    service: str
    owner_group: str | None = None
    runbooks: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class OnCallFound(ChannelLine):
    """Who is on call for the service, invited; `missing`: named by PagerDuty, not in Slack."""

    KIND = "oncall_found"
    service: str
    users: tuple[str, ...]
    missing: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class OnCallUnknown(ChannelLine):
    """PagerDuty did not say who is on call; `again`: it is asked again."""

    KIND = "oncall_unknown"
    service: str
    reason: str
    again: bool
