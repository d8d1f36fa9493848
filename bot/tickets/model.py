"""What the bot asks of a tracker, and what it gets back: drafts in, tickets out."""

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

MARKER = re.compile(r"^[A-Za-z0-9_.:@-]{1,200}$")


@dataclass(frozen=True)
class Ticket:
    """An issue in the tracker. `key`: GitHub's issue number (as text, `"123"`) or Jira's
    key (`"OPS-7"`); `url`: where a person opens it."""

    key: str
    url: str
    closed: bool


def ticket_label(key: str) -> str:
    """How a ticket is named where it is shown: `#123` on GitHub, `OPS-7` on Jira."""
    return f"#{key}" if key.isdigit() else key


@dataclass(frozen=True)
class Draft:
    """A ticket to open. `marker` names it for good, across restarts, so a create whose
    answer was lost can be looked for (`find`) before it is sent again; it must be one word
    of letters, digits and `-_.:@` (it becomes a Jira label)."""

    marker: str
    title: str
    body: str
    due: date | None = None
    labels: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if not MARKER.match(self.marker):
            raise ValueError(f"`{self.marker}` is not a ticket marker (letters, digits, -_.:@)")


class Tracker(Protocol):
    """One tracker's tickets. Every call raises `Busy` (try again later; `maybe_applied`
    when it may have been carried out) or `Refused` (will never be taken as it is)."""

    name: str

    async def create(self, draft: Draft) -> Ticket: ...

    async def find(self, marker: str) -> Ticket | None: ...

    async def close(self, key: str) -> Ticket: ...

    async def reopen(self, key: str) -> Ticket: ...

    async def set_due(self, key: str, due: date | None) -> None: ...

    async def aclose(self) -> None: ...
