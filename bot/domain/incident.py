"""The incident and what hangs off it, free of Slack and SQL."""

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.domain.access import AccessRequest
from bot.domain.lifecycle import Status
from bot.domain.runbook_progress import AttachedRunbook
from bot.domain.severity import severity_label
from bot.domain.timeline import TimelineEvent


@dataclass
class Incident:
    id: int
    slug: str
    title: str
    severity: int
    declared_at: datetime
    declared_by: str
    status: Status = Status.NEW
    origin_channel_id: str | None = None
    channel_id: str | None = None
    channel_name: str | None = None
    summary_ts: str | None = None
    commander_id: str | None = None
    acknowledged_at: datetime | None = None
    mitigated_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    root_cause: str = ""
    last_update_at: datetime | None = None
    last_update_text: str = ""
    # A private channel; nothing about it is said outside that channel.
    private: bool = False
    # Run for practice: the whole flow, but nobody outside the channel hears of it or is paged.
    drill: bool = False
    # Role → who holds it now (the commander too): the timeline's assignments, kept here
    # because every policy decision asks what roles its asker holds.
    roles: dict[str, str] = field(default_factory=dict)
    # The catalog's services it hits, by their names, in the order they were named.
    services: list[str] = field(default_factory=list)
    # The catalog's incident type it was declared as (security, outage, …), if any, and what
    # the type decided then: whether ANNOUNCE_CHANNEL and Statuspage hear of it, and the
    # lowest severity that owes a postmortem (None: every one does).
    kind: str | None = None
    announce: bool = True
    statuspage: bool = True
    postmortem_from: int | None = None

    def roles_of(self, user_id: str) -> tuple[str, ...]:
        return tuple(role for role, holder in self.roles.items() if holder == user_id)

    @property
    def ref(self) -> str:
        return f"INC-{self.id}"

    @property
    def announced(self) -> bool:
        """Whether ANNOUNCE_CHANNEL hears about this incident: the one rule every turn asks."""
        return self.announce and not self.private and not self.drill

    @property
    def owes_postmortem(self) -> bool:
        return self.postmortem_from is None or self.severity <= self.postmortem_from

    def may_be_listed_to(self, user_id: str, members: set[str]) -> bool:
        """A private incident is listed only to its channel's members, as the record knows
        them (`members`: participants, invitees); the declarer always."""
        return not self.private or user_id == self.declared_by or user_id in members

    @property
    def severity_label(self) -> str:
        return severity_label(self.severity)

    def move_to(self, target: Status, at: datetime) -> None:
        """Set the status and stamp the milestones it passes, so MTTA/MTTR stay true."""
        self.status = target
        if target.rank >= Status.ACKNOWLEDGED.rank and self.acknowledged_at is None:
            self.acknowledged_at = at
        if target.rank >= Status.MONITORING.rank and self.mitigated_at is None:
            self.mitigated_at = at
        if target.rank >= Status.RESOLVED.rank and self.resolved_at is None:
            self.resolved_at = at
        if target is Status.CLOSED and self.closed_at is None:
            self.closed_at = at
        if target.is_open:
            self.resolved_at = self.closed_at = None
            if target.rank < Status.MONITORING.rank:
                self.mitigated_at = None


@dataclass
class Participant:
    incident_id: int
    user_id: str
    joined_at: datetime


@dataclass
class ActionItem:
    incident_id: int
    number: int
    text: str
    created_at: datetime
    created_by: str
    owner_id: str | None = None
    done_at: datetime | None = None
    done_by: str | None = None
    due_on: date | None = None
    due_nudged_at: datetime | None = None
    # The issue it became in TICKETS' tracker: its key (`123` on GitHub, `OPS-7` on Jira).
    ticket_key: str | None = None
    ticket_url: str | None = None

    @property
    def done(self) -> bool:
        return self.done_at is not None

    def overdue(self, today: date) -> bool:
        """Past its due date and not done: due on a day means done by the end of it."""
        return not self.done and self.due_on is not None and self.due_on < today


@dataclass
class IncidentRecord:
    """Everything the export and the summary need, read in one go."""

    incident: Incident
    events: list[TimelineEvent] = field(default_factory=list)
    participants: list[Participant] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    access_requests: list[AccessRequest] = field(default_factory=list)
    runbooks: list[AttachedRunbook] = field(default_factory=list)

    @property
    def version(self) -> int:
        """Grows with every recorded change: the last timeline event's number."""
        return self.events[-1].seq if self.events else 0

    def name(self, user_id: str | None) -> str:
        if not user_id:
            return "-"
        return self.names.get(user_id, user_id)

    def members(self) -> set[str]:
        """Who the record knows is in the channel: the declarer, everyone who joined, and
        everyone the bot was asked to bring in (invites, roles). Slack may know more (a user
        group's members); the record answers only for what it holds."""
        known = {self.incident.declared_by} | {p.user_id for p in self.participants}
        for entry in self.events:
            if entry.action == "invited":
                known.update(str(user) for user in entry.data.get("users", []))
            elif entry.action in ("role_assigned", "commander_assigned"):
                known.update(str(entry.data[key]) for key in ("user", "commander")
                             if entry.data.get(key))
        return known

    def may_be_listed_to(self, user_id: str) -> bool:
        return self.incident.may_be_listed_to(user_id, self.members())
