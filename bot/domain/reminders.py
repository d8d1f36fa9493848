"""Scheduled messages are rows: due once, fired once, or cancelled."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ReminderKind(StrEnum):
    ACCESS_WARNING = "access_warning"
    ACCESS_EXPIRED = "access_expired"
    STATUS_NUDGE = "status_nudge"
    # Still `new` at the severity's acknowledgement deadline: escalate.
    ACK_DEADLINE = "ack_deadline"
    # Still open this long after declare: executives hear of it.
    ESCALATE_AFTER = "escalate_after"
    # An action item of the incident passed its due date: its owner hears once.
    ACTION_DUE = "action_due"
    # A change recorded after resolve: the export is written again, once for a burst.
    EXPORT_AGAIN = "export_again"
    # Resolved this long and still not closed: the commander is asked for the postmortem.
    POSTMORTEM_DUE = "postmortem_due"


@dataclass
class Reminder:
    id: int
    kind: ReminderKind
    incident_id: int
    due_at: datetime
    access_request_id: int | None = None
