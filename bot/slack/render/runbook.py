"""A runbook's steps as messages with buttons, split so that each message always fits."""

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta

from bot.domain.durations import format_duration
from bot.domain.notices import PostCheck
from bot.domain.runbook_progress import ABORT_REASON_LIMIT, Abort, StepState
from bot.runbooks.copies import RunbookView, StepView
from bot.runbooks.format import Runbook
from bot.slack import ids
from bot.slack.render.text import (
    FIELD_LIMIT,
    HEADER_LIMIT,
    SECTION_TEXT_LIMIT,
    button,
    cut,
    escape,
    hhmm,
    name,
    section,
    sections,
    split_text,
)

STEP_BADGE = {"pending": ":white_circle: pending", "started": ":arrow_forward: started",
              "done": ":white_check_mark: done", "failed": ":x: failed",
              "skipped": ":fast_forward: skipped"}
STEP_TEXT_LIMIT = 1800


RUNBOOK_MESSAGE_BLOCKS = 50
# Characters of blocks in one runbook message; Slack refuses a message past about 13,200.
RUNBOOK_MESSAGE_BUDGET = 12_000
# Scope, prerequisites, rollback and escalation are shown up to this, like a step's text:
# the file has the rest.
CONTEXT_TEXT_LIMIT = 1800
_WORST_BY = "U" * 11
_WORST_AT = datetime(2000, 1, 1, tzinfo=UTC)
_WORST_STATE = StepState("skipped", _WORST_BY, _WORST_AT)
_WORST_NAMES = {_WORST_BY: "w" * 80}
_WORST_ABORT = Abort(_WORST_BY, _WORST_AT, "&" * ABORT_REASON_LIMIT)


_PARTS: dict[tuple[int, str], list[list[int]]] = {}


def runbook_parts(view: RunbookView) -> list[list[int]]:
    """The step numbers each message of a runbook shows: as many as fit one message whatever
    state the steps and the runbook reach (running or aborted, fresh or stale). The copy
    alone decides, so a step always stays in its message, and each copy is measured once."""
    key = (view.attached.id, view.attached.sha256)
    if key not in _PARTS:
        _PARTS[key] = _measure_parts(view)
    return _PARTS[key]


def _cost(blocks: list[dict]) -> tuple[int, int]:
    """Blocks, and characters they take in the message's JSON."""
    return len(blocks), sum(len(json.dumps(block)) + 2 for block in blocks)


def _frame(view: RunbookView, part: int) -> list[tuple[int, int]]:
    """What a message takes besides its steps, at worst: running, and aborted."""
    def head(aborted: Abort | None) -> list[dict]:
        return _runbook_head(view, part, title=_runbook_title(view.runbook, 98, 99),
                             progress="99/99 steps done", names=_WORST_NAMES,
                             tested=_tested(_WORST_AT.date(), timedelta.max), aborted=aborted)

    return [_cost(head(None) + [_abort_row(view.attached.id)]), _cost(head(_WORST_ABORT))]


def _plus(costs: list[tuple[int, int]], more: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(blocks + b, size + s) for (blocks, size), (b, s) in zip(costs, more, strict=True)]


def _measure_parts(view: RunbookView) -> list[list[int]]:
    parts: list[list[int]] = [[]]
    taken = _frame(view, 0)
    for item in view.steps:
        worst = StepView(item.step, _WORST_STATE)
        # Running, a step shows its buttons; aborted, it does not.
        costs = [_cost(_step_blocks(view.attached.id, worst, view.runbook.path, _WORST_NAMES,
                                    live=live)) for live in (True, False)]
        if parts[-1] and any(blocks > RUNBOOK_MESSAGE_BLOCKS or size > RUNBOOK_MESSAGE_BUDGET
                             for blocks, size in _plus(taken, costs)):
            parts.append([])
            taken = _frame(view, len(parts) - 1)
        parts[-1].append(item.step.number)
        taken = _plus(taken, costs)
    return parts


def part_of_step(view: RunbookView, number: int) -> int:
    return next(n for n, numbers in enumerate(runbook_parts(view)) if number in numbers)


def runbook_message(view: RunbookView, part: int, names: Mapping[str, str], *, today: date,
                    stale_after: timedelta, aborted: Abort | None = None
                    ) -> tuple[str, list[dict]]:
    """One message of a runbook's steps: a section, buttons and a status line per step. The
    first message also says what the runbook is for, what it needs, whose it is, when it was
    last tested (flagged when that is longer ago than `stale_after` on `today`), how to undo
    its risky steps and how to escalate. Aborted, a runbook shows who stopped it and why, and
    no buttons; completed, no **Abort runbook**."""
    runbook, attached = view.runbook, view.attached
    parts = runbook_parts(view)
    shown = [item for item in view.steps if item.step.number in parts[part]]
    done = sum(1 for item in shown if item.state.status in ("done", "skipped"))
    title = _runbook_title(runbook, part, len(parts))
    tested = _tested(runbook.last_tested,
                     stale_after if runbook.stale(today, stale_after) else None)
    blocks = _runbook_head(view, part, title=title, progress=f"{done}/{len(shown)} steps done",
                           names=names, tested=tested, aborted=aborted)
    for item in shown:
        blocks += _step_blocks(attached.id, item, runbook.path, names, live=aborted is None)
    # A run every step of which is done or skipped is over: nothing is left to abort.
    complete = all(item.state.status in ("done", "skipped") for item in view.steps)
    if aborted is None and not complete:
        blocks.append(_abort_row(attached.id))
    return cut(title, SECTION_TEXT_LIMIT), blocks


def _runbook_title(runbook: Runbook, part: int, parts: int) -> str:
    return f"{runbook.id} · {runbook.title}" + (f" ({part + 1}/{parts})" if parts > 1 else "")


def _tested(last: date | None, stale_after: timedelta | None) -> str:
    """When the runbook was last tested; `stale_after` is given when that is too long ago."""
    if last is None:
        return ":warning: never tested"
    if stale_after is None:
        return f"Last tested {last.isoformat()}"
    days = stale_after.days
    age = f"{days} day{'s' if days != 1 else ''}" if stale_after == timedelta(days=days) \
        else format_duration(stale_after)
    return f":warning: last tested {last.isoformat()}, over {age} ago"


def _runbook_head(view: RunbookView, part: int, *, title: str, progress: str,
                  names: Mapping[str, str], tested: str, aborted: Abort | None) -> list[dict]:
    runbook = view.runbook
    facts = [progress]
    if part == 0:
        facts += [f"Owner: {escape(runbook.owner)}" if runbook.owner else ":warning: no owner",
                  tested]
        if not runbook.escalation:
            facts.append(":warning: no escalation path")
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": cut(title, HEADER_LIMIT)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(fact, FIELD_LIMIT)}
                                         for fact in facts]},
    ]
    if aborted is not None:
        who = name(names, aborted.by)
        blocks += sections(f":octagonal_sign: *Aborted* by {who} at {hhmm(aborted.at)}: "
                           f"{escape(aborted.reason)}")
    if part == 0:
        for heading, text in (("Scope", runbook.scope), ("Prerequisites", runbook.prerequisites),
                              ("Rollback", runbook.rollback), ("Escalation", runbook.escalation)):
            if text:
                blocks.append(section(_runbook_text(heading, text, runbook.path)))
    return blocks


def _runbook_text(heading: str, text: str, path: str) -> str:
    shown = split_text(escape(text), CONTEXT_TEXT_LIMIT)
    more = f"…\n_Full {heading.lower()} in `{escape(path)}`_" if len(shown) > 1 else ""
    return f"*{heading}*\n{shown[0]}{more}"


def _abort_row(attached_id: int) -> dict:
    return {"type": "actions", "block_id": ids.runbook_controls_block(attached_id), "elements": [
        button("Abort runbook", ids.abort_action(attached_id), str(attached_id), "danger")]}


def _step_blocks(attached_id: int, item: StepView, path: str, names: Mapping[str, str], *,
                 live: bool) -> list[dict]:
    step, state = item.step, item.state
    risk = {"high": " :warning: *HIGH RISK*", "medium": " · medium risk"}.get(step.risk, "")
    body = [f"*Step {step.number}: {escape(step.title)}*{risk}"]
    if step.text:
        body.append(escape(step.text))
    body += [f"```{escape(command)}```" for command in step.commands]
    body += [f":ballot_box_with_check: {escape(item)}" for item in step.verification]
    text = "\n".join(body)
    if len(text) > STEP_TEXT_LIMIT:
        text = text[:STEP_TEXT_LIMIT] + f"…\n_Full step in `{escape(path)}`_"

    def action(click: str) -> str:
        return ids.step_action(attached_id, step.number, click)

    def block(part: str) -> str:
        return ids.step_block(attached_id, step.number, part)

    buttons = [button("Start", action("started"), "started"),
               button("Done", action("done"), "done", "primary"),
               button("Failed", action("failed"), "failed", "danger"),
               button("Skip", action("skipped"), "skipped")]
    if step.check:
        buttons += [button("Run check", action("check"), step.check),
                    button("Capture snapshot", action("snapshot"), step.check)]
    if step.risk == "high":
        buttons.append(button("Request access", action("access"), "access"))
    status = STEP_BADGE[state.status]
    if state.by and state.at:
        status += f" by {name(names, state.by)} at {hhmm(state.at)}"
    return [
        {"type": "section", "block_id": block("text"), "text": {"type": "mrkdwn", "text": text}},
        *([{"type": "actions", "block_id": block("buttons"), "elements": buttons}] if live else []),
        {"type": "context", "block_id": block("status"),
         "elements": [{"type": "mrkdwn", "text": status}]},
        {"type": "divider"},
    ]


def check_output(said: PostCheck, names: Mapping[str, str]) -> str:
    who = name(names, said.user)
    kind = ":camera: *Snapshot*" if said.snapshot else ":satellite: *Live check*"
    outcome = "ok" if said.ok else "failed"
    note = f" ({escape(said.note)})" if said.note else ""
    output = escape(said.output) or "(no output)"
    return cut(f"{kind} `{escape(said.check)}` for step {said.step}, run by {who}, "
               f"captured {hhmm(said.at)}: {outcome}{note}\n```{output}```", SECTION_TEXT_LIMIT)
