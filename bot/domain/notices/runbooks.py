"""Runbooks attached to an incident: their messages, step outcomes, checks."""

from dataclasses import dataclass
from datetime import datetime

from bot.domain.notices.base import ChannelLine, IncidentNotice


@dataclass(frozen=True, kw_only=True)
class PostRunbook(IncidentNotice):
    KIND = "post_runbook"
    attached: int


@dataclass(frozen=True, kw_only=True)
class RefreshRunbook(IncidentNotice):
    """The message(s) showing a step of an attached runbook; every step when `step` is None."""

    KIND = "refresh_runbook"
    attached: int
    step: int | None = None

    @property
    def lane(self) -> str:
        return f"{super().lane}:runbook:{self.attached}"


@dataclass(frozen=True, kw_only=True)
class PostCheck(IncidentNotice):
    """A check's output, in the thread of the step's message."""

    KIND = "post_check"
    attached: int
    check: str
    step: int
    user: str
    # A snapshot is kept on the timeline; a live check is only shown.
    snapshot: bool
    output: str
    ok: bool
    note: str = ""
    at: datetime


@dataclass(frozen=True, kw_only=True)
class StepFailed(ChannelLine):
    KIND = "step_failed"
    user: str
    runbook: str
    number: int
    title: str
    reason: str | None = None
    escalation: str | None = None


@dataclass(frozen=True, kw_only=True)
class RunbookAborted(ChannelLine):
    KIND = "runbook_aborted"
    user: str
    runbook: str
    title: str
    reason: str
