"""The timeline inside the export, in the form its hashes were computed from.

A comment block near the end of the file holds one JSON line per event, then one line of
display names, which (since v2) also holds the rest of the record the export was rendered
from. It lets `incident-bot verify FILE.md` recompute the chain and render the whole export
again with no database.
The lines are ASCII JSON with `<`, `>` and `&` escaped, so no text in them can end the
comment or start a line that greps as anything else.
"""

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.timeline import TimelineEvent

BEGIN = ("<!-- incident-bot timeline v2: one JSON line per event, then the names shown "
         "and the record")
# Written before the export carried its record: its chain and timeline rows still verify.
BEGIN_V1 = "<!-- incident-bot timeline v1: one JSON line per event, then the names shown"
END = "-->"
_ESCAPES = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


class CanonicalError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


@dataclass
class Canonical:
    events: list[TimelineEvent]
    names: dict[str, str]
    lines: list[int]  # the file line (1-based) of each event
    begin: int = 0  # the file line (1-based) of the block's first line
    record: dict[str, Any] | None = None  # None in a v1 block
    record_line: int = 0


def _dump(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).translate(_ESCAPES)


def block(events: list[TimelineEvent], names: dict[str, str], record: dict[str, Any]) -> str:
    rows = [_dump({"incident": e.incident_id, "seq": e.seq, "at": e.at.isoformat(),
                   "actor": e.actor_id, "action": e.action, "step": e.step,
                   "details": e.details, "data": e.data, "prev": e.prev_hash, "hash": e.hash})
            for e in events]
    return "\n".join([BEGIN, *rows, _dump({"names": names, "record": record}), END])


def read(lines: list[str]) -> Canonical:
    """The block in a file's lines; CanonicalError names the line that does not parse."""
    starts = [n for n, line in enumerate(lines) if line in (BEGIN, BEGIN_V1)]
    if len(starts) != 1:
        raise CanonicalError(len(lines) if not starts else starts[1] + 1,
                             "no timeline block" if not starts else "a second timeline block")
    v1 = lines[starts[0]] == BEGIN_V1
    events, numbers, names = [], [], None
    record: dict[str, Any] | None = None
    record_line = 0
    for n in range(starts[0] + 1, len(lines)):
        line = lines[n]
        if line == END:
            if names is None:
                raise CanonicalError(n + 1, "the timeline block has no names line")
            return Canonical(events, names, numbers, starts[0] + 1, record, record_line)
        if names is not None:
            raise CanonicalError(n + 1, "a line after the names line")
        try:
            value = json.loads(line)
            if "names" in value:
                names = {str(k): str(v) for k, v in value["names"].items()}
                if not v1:
                    if not isinstance(value.get("record"), dict):
                        raise ValueError("the names line carries no record")
                    record, record_line = value["record"], n + 1
                continue
            events.append(TimelineEvent(
                incident_id=int(value["incident"]), seq=int(value["seq"]),
                at=datetime.fromisoformat(value["at"]), actor_id=str(value["actor"]),
                action=str(value["action"]), step=value["step"], details=str(value["details"]),
                data=dict(value["data"]), prev_hash=str(value["prev"]), hash=str(value["hash"])))
            numbers.append(n + 1)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise CanonicalError(n + 1, f"not a timeline event: {error}") from None
    raise CanonicalError(len(lines), "the timeline block is not closed")
