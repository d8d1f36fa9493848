"""The handoff message: where things stand, for the commander taking over."""

from dataclasses import dataclass
from datetime import datetime

from bot.domain.notices.base import ChannelLine


@dataclass(frozen=True)
class OpenStep:
    runbook: str
    number: int
    title: str
    state: str


@dataclass(frozen=True)
class LiveAccess:
    ref: str
    what: str
    requester: str
    expires: datetime


@dataclass(frozen=True)
class OpenAction:
    number: int
    text: str
    owner: str | None


@dataclass(frozen=True)
class LastUpdate:
    at: datetime
    text: str


@dataclass(frozen=True, kw_only=True)
class Handoff(ChannelLine):
    KIND = "handoff"
    user: str
    previous: str | None
    commander: str
    notes: str
    status: str
    severity: str
    # (role, holder) in the order the summary shows them.
    roles: list[tuple[str, str]]
    steps: list[OpenStep]
    access: list[LiveAccess]
    actions: list[OpenAction]
    last_update: LastUpdate | None
