"""Where each runbook step stands and whether its runbook still runs, derived from the timeline
(the record is the events)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.domain.errors import IncidentError
from bot.domain.timeline import TimelineEvent

STEP_ACTIONS = {"step_started": "started", "step_done": "done", "step_failed": "failed",
                "step_skipped": "skipped"}
ABORTED = "runbook_aborted"
COMPLETED = "runbook_completed"
# A step of a completed run set back (started or failed again): the run is not complete any
# more, and says so, until its steps are all done or skipped again.
REOPENED = "runbook_reopened"
ENDED = ("done", "skipped")
# Why a runbook was aborted is shown in every one of its messages, next to its steps: short
# enough to always fit Slack's limits there. A failure's reason is posted on its own.
ABORT_REASON_LIMIT = 300
FAILURE_REASON_LIMIT = 2000


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


@dataclass(frozen=True)
class Abort:
    by: str
    at: datetime
    reason: str


def aborts(events: list[TimelineEvent]) -> dict[str, Abort]:
    """The aborted runbooks of an incident, by runbook id (one attachment per runbook)."""
    return {event.data["runbook"]: Abort(event.actor_id, event.at, event.data.get("reason", ""))
            for event in events if event.action == ABORTED}


@dataclass(frozen=True)
class Completion:
    """The last time a run became complete, or stopped being so (`completed` False)."""
    completed: bool
    by: str
    at: datetime
    note: str  # what made it so, as the export says it


def completions(events: list[TimelineEvent]) -> dict[str, Completion]:
    """Where each run's completion stands, by runbook id; runs never complete are absent."""
    return {str(event.data["runbook"]): Completion(
        event.action == COMPLETED, event.actor_id, event.at,
        "every step done or skipped" if event.action == COMPLETED else
        f"step {event.data.get('number')} set back to {event.data.get('to')}")
        for event in events if event.action in (COMPLETED, REOPENED)}


def all_ended(runbook_id: str, numbers: Sequence[int], states: dict[str, StepState]) -> bool:
    """Every step done or skipped: the run is complete."""
    return all(states.get(step_key(runbook_id, n), StepState()).status in ENDED for n in numbers)


def completion_turn(runbook_id: str, numbers: Sequence[int], events: list[TimelineEvent]) -> str | None:
    """After a step mark (the last of `events`): COMPLETED when it leaves every step done or
    skipped and the run was not complete, REOPENED when it sets back a complete run, else
    None. Judged under the incident's lock, so of two racing clicks only one turns it."""
    standing = completions(events).get(runbook_id)
    was = standing is not None and standing.completed
    now = all_ended(runbook_id, numbers, step_states(events))
    if now and not was:
        return COMPLETED
    if was and not now:
        return REOPENED
    return None


def ensure_running(runbook_id: str, events: list[TimelineEvent]) -> None:
    """An aborted runbook is over: none of its steps, checks or access can be asked for."""
    abort = aborts(events).get(runbook_id)
    if abort is not None:
        raise IncidentError(f"{runbook_id} was aborted: {abort.reason}. Its steps are closed.")


def check_reason(reason: str, limit: int) -> str:
    reason = reason.strip()
    if not reason:
        raise IncidentError("Say why.")
    if len(reason) > limit:
        raise IncidentError(f"Keep the reason within {limit} characters (it has {len(reason)}).")
    return reason
