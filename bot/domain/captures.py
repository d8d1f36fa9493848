"""Messages said in an incident channel and put on its timeline, by a 📌 or the shortcut."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

PIN = "pushpin"  # the reaction that captures a message: 📌


class Via(StrEnum):
    PIN = "pin"
    SHORTCUT = "shortcut"


@dataclass
class Said:
    """A message as the timeline keeps it. `author` is a Slack user, or a bot's id for a
    message an integration posted (then `author_name` is the name it posted under)."""

    author: str
    ts: str
    text: str = ""
    thread_ts: str | None = None
    files: list[str] = field(default_factory=list)  # each file's permalink
    author_name: str = ""

    @property
    def at(self) -> datetime:
        return said_at(self.ts)

    def details(self, permalink: str) -> str:
        """The `log` event's text: what was said, the files it carried, where it is."""
        parts = [self.text.strip(), *(f"file: {url}" for url in self.files), permalink]
        return "\n".join(part for part in parts if part)


@dataclass
class Capture:
    """A message captured once, however often it is pinned. `seq` (its `log` event) is None
    while the capture is owed: Slack has yet to hand over the message or its permalink."""

    incident_id: int
    channel_id: str
    ts: str
    by_pin: bool
    seq: int | None = None
    permalink: str | None = None


def said_at(ts: str) -> datetime:
    """A Slack ts as the time it names, to the microsecond (a float would round it)."""
    seconds, _, fraction = ts.partition(".")
    return datetime.fromtimestamp(int(seconds), UTC) + timedelta(
        microseconds=int(fraction[:6].ljust(6, "0") or 0))
