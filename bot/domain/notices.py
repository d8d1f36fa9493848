"""What the incident wants said in Slack, recorded in the same transaction as the change.

A notice names a message kind and carries raw facts; the Slack edge renders and
escapes them at delivery. Notices of one lane are delivered in order.
"""

from dataclasses import dataclass, field


@dataclass
class Notice:
    kind: str
    lane: str
    payload: dict = field(default_factory=dict)


def incident_lane(incident_id: int) -> str:
    return f"INC-{incident_id}"


def to_channel(incident_id: int, message: str, **facts: object) -> Notice:
    """A message into the incident's own channel."""
    return Notice("post", incident_lane(incident_id), {"message": message, **facts})


def announce(incident_id: int, message: str, **facts: object) -> Notice:
    return Notice("announce", incident_lane(incident_id), {"message": message, **facts})


def refresh_summary(incident_id: int) -> Notice:
    return Notice("refresh_summary", incident_lane(incident_id))
