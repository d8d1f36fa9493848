"""Scheduled messages are rows: due once, fired once, or cancelled."""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class ReminderKind(StrEnum):
    ACCESS_WARNING = "access_warning"
    ACCESS_EXPIRED = "access_expired"
    STATUS_NUDGE = "status_nudge"


@dataclass
class Reminder:
    id: int
    kind: ReminderKind
    incident_id: int
    due_at: datetime
    access_request_id: int | None = None
