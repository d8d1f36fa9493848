"""Where each runbook step stands, derived from the timeline (the record is the events)."""

from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.timeline import TimelineEvent

STEP_ACTIONS = {"step_started": "started", "step_done": "done", "step_failed": "failed",
                "step_skipped": "skipped"}


def step_key(runbook_id: str, number: int) -> str:
    return f"{runbook_id}#{number}"


@dataclass
class StepState:
    status: str = "pending"
    by: str | None = None
    at: datetime | None = None


@dataclass
class AttachedRunbook:
    id: int
    incident_id: int
    runbook_id: str
    path: str
    source: str
    sha256: str
    attached_at: datetime
    attached_by: str
    message_ts: list[str] = field(default_factory=list)


def step_states(events: list[TimelineEvent]) -> dict[str, StepState]:
    states: dict[str, StepState] = {}
    for event in events:
        if event.action in STEP_ACTIONS and event.step:
            states[event.step] = StepState(STEP_ACTIONS[event.action], event.actor_id, event.at)
    return states
