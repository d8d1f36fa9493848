"""What the incident owes the outside world, recorded in the same transaction as the change.

A notice is a frozen dataclass, one per kind, carrying raw facts (no Slack shapes, nothing
escaped): the edge renders them at delivery. It is stored as JSON in an outbox row, under
its kind's name and its version. Notices of one lane are delivered in order; a lane of its
own keeps one recipient (a DM, PagerDuty, git) from holding up another.
"""

import dataclasses
import enum
import re
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

_INCIDENT_LANE = re.compile(r"^INC-(\d+)(?::|$)")

# Every kind by its stored name: what an outbox row is read back as.
KINDS: dict[str, type["Notice"]] = {}


def incident_lane(incident_id: int) -> str:
    return f"INC-{incident_id}"


def incident_of(lane: str) -> int | None:
    match = _INCIDENT_LANE.match(lane)
    return int(match.group(1)) if match else None


@dataclasses.dataclass(frozen=True, kw_only=True)
class Notice:
    """A kind names itself with KIND; VERSION goes up when its fields change in a way that
    rows written before cannot be read as (bot/outbound/codec.py upgrades those)."""

    KIND: ClassVar[str] = ""
    VERSION: ClassVar[int] = 2
    # Not before this long after the change.
    SETTLE: ClassVar[timedelta] = timedelta(0)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "KIND" in cls.__dict__:
            assert cls.KIND not in KINDS, f"two notices named {cls.KIND}"
            KINDS[cls.KIND] = cls

    @property
    def lane(self) -> str:
        raise NotImplementedError

    @property
    def kind(self) -> str:
        return self.KIND

    @property
    def settle(self) -> timedelta:
        return self.SETTLE

    @property
    def payload(self) -> dict[str, Any]:
        """The fields as JSON, with the version they were written in."""
        return {**_fields(self), "v": self.VERSION}


@dataclasses.dataclass(frozen=True, kw_only=True)
class IncidentNotice(Notice):
    """About one incident, in its lane (or a lane of its own within it: LANE's suffix)."""

    incident_id: int
    LANE: ClassVar[str] = ""

    @property
    def lane(self) -> str:
        return incident_lane(self.incident_id) + self.LANE


def _fields(value: Any) -> dict[str, Any]:
    # Not dataclasses.asdict: it deep-copies every value, and this runs on every command.
    return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    if dataclasses.is_dataclass(value):
        return _fields(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    return value


@dataclasses.dataclass(frozen=True, kw_only=True)
class ChannelLine(IncidentNotice):
    """A line in the incident's own channel about something recorded; lines owed together
    go out in as few messages as fit."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class DirectMessage(IncidentNotice):
    """A message to one person (`user`) about an incident. Each person's DMs go in order, in a
    lane of their own, so a slow or failing DM never holds up the channel."""

    user: str

    @property
    def lane(self) -> str:
        return f"{incident_lane(self.incident_id)}:dm:{self.user}"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Announcement(IncidentNotice):
    """A line in ANNOUNCE_CHANNEL, in the incident's lane so it follows the channel's order."""


@dataclasses.dataclass(frozen=True, kw_only=True)
class ToExecutives(IncidentNotice):
    """A line in EXEC_CHANNEL about an incident."""
