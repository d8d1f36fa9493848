"""`runbooks lint`: the problems that keep a file out, and warnings on runbooks that load."""

from datetime import date, timedelta
from pathlib import Path

from bot.domain.durations import format_duration
from bot.runbooks.format import Problem, Runbook
from bot.runbooks.library import Library
from bot.runbooks.parse import heading_line, key_line

# Past this a runbook is too long to follow under pressure; it wants splitting.
MAX_STEPS = 50


def warnings_of(runbook: Runbook, *, today: date, stale_after: timedelta) -> list[Problem]:
    """What a runbook that loads still lacks; each at its key, heading or step, else line 1."""
    lines = runbook.source.splitlines()
    found: list[Problem] = []

    def warn(line: int, message: str) -> None:
        found.append(Problem(runbook.path, line, message, warning=True))

    if not runbook.owner:
        warn(key_line(lines, "owner"), "'owner' is missing: name the team that keeps this runbook")
    if runbook.last_tested is None:
        warn(key_line(lines, "last_tested"), "'last_tested' is missing")
    elif runbook.stale(today, stale_after):
        warn(key_line(lines, "last_tested"), f"last tested {runbook.last_tested.isoformat()}, more "
             f"than {format_duration(stale_after)} ago (RUNBOOK_STALE_AFTER)")
    if not runbook.escalation:
        escalation = heading_line(lines, "Escalation")
        warn(escalation or 1, "the '## Escalation' section is empty" if escalation
             else "no '## Escalation' section")
    risky = next((step for step in runbook.steps if step.risk == "high"), None)
    if risky is not None and not runbook.rollback:
        # At the step, since that is where the author decides whether it can be undone.
        state = "the '## Rollback' section is empty" if heading_line(lines, "Rollback") \
            else "there is no '## Rollback' section"
        warn(risky.line, f"step {risky.number} is risk: high but {state}: say how to undo it")
    for step in runbook.steps:
        if not step.verification:
            warn(step.line, f"step {step.number} has no 'Verification:' checklist ('- [ ] …')")
    if len(runbook.steps) > MAX_STEPS:
        warn(runbook.steps[MAX_STEPS].line, f"{len(runbook.steps)} steps, more than {MAX_STEPS}: "
             "split the runbook")
    return sorted(found, key=lambda problem: problem.line)


def lint(directory: Path, *, today: date, stale_after: timedelta) -> tuple[Library, list[Problem]]:
    """The folder as `serve` loads it, and every problem and warning in file and line order."""
    library, problems = Library.load(directory)
    warnings = [warning for runbook in library.runbooks
                for warning in warnings_of(runbook, today=today, stale_after=stale_after)]
    return library, sorted(problems + warnings, key=lambda problem: (problem.path, problem.line))
