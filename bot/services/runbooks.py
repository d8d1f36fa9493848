"""Runbook use cases: attach a copy, mark steps, abort, run checks and keep snapshots."""

from datetime import timedelta

from bot.domain import notices
from bot.domain.access import AccessRequest
from bot.domain.authz import Action
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.runbook_progress import (
    ABORT_REASON_LIMIT,
    ABORTED,
    COMPLETED,
    FAILURE_REASON_LIMIT,
    REOPENED,
    AttachedRunbook,
    aborts,
    check_reason,
    completion_turn,
    completions,
    ensure_running,
    step_key,
    step_states,
)
from bot.domain.timeline import TimelineEvent
from bot.runbooks.checks import CheckResult, run_check
from bot.runbooks.copies import runbook_of
from bot.runbooks.format import Runbook, Step
from bot.runbooks.library import Library
from bot.services import access
from bot.services.authz import permit
from bot.services.caller import Caller
from bot.services.context import event, incident_command
from bot.storage.store import Store, Tx


async def attach(tx: Tx, incident: Incident, runbook: Runbook, by: str,
                 refresh: bool = True) -> AttachedRunbook | None:
    """Keep a copy and post its steps. `refresh=False` at declare: the summary is not out yet."""
    attached = await tx.attach_runbook(AttachedRunbook(
        id=0, incident_id=incident.id, runbook_id=runbook.id, path=runbook.path,
        source=runbook.source, sha256=runbook.sha256, attached_at=tx.now, attached_by=by))
    if attached is None:
        return None
    await tx.append(event(tx, incident, by, "runbook_attached",
                          f"{runbook.id} {runbook.title} (sha256 {runbook.sha256[:12]})",
                          runbook=runbook.id, sha256=runbook.sha256))
    tx.notify(notices.PostRunbook(incident_id=incident.id, attached=attached.id))
    if refresh:
        tx.notify(notices.RefreshSummary(incident_id=incident.id))
    return attached


async def attach_named(store: Store, *, caller: Caller, library: Library, query: str) -> Runbook:
    runbook = library.find(query)
    if runbook is None:
        close = library.suggest(query)
        hint = (" Did you mean: " + ", ".join(f"`{r.id}` {r.title}" for r in close) + "?") \
            if close else " `/incident runbook` with no name lists them."
        raise IncidentError(f"No runbook called '{query}'.{hint}")
    async with incident_command(store, caller) as (tx, incident):
        await permit(tx, caller, Action.RUNBOOK, incident, runbook=runbook.id)
        if await attach(tx, incident, runbook, caller.user_id) is None:
            raise IncidentError(f"{runbook.id} is already attached to {incident.ref}.")
    return runbook


async def _attached(tx: Tx, incident: Incident, attached_id: int) -> tuple[AttachedRunbook, Runbook]:
    attached = next((a for a in await tx.attached_runbooks(incident.id) if a.id == attached_id), None)
    if attached is None:
        raise IncidentError("That runbook is not attached to this incident.")
    return attached, runbook_of(attached)


async def _step(tx: Tx, incident: Incident, attached_id: int, number: int
                ) -> tuple[AttachedRunbook, Runbook, Step, list[TimelineEvent]]:
    """The step a button names, while its runbook runs; with the timeline it was judged on."""
    attached, runbook = await _attached(tx, incident, attached_id)
    step = runbook.step(number)
    if step is None:
        raise IncidentError(f"{runbook.id} has no step {number}.")
    events = await tx.events(incident.id)
    ensure_running(runbook.id, events)
    return attached, runbook, step, events


def _ensure_open(incident: Incident) -> None:
    if not incident.status.is_open:
        raise IncidentError(f"{incident.ref} is {incident.status}; its runbook steps are closed.")


async def _markable(tx: Tx, incident: Incident, attached_id: int, number: int, status: str
                    ) -> tuple[AttachedRunbook, Runbook, Step, list[TimelineEvent]]:
    _ensure_open(incident)
    attached, runbook, step, events = await _step(tx, incident, attached_id, number)
    key = step_key(runbook.id, number)
    current = step_states(events).get(key)
    if current and current.status == status:
        raise IncidentError(f"Step {number} is already {status}.")
    if status == "done" and step.risk == "high" and not await access.step_unlocked(tx, incident.id, key):
        raise IncidentError(
            f"Step {number} ({step.title}) is high risk: it can be marked Done only while an "
            f"approved access request for it is active. Use *Request access* on the step, "
            f"then ask an approver.")
    return attached, runbook, step, events


async def mark_step(store: Store, *, caller: Caller, attached_id: int, number: int,
                    status: str, reason: str = "") -> str:
    """Record a step's new status; returns the step's key. Refusals explain themselves.
    A failure is said in the channel with the runbook's escalation path, and its reason
    when one was given."""
    async with incident_command(store, caller) as (tx, incident):
        attached, runbook, step, events = await _markable(tx, incident, attached_id, number,
                                                          status)
        key = step_key(runbook.id, number)
        await permit(tx, caller, Action.STEP, incident, runbook=runbook.id, step=number,
                     status=status, risk=step.risk)
        details = f"{runbook.id} step {number}: {step.title}"
        facts = {}
        if status == "failed" and reason:
            facts["reason"] = reason = check_reason(reason, FAILURE_REASON_LIMIT)
            details += f"; reason: {reason}"
        marked = await tx.append(event(tx, incident, caller.user_id, f"step_{status}", details,
                                       step=key, **facts))
        await _turn_completion(tx, incident, caller.user_id, runbook, number, status,
                               [*events, marked])
        tx.notify(notices.RefreshRunbook(incident_id=incident.id, attached=attached.id,
                                         step=number))
        if status == "failed":
            tx.notify(notices.StepFailed(
                incident_id=incident.id, user=caller.user_id, runbook=runbook.id,
                number=number, title=step.title, reason=reason, escalation=runbook.escalation))
        return key


async def _turn_completion(tx: Tx, incident: Incident, by: str, runbook: Runbook, number: int,
                           status: str, events: list[TimelineEvent]) -> None:
    """The click that leaves every step done or skipped completes the run; one that sets a
    step of a completed run back reopens it, so nothing says complete while a step is not."""
    turn = completion_turn(runbook.id, [s.number for s in runbook.steps], events)
    if turn == COMPLETED:
        await tx.append(event(tx, incident, by, COMPLETED,
                              f"{runbook.id} {runbook.title}: all {len(runbook.steps)} steps "
                              f"done or skipped", runbook=runbook.id))
    elif turn == REOPENED:
        await tx.append(event(tx, incident, by, REOPENED,
                              f"{runbook.id} {runbook.title}: step {number} set back to {status}",
                              runbook=runbook.id, number=number, to=status))
    if turn is not None:
        tx.notify(notices.RefreshSummary(incident_id=incident.id))


async def step_to_fail(store: Store, *, caller: Caller, attached_id: int, number: int
                       ) -> tuple[Runbook, Step]:
    """The step a Failed click names, if it may be marked failed: asked before the reason is."""
    async with store.reading() as tx:
        incident = await _incident(tx, caller)
        _, runbook, step, _ = await _markable(tx, incident, attached_id, number, "failed")
    return runbook, step


async def _incident(tx: Tx, caller: Caller) -> Incident:
    incident = await tx.incident_by_channel(caller.channel_id)
    if incident is None:
        raise IncidentError("This is not an incident channel.")
    return incident


async def _abortable(tx: Tx, incident: Incident, attached_id: int) -> tuple[AttachedRunbook, Runbook]:
    _ensure_open(incident)
    attached, runbook = await _attached(tx, incident, attached_id)
    events = await tx.events(incident.id)
    abort = aborts(events).get(runbook.id)
    if abort is not None:
        raise IncidentError(f"{runbook.id} was already aborted: {abort.reason}")
    done = completions(events).get(runbook.id)
    if done is not None and done.completed:
        # A run ends once: completed or aborted. To stop it after all, set a step back first.
        raise IncidentError(f"{runbook.id} is completed: every step is done or skipped, so "
                            f"there is nothing to abort.")
    return attached, runbook


async def runbook_to_abort(store: Store, *, caller: Caller, attached_id: int) -> Runbook:
    """The runbook an Abort click names, if it may be aborted: asked before the reason is."""
    async with store.reading() as tx:
        _, runbook = await _abortable(tx, await _incident(tx, caller), attached_id)
    return runbook


async def abort(store: Store, *, caller: Caller, attached_id: int, reason: str) -> Runbook:
    """Stop a runbook for good, with the reason: its steps can no longer be marked."""
    async with incident_command(store, caller) as (tx, incident):
        attached, runbook = await _abortable(tx, incident, attached_id)
        await permit(tx, caller, Action.RUNBOOK, incident, runbook=runbook.id, abort=True)
        reason = check_reason(reason, ABORT_REASON_LIMIT)
        await tx.append(event(tx, incident, caller.user_id, ABORTED,
                              f"{runbook.id} {runbook.title}: {reason}",
                              runbook=runbook.id, reason=reason))
        tx.notify(notices.RefreshRunbook(incident_id=incident.id, attached=attached.id))
        tx.notify(notices.RunbookAborted(incident_id=incident.id, user=caller.user_id,
                                         runbook=runbook.id, title=runbook.title, reason=reason))
    return runbook


async def request_step_access(store: Store, *, caller: Caller, attached_id: int,
                              number: int, policy: Policy) -> AccessRequest:
    async with store.transaction() as tx:
        _, runbook, step, _ = await _step(tx, await _incident(tx, caller), attached_id, number)
    return await access.request_access(
        store, caller=caller, what=f"{runbook.id} step {number}: {step.title}",
        duration=timedelta(hours=1), reason="high-risk runbook step",
        step=step_key(runbook.id, number), risk=step.risk, policy=policy)


async def check(store: Store, *, caller: Caller, attached_id: int, number: int, snapshot: bool,
                allow_commands: bool) -> CheckResult:
    """Run the step's declared check; a snapshot is kept, immutable, on the timeline."""
    async with store.transaction() as tx:
        incident = await _incident(tx, caller)
        attached, runbook, step, _ = await _step(tx, incident, attached_id, number)
        # Asked before the check runs: running it is the action.
        await permit(tx, caller, Action.STEP, incident, runbook=runbook.id, step=number,
                     status="snapshot" if snapshot else "check", risk=step.risk)
    if not step.check:
        raise IncidentError(f"Step {number} declares no check.")
    result = await run_check(runbook.checks[step.check], allow_commands=allow_commands)
    async with incident_command(store, caller) as (tx, incident):
        captured = tx.now
        if snapshot:
            await tx.append(event(
                tx, incident, caller.user_id, "snapshot",
                f"{step.check}: {result.note or 'ok'}", step=step_key(runbook.id, number),
                check=step.check, output=result.output, ok=result.ok, note=result.note))
        tx.notify(notices.PostCheck(
            incident_id=incident.id, attached=attached.id, check=step.check, step=number,
            user=caller.user_id, snapshot=snapshot, output=result.shown, ok=result.ok,
            note=result.note, at=captured))
    return result
