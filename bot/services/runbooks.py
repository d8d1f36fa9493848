"""Runbook use cases: attach a copy, mark steps, run checks and keep snapshots."""

from datetime import timedelta

from bot.domain import notices
from bot.domain.access import AccessRequest
from bot.domain.errors import IncidentError
from bot.domain.incident import Incident
from bot.domain.policy import Policy
from bot.domain.runbook_progress import AttachedRunbook, step_key, step_states
from bot.runbooks.checks import CheckResult, run_check
from bot.runbooks.copies import runbook_of
from bot.runbooks.format import Runbook, Step
from bot.runbooks.library import Library
from bot.services import access
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
    tx.notify(notices.Notice("post_runbook", notices.incident_lane(incident.id),
                             {"attached": attached.id}))
    if refresh:
        tx.notify(notices.refresh_summary(incident.id))
    return attached


async def attach_named(store: Store, *, caller: Caller, library: Library, query: str) -> Runbook:
    runbook = library.find(query)
    if runbook is None:
        close = library.suggest(query)
        hint = (" Did you mean: " + ", ".join(f"`{r.id}` {r.title}" for r in close) + "?") \
            if close else " `/incident runbook` with no name lists them."
        raise IncidentError(f"No runbook called '{query}'.{hint}")
    async with incident_command(store, caller) as (tx, incident):
        if await attach(tx, incident, runbook, caller.user_id) is None:
            raise IncidentError(f"{runbook.id} is already attached to {incident.ref}.")
    return runbook


async def _step(tx: Tx, incident: Incident, attached_id: int, number: int
                ) -> tuple[AttachedRunbook, Runbook, Step]:
    attached = next((a for a in await tx.attached_runbooks(incident.id) if a.id == attached_id), None)
    if attached is None:
        raise IncidentError("That runbook is not attached to this incident.")
    runbook = runbook_of(attached)
    step = runbook.step(number)
    if step is None:
        raise IncidentError(f"{runbook.id} has no step {number}.")
    return attached, runbook, step


async def mark_step(store: Store, *, caller: Caller, attached_id: int, number: int,
                    status: str) -> str:
    """Record a step's new status; returns the step's key. Refusals explain themselves."""
    async with incident_command(store, caller) as (tx, incident):
        if not incident.status.is_open:
            raise IncidentError(f"{incident.ref} is {incident.status}; its runbook steps are closed.")
        attached, runbook, step = await _step(tx, incident, attached_id, number)
        key = step_key(runbook.id, number)
        current = step_states(await tx.events(incident.id)).get(key)
        if current and current.status == status:
            raise IncidentError(f"Step {number} is already {status}.")
        if status == "done" and step.risk == "high" and not await access.step_unlocked(tx, incident.id, key):
            raise IncidentError(
                f"Step {number} ({step.title}) is high risk: it can be marked Done only while an "
                f"approved access request for it is active. Use *Request access* on the step, "
                f"then ask an approver.")
        await tx.append(event(tx, incident, caller.user_id, f"step_{status}",
                              f"{runbook.id} step {number}: {step.title}", step=key))
        tx.notify(notices.refresh_runbook(incident.id, attached.id, number))
        return key


async def request_step_access(store: Store, *, caller: Caller, attached_id: int,
                              number: int, policy: Policy) -> AccessRequest:
    async with store.transaction() as tx:
        incident = await tx.incident_by_channel(caller.channel_id)
        if incident is None:
            raise IncidentError("This is not an incident channel.")
        _, runbook, step = await _step(tx, incident, attached_id, number)
    return await access.request_access(
        store, caller=caller, what=f"{runbook.id} step {number}: {step.title}",
        duration=timedelta(hours=1), reason="high-risk runbook step",
        step=step_key(runbook.id, number), policy=policy)


async def check(store: Store, *, caller: Caller, attached_id: int, number: int, snapshot: bool,
                allow_commands: bool) -> CheckResult:
    """Run the step's declared check; a snapshot is kept, immutable, on the timeline."""
    async with store.transaction() as tx:
        incident = await tx.incident_by_channel(caller.channel_id)
        if incident is None:
            raise IncidentError("This is not an incident channel.")
        attached, runbook, step = await _step(tx, incident, attached_id, number)
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
        tx.notify(notices.Notice("post_check", notices.incident_lane(incident.id), {
            "attached": attached.id, "check": step.check,
            "step": number, "user": caller.user_id, "snapshot": snapshot,
            "output": result.shown, "ok": result.ok, "note": result.note,
            "at": captured.isoformat()}))
    return result
