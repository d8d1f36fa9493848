"""The timeline hash chain: each event's hash covers its content and the hash before it."""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

GENESIS = "0" * 64


@dataclass
class TimelineEvent:
    incident_id: int
    seq: int
    at: datetime
    actor_id: str
    action: str
    details: str = ""
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    hash: str = ""


def event_hash(event: TimelineEvent) -> str:
    canonical = json.dumps(
        {
            "incident": event.incident_id,
            "seq": event.seq,
            "at": event.at.isoformat(),
            "actor": event.actor_id,
            "action": event.action,
            "step": event.step,
            "details": event.details,
            "data": event.data,
            "prev": event.prev_hash,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


class ChainLink(NamedTuple):
    """What the next event needs of the one before it."""

    seq: int
    hash: str


def chain(event: TimelineEvent, previous: TimelineEvent | ChainLink | None) -> TimelineEvent:
    """Link an event after `previous` (None for the first) and seal it."""
    event.seq = previous.seq + 1 if previous else 1
    event.prev_hash = previous.hash if previous else GENESIS
    event.hash = event_hash(event)
    return event


@dataclass
class ChainBreak:
    event: TimelineEvent
    reason: str


def verify_chain(events: Iterable[TimelineEvent]) -> ChainBreak | None:
    """The first link that does not hold, or None when the whole chain is intact."""
    expected_prev, expected_seq = GENESIS, 1
    for event in events:
        if event.seq != expected_seq:
            return ChainBreak(event, f"sequence jumps from {expected_seq - 1} to {event.seq}")
        if event.prev_hash != expected_prev:
            return ChainBreak(event, "does not link to the event before it")
        if event_hash(event) != event.hash:
            return ChainBreak(event, "its content no longer matches its hash")
        expected_prev, expected_seq = event.hash, expected_seq + 1
    return None
