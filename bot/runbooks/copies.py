"""An incident's attached runbooks, rebuilt from the copies it keeps, and how far along they are."""

from dataclasses import dataclass
from functools import lru_cache

from bot.domain.incident import IncidentRecord
from bot.domain.runbook_progress import AttachedRunbook, StepState, step_key, step_states
from bot.runbooks.format import Runbook, Step
from bot.runbooks.parse import parse_runbook


@lru_cache(maxsize=256)
def _parse(source: str, path: str) -> Runbook:
    runbook, problems = parse_runbook(source, path)
    if runbook is None:  # copies were valid when attached; the parser may have grown stricter
        raise ValueError(f"stored runbook copy no longer parses: {problems[0]}")
    return runbook


def runbook_of(attached: AttachedRunbook) -> Runbook:
    """Rebuilt from the incident's own copy, never from the file."""
    return _parse(attached.source, attached.path)


@dataclass
class StepView:
    step: Step
    state: StepState


@dataclass
class RunbookView:
    attached: AttachedRunbook
    runbook: Runbook
    steps: list[StepView]


def runbook_views(record: IncidentRecord) -> list[RunbookView]:
    states = step_states(record.events)
    views = []
    for attached in record.runbooks:
        runbook = runbook_of(attached)
        views.append(RunbookView(attached, runbook, [
            StepView(step, states.get(step_key(runbook.id, step.number), StepState()))
            for step in runbook.steps]))
    return views
