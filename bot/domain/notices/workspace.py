"""The incident's place in the workspace: its channel, who is in it, its pinned summary,
the names the record shows, messages captured into the timeline, and the lines said
elsewhere (ANNOUNCE_CHANNEL, EXEC_CHANNEL, DMs that page people)."""

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.captures import Said
from bot.domain.lifecycle import Status
from bot.domain.notices.base import Announcement, DirectMessage, IncidentNotice, Notice, ToExecutives


@dataclass(frozen=True, kw_only=True)
class CreateChannel(IncidentNotice):
    KIND = "create_channel"


@dataclass(frozen=True, kw_only=True)
class Invite(IncidentNotice):
    KIND = "invite"
    user: str


@dataclass(frozen=True, kw_only=True)
class InvitePeople(IncidentNotice):
    """People and user groups, whose members are looked up when the invite goes out."""

    KIND = "invite_people"
    users: list[str]
    groups: list[str]


@dataclass(frozen=True, kw_only=True)
class PostSummary(IncidentNotice):
    KIND = "post_summary"


@dataclass(frozen=True, kw_only=True)
class RefreshSummary(IncidentNotice):
    """Re-rendered from state in a lane of its own: however many changes queue up, one update
    brings it to the state of then. It waits a moment, so a burst of clicks refreshes it once."""

    KIND = "refresh_summary"
    LANE = ":summary"
    SETTLE = timedelta(seconds=1)


@dataclass(frozen=True, kw_only=True)
class LookupUser(Notice):
    """A person's display name for the record; no incident's lane holds it up."""

    KIND = "lookup_user"
    user: str

    @property
    def lane(self) -> str:
        return f"user:{self.user}"


@dataclass(frozen=True, kw_only=True)
class CaptureMessage(IncidentNotice):
    """A message to fetch from Slack (with its permalink) and record on the timeline. Captures
    and pin checks share a lane, so a check always finds the capture it is about recorded."""

    KIND = "capture"
    LANE = ":capture"
    channel: str
    ts: str
    by: str
    via: str
    # What the shortcut sent along; a 📌 sends nothing, and the message is fetched.
    said: Said | None = None
    # Where to tell the person that the message is the bot's own (the shortcut's response_url).
    reply_to: str | None = None


@dataclass(frozen=True, kw_only=True)
class CheckPins(IncidentNotice):
    """A 📌 came off a captured message: ask Slack whether any is left on it."""

    KIND = "check_pins"
    LANE = ":capture"
    channel: str
    ts: str
    by: str


@dataclass(frozen=True, kw_only=True)
class AnnounceDeclared(Announcement):
    KIND = "announce_declared"
    user: str


@dataclass(frozen=True, kw_only=True)
class AnnounceSeverity(Announcement):
    KIND = "announce_severity"
    user: str
    old: str
    new: str
    rationale: str | None = None


@dataclass(frozen=True, kw_only=True)
class AnnounceStatus(Announcement):
    """Resolved or closed."""

    KIND = "announce_status"
    user: str
    status: Status


@dataclass(frozen=True, kw_only=True)
class AnnounceUpdate(Announcement):
    KIND = "announce_update"
    user: str
    text: str


@dataclass(frozen=True, kw_only=True)
class StillOpen(ToExecutives):
    KIND = "still_open"
    # How long since it was declared, as said.
    after: str


@dataclass(frozen=True, kw_only=True)
class AboutIncident(DirectMessage):
    """A DM to someone who may not be in the incident's channel: it says what the incident is."""

    incident: str  # its ref
    title: str
    severity: str
    channel: str = ""


@dataclass(frozen=True, kw_only=True)
class PageDM(AboutIncident):
    """A person paged by DM, with a Join button."""

    KIND = "page"
    by: str
    text: str = ""


@dataclass(frozen=True, kw_only=True)
class EscalationDM(AboutIncident):
    """Someone on the escalation list: the incident was not acknowledged in time."""

    KIND = "escalation"
    deadline: str
