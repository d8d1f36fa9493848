"""An outbox row back into its notice: validated field by field, so a row that does not fit its
kind fails here, as a fault of ours, and is parked rather than retried for ever.

Rows written by the release before typed notices carry no version: their kind named how
they were sent ("post", "dm", "announce", "tell_executives") and `message` what was said;
`upgrade` reads them as the notices they were.
"""

from typing import Any

from pydantic import TypeAdapter

from bot.domain import notices as n
from bot.domain.notices import KINDS, Notice, incident_of

# Old kind of a row → its message's kind now, where the two differ.
_ANNOUNCED = {"declared": "announce_declared", "severity_changed": "announce_severity",
              "status_update": "announce_update", "resolved": "announce_status",
              "closed": "announce_status"}
# How the release before sent what it said: rows of these kinds are read as the lines they
# carry, and delivered (paced, coalesced) with them.
SENT_AS = {"post": n.ChannelLine, "dm": n.DirectMessage, "announce": n.Announcement,
           "tell_executives": n.ToExecutives}


class Unreadable(Exception):
    """A row whose fields do not fit its kind: a fault of ours."""


class TooNew(Exception):
    """A row written by a newer release (a kind or a version this one does not know): left
    for a replica that knows it, never parked for it."""


def decode(kind: str, payload: dict[str, Any], lane: str) -> Notice:
    version = payload.get("v")
    if version is None:
        kind, payload = upgrade(kind, payload, lane)
    cls = KINDS.get(kind)
    if cls is None or (version is not None and version > cls.VERSION):
        raise TooNew(f"{kind} v{version}: written by a newer release")
    fields = {key: value for key, value in payload.items() if key != "v"}
    try:
        return _adapter(cls).validate_python(fields)
    except ValueError as exc:  # pydantic's ValidationError is one
        raise Unreadable(f"{kind}: {exc}") from None


_ADAPTERS: dict[str, TypeAdapter[Notice]] = {}


def _adapter(cls: type[Notice]) -> TypeAdapter[Notice]:
    """Built at first use: building all of them would slow every start."""
    if cls.KIND not in _ADAPTERS:
        _ADAPTERS[cls.KIND] = TypeAdapter(cls)
    return _ADAPTERS[cls.KIND]


def upgrade(kind: str, payload: dict[str, Any], lane: str) -> tuple[str, dict[str, Any]]:
    """A row of the release before versions, as the kind and fields of now."""
    facts = dict(payload)
    incident_id = incident_of(lane)
    if incident_id is not None:
        facts["incident_id"] = incident_id
    if kind in SENT_AS:
        message = facts.pop("message", "")
        if kind == "announce":
            kind = _ANNOUNCED.get(message, message)
            if kind == "announce_status":
                facts["status"] = message
        else:
            kind = message
    facts.pop("join", None)  # a DM's incident is its incident_id now
    if kind == "statuspage_resolve_offer":
        facts.pop("incident", None)
    if kind == "status_nudge":
        facts["last_update"] = facts.get("last_update") or None
    return kind, facts
