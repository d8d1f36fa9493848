"""The tables. Each mirrors a domain object field for field, so mapping stays trivial."""

from datetime import date, datetime, timedelta

from sqlalchemy import JSON, Column, Index, Interval, Table, Text, UniqueConstraint, inspect
from sqlmodel import Field, SQLModel

from bot.storage.types import UTCDateTime


def _at(nullable: bool = False, index: bool = False):  # noqa: ANN202
    return Field(
        default=None if nullable else ...,
        sa_type=UTCDateTime,
        nullable=nullable,
        index=index,
    )


def table_of(model: type[SQLModel]) -> Table:
    """A table class's Table (its `__table__`, which SQLModel's type hints leave out)."""
    table = inspect(model).local_table
    assert isinstance(table, Table)
    return table


class IncidentRow(SQLModel, table=True):
    __tablename__ = "incidents"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=200)
    title: str = Field(sa_type=Text)
    severity: int
    status: str = Field(max_length=20)
    declared_at: datetime = _at()
    declared_by: str = Field(max_length=32)
    origin_channel_id: str | None = Field(default=None, max_length=32)
    channel_id: str | None = Field(default=None, max_length=32, unique=True)
    channel_name: str | None = Field(default=None, max_length=80)
    summary_ts: str | None = Field(default=None, max_length=32)
    commander_id: str | None = Field(default=None, max_length=32)
    acknowledged_at: datetime | None = _at(nullable=True)
    mitigated_at: datetime | None = _at(nullable=True)
    resolved_at: datetime | None = _at(nullable=True)
    closed_at: datetime | None = _at(nullable=True)
    root_cause: str = Field(default="", sa_type=Text)
    last_update_at: datetime | None = _at(nullable=True)
    last_update_text: str = Field(default="", sa_type=Text)
    private: bool = False
    drill: bool = False
    roles: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    services: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    kind: str | None = Field(default=None, max_length=64)
    announce: bool = True
    statuspage: bool = True
    postmortem_from: int | None = None


class EventRow(SQLModel, table=True):
    __tablename__ = "timeline_events"
    # By action: /metrics tallies the events of a few kinds at every scrape.
    __table_args__ = (UniqueConstraint("incident_id", "seq"),
                      Index("ix_timeline_events_action", "incident_id", "action"))

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id")
    seq: int
    at: datetime = _at()
    actor_id: str = Field(max_length=32)
    action: str = Field(max_length=40)
    step: str | None = Field(default=None, max_length=200)
    details: str = Field(default="", sa_type=Text)
    data: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class ParticipantRow(SQLModel, table=True):
    __tablename__ = "participants"

    incident_id: int = Field(foreign_key="incidents.id", primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    joined_at: datetime = _at()


class ActionItemRow(SQLModel, table=True):
    __tablename__ = "action_items"
    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id")
    number: int
    text: str = Field(sa_type=Text)
    owner_id: str | None = Field(default=None, max_length=32)
    created_at: datetime = _at()
    created_by: str = Field(max_length=32)
    done_at: datetime | None = _at(nullable=True)
    done_by: str | None = Field(default=None, max_length=32)
    due_on: date | None = None
    # When its owner was told it is overdue: once.
    due_nudged_at: datetime | None = _at(nullable=True)
    ticket_key: str | None = Field(default=None, max_length=64)
    ticket_url: str | None = Field(default=None, sa_type=Text)


class UserRow(SQLModel, table=True):
    """Display names, so exports show people, not IDs."""

    __tablename__ = "users"

    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)


class CommandRow(SQLModel, table=True):
    """Every slash command that changed something; trigger_id makes a repeat visible."""

    __tablename__ = "commands"

    id: int | None = Field(default=None, primary_key=True)
    trigger_id: str = Field(max_length=200, unique=True)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    user_id: str = Field(max_length=32)
    channel_id: str = Field(max_length=32)
    command: str = Field(max_length=40)
    text: str = Field(sa_type=Text)
    at: datetime = _at()


class PolicyDenialRow(SQLModel, table=True):
    """What the incident policy refused, kept although nothing the action asked for was:
    who, what, on which incident, why, when. `delivery` keeps a repeat of it once."""

    __tablename__ = "policy_denials"

    id: int | None = Field(default=None, primary_key=True)
    delivery: str = Field(max_length=200, unique=True)
    at: datetime = _at(index=True)
    user_id: str = Field(max_length=32)
    action: str = Field(max_length=40)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    reason: str = Field(sa_type=Text)
    args: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SlackEventRow(SQLModel, table=True):
    """Event ids already handled, so Slack's retries record once."""

    __tablename__ = "slack_events"

    event_id: str = Field(primary_key=True, max_length=100)
    received_at: datetime = _at()


class OutboxRow(SQLModel, table=True):
    """A Slack call owed. Rows of a lane go out in id order; a lease keeps replicas apart."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "delivered_at", "failed_at", "lane"),
                      Index("ix_outbox_lane_sent", "lane", "sent_at"))

    id: int | None = Field(default=None, primary_key=True)
    lane: str = Field(max_length=64)
    kind: str = Field(max_length=40)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _at()
    due_at: datetime = _at()
    lease_until: datetime | None = _at(nullable=True)
    attempts: int = 0
    # Attempts that failed for a reason of ours (a bug), not the other side's: a few, then parked.
    faults: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # The last attempt got no answer: a look that finds nothing soon after is no proof.
    unanswered: bool = False
    # True while an attempt may have reached Slack without us learning the outcome.
    uncertain: bool = False
    # When the last attempt started: a channel's posts are paced from it.
    sent_at: datetime | None = _at(nullable=True)
    # Deferred because Slack was failing: sent again as soon as Slack answers.
    held: bool = False
    last_error: str | None = Field(default=None, sa_type=Text)
    delivered_at: datetime | None = _at(nullable=True)
    failed_at: datetime | None = _at(nullable=True)


class AccessRequestRow(SQLModel, table=True):
    __tablename__ = "access_requests"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    what: str = Field(sa_type=Text)
    duration: timedelta = Field(sa_type=Interval)
    requester_id: str = Field(max_length=32)
    requested_at: datetime = _at()
    reason: str = Field(default="", sa_type=Text)
    step: str | None = Field(default=None, max_length=200)
    state: str = Field(max_length=20)
    approver_id: str | None = Field(default=None, max_length=32)
    decided_at: datetime | None = _at(nullable=True)
    expires_at: datetime | None = _at(nullable=True)
    decision_note: str = Field(default="", sa_type=Text)
    expired_at: datetime | None = _at(nullable=True)
    revoked_at: datetime | None = _at(nullable=True)
    revoked_by: str | None = Field(default=None, max_length=32)
    message_ts: str | None = Field(default=None, max_length=32)


class AccessCopyRow(SQLModel, table=True):
    """Where an approver's DM copy of a request was posted, so every change updates it too."""

    __tablename__ = "access_copies"

    request_id: int = Field(foreign_key="access_requests.id", primary_key=True)
    user_id: str = Field(max_length=32, primary_key=True)
    channel_id: str = Field(max_length=32)
    ts: str = Field(max_length=32)


class ReminderRow(SQLModel, table=True):
    """A scheduled message. Firing sets fired_at where it is still NULL: once, on one replica."""

    __tablename__ = "reminders"
    __table_args__ = (Index("ix_reminders_due", "fired_at", "cancelled_at", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=40)
    incident_id: int = Field(foreign_key="incidents.id")
    access_request_id: int | None = Field(default=None, foreign_key="access_requests.id")
    due_at: datetime = _at()
    fired_at: datetime | None = _at(nullable=True)
    cancelled_at: datetime | None = _at(nullable=True)


class AttachedRunbookRow(SQLModel, table=True):
    """The incident's own copy of a runbook as attached: later edits to the file never reach it."""

    __tablename__ = "attached_runbooks"
    __table_args__ = (UniqueConstraint("incident_id", "runbook_id"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    runbook_id: str = Field(max_length=40)
    path: str = Field(max_length=500)
    source: str = Field(sa_type=Text)
    sha256: str = Field(max_length=64)
    attached_at: datetime = _at()
    attached_by: str = Field(max_length=32)
    message_ts: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class StatuspageIncidentRow(SQLModel, table=True):
    """The public incident an incident has on Statuspage, once Statuspage has named it."""

    __tablename__ = "statuspage_incidents"

    incident_id: int = Field(foreign_key="incidents.id", primary_key=True)
    public_id: str = Field(max_length=64)


class AlertGroupRow(SQLModel, table=True):
    """An alert group (Alertmanager's `groupKey`) and the incident it opened last: later
    deliveries of the group go to that incident while it is open."""

    __tablename__ = "alert_groups"

    id: int | None = Field(default=None, primary_key=True)
    # The key hashed: Alertmanager's keys are label sets of any length.
    key_sha256: str = Field(max_length=64, unique=True)
    group_key: str = Field(sa_type=Text)
    incident_id: int | None = Field(default=None, foreign_key="incidents.id", index=True)
    first_seen_at: datetime = _at()


class AlertDeliveryRow(SQLModel, table=True):
    """Alert webhook bodies already recorded, so a repeated delivery records once."""

    __tablename__ = "alert_deliveries"

    body_sha256: str = Field(primary_key=True, max_length=64)
    group_id: int = Field(foreign_key="alert_groups.id", index=True)
    received_at: datetime = _at()


class AlertSeenRow(SQLModel, table=True):
    """Each alert (by fingerprint) an incident has heard of, and whether it last fired or
    resolved: a firing alert is logged once, and again only after it resolved."""

    __tablename__ = "alerts_seen"

    incident_id: int = Field(foreign_key="incidents.id", primary_key=True)
    fingerprint: str = Field(max_length=200, primary_key=True)
    status: str = Field(max_length=20)
    starts_at: datetime = _at()


class CapturedMessageRow(SQLModel, table=True):
    """A message of an incident channel on its timeline (or owed to it, `seq` still None):
    pinned or added again, it is captured once; retracted, the row goes and it may come back."""

    __tablename__ = "captured_messages"

    channel_id: str = Field(max_length=32, primary_key=True)
    ts: str = Field(max_length=32, primary_key=True)
    incident_id: int = Field(foreign_key="incidents.id", index=True)
    by_pin: bool
    seq: int | None = None
    permalink: str | None = Field(default=None, sa_type=Text)
