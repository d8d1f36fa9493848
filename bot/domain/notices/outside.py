"""Owed to systems other than Slack: PagerDuty, the public status page and the tracker
that action items become tickets in."""

from dataclasses import dataclass

from bot.domain.notices.base import ChannelLine, IncidentNotice


@dataclass(frozen=True, kw_only=True)
class PagerDutyEvent(IncidentNotice):
    """A trigger, acknowledge or resolve of the incident's alert on `service` ("" for
    PAGERDUTY_ROUTING_KEY). One lane per incident keeps them in order."""

    KIND = "pagerduty"
    LANE = ":pagerduty"
    action: str
    service: str = ""
    message: str = ""
    reason: str = ""
    by: str = ""


@dataclass(frozen=True, kw_only=True)
class StatuspagePublish(IncidentNotice):
    """A public update (the first one opens the public incident), in order, in its own lane."""

    KIND = "statuspage"
    LANE = ":statuspage"
    status: str
    text: str
    # The catalog's components of the incident's services, each with the status it shows.
    components: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, kw_only=True)
class TicketNotice(IncidentNotice):
    """Owed to the tracker TICKETS names, about action item `number`: in a lane of its own
    within the incident, in order, so an item's ticket is made before it is dated or closed.
    With no tracker set up there is nothing to do, and the row is settled at once."""

    LANE = ":tickets"
    number: int


@dataclass(frozen=True, kw_only=True)
class TicketOpen(TicketNotice):
    """The item becomes a ticket, read from the record when it goes out."""

    KIND = "ticket_open"


@dataclass(frozen=True, kw_only=True)
class TicketClose(TicketNotice):
    """The item was ticked here: its ticket is closed there."""

    KIND = "ticket_close"


@dataclass(frozen=True, kw_only=True)
class TicketDue(TicketNotice):
    """The item's due date, on the ticket where the tracker has one (Jira)."""

    KIND = "ticket_due"


@dataclass(frozen=True, kw_only=True)
class TicketOpened(ChannelLine):
    KIND = "ticket_opened"
    number: int
    text: str
    tracker: str
    key: str
    url: str


@dataclass(frozen=True, kw_only=True)
class TicketFailed(ChannelLine):
    """The tracker will never take the call as it is (a token it refuses, a permission
    missing): said in the channel, naming the setting, as nobody else would see it."""

    KIND = "ticket_failed"
    number: int
    text: str
    tracker: str
    # What was asked: "open" or "close" (or "due").
    call: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class TicketClosedThere(ChannelLine):
    """Someone closed the item's ticket in the tracker: the item is ticked here."""

    KIND = "ticket_closed_there"
    number: int
    text: str
    tracker: str
    key: str
    url: str
    by: str
