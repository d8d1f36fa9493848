"""The export's ## Runbook says where each run ended: completed by the click that made every
step done or skipped, or reopened by the step set back after it. The line is rendered again
from the carried events, so a postmortem doctored to say a run completed fails `verify`."""

import asyncio
from pathlib import Path

import pytest

from bot.domain.errors import IncidentError
from bot.export.render import Renderer
from bot.export.verify import check_export
from bot.runbooks.parse import parse_runbook
from bot.services import incidents, records, runbooks
from bot.services.context import event
from bot.services.exporter import Exporter
from bot.storage.store import Store
from tests.export.test_export import POLICY, by
from tests.support.clock import ManualClock

CHANNEL = "C0INC1"
RUNBOOK = """---
id: RUN-078
title: Consumer restart
match: [queue-*]
---
## Procedure
### Step 1: Pause the producers
risk: low
### Step 2: Restart consumers
risk: medium
"""


async def running(store: Store) -> int:
    """A declared incident with RUN-078 attached; the attachment's id."""
    runbook, problems = parse_runbook(RUNBOOK, "runbooks/consumer-restart.md")
    assert runbook is not None, problems
    incident = await incidents.declare(store, caller=by("U1", "alice", "C0OPS"), severity=2,
                                       slug="queue-stall", title="Orders queue stalled",
                                       policy=POLICY, runbooks=[runbook])
    async with store.transaction() as tx:
        opened = await tx.incident(incident.id, lock=True)
        opened.channel_id, opened.channel_name = CHANNEL, "inc-1-queue-stall"
        await tx.save_incident(opened)
        return (await tx.attached_runbooks(incident.id))[0].id


async def mark(store: Store, attached: int, user: tuple[str, str], number: int, status: str) -> None:
    await runbooks.mark_step(store, caller=by(*user, CHANNEL), attached_id=attached,
                             number=number, status=status)


def section(text: str) -> list[str]:
    return text[text.index("## Runbook"):text.index("## Snapshots")].strip().split("\n")


async def test_the_click_that_ends_the_last_step_completes_the_run(store, clock, tmp_path):
    attached = await running(store)
    clock.advance(minutes=3)
    await mark(store, attached, ("U2", "bob"), 1, "done")
    clock.advance(minutes=4)
    await mark(store, attached, ("U3", "carol"), 2, "skipped")
    exporter = Exporter(export_dir=tmp_path, renderer=Renderer())
    text = (await records.export_again(store, exporter, 1)).path.read_text()
    assert section(text)[-3:] == [
        "- Step 2: Restart consumers (medium risk): **skipped** by carol at 14:37",
        "",
        "**Completed** at 14:37 by carol: every step done or skipped"]
    assert "| 14:37 | - | runbook_completed | RUN-078 Consumer restart: all 2 steps done or " \
           "skipped | carol |" in text
    assert check_export(text).line is None


async def test_a_step_set_back_after_completion_shows_the_run_reopened(store, clock, tmp_path):
    attached = await running(store)
    await mark(store, attached, ("U2", "bob"), 1, "done")
    await mark(store, attached, ("U2", "bob"), 2, "done")
    clock.advance(minutes=10)
    await mark(store, attached, ("U3", "carol"), 2, "failed")
    exporter = Exporter(export_dir=tmp_path, renderer=Renderer())
    text = (await records.export_again(store, exporter, 1)).path.read_text()
    assert section(text)[-1] == "**Reopened** at 14:40 by carol: step 2 set back to failed"
    assert check_export(text).line is None
    # Reopened is not done: the run can be stopped now, as any run still going.
    await runbooks.abort(store, caller=by("U3", "carol", CHANNEL), attached_id=attached,
                         reason="restarting does not help")


async def test_a_completed_run_is_not_aborted(store, clock):
    attached = await running(store)
    await mark(store, attached, ("U2", "bob"), 1, "skipped")
    await mark(store, attached, ("U2", "bob"), 2, "done")
    with pytest.raises(IncidentError, match="RUN-078 is completed"):
        await runbooks.abort(store, caller=by("U2", "bob", CHANNEL), attached_id=attached,
                             reason="done anyway")


@pytest.fixture
def half_done(database_url, tmp_path) -> Path:
    """An export of a run with one of its two steps done: not complete."""

    async def write() -> Path:
        clock = ManualClock()
        store = Store.from_url(database_url, clock=clock.now)
        attached = await running(store)
        await mark(store, attached, ("U2", "bob"), 1, "done")
        await mark(store, attached, ("U2", "bob"), 2, "started")
        path = (await records.export_again(
            store, Exporter(export_dir=tmp_path, renderer=Renderer()), 1)).path
        await store.close()
        return path

    return asyncio.run(write())


def test_a_postmortem_doctored_to_say_the_run_completed_fails_verify(half_done):
    text = half_done.read_text()
    step = "- Step 2: Restart consumers (medium risk): **started** by bob at 14:30"
    assert step in text and "**Completed**" not in text
    forged = text.replace(step, f"{step}\n\n**Completed** at 14:30 by bob: every step done or "
                                "skipped")
    found = check_export(forged)
    assert found.line == forged.split("\n").index(step) + 3  # past the step and a blank line
    assert found.problem == ("expected `## Snapshots`, found `**Completed** at 14:30 by bob: "
                             "every step done or skipped`")


async def test_a_completion_its_steps_do_not_back_is_caught_even_with_its_chain_rebuilt(
        store, clock, tmp_path):
    """Anyone can rehash a chain: the events are also held to the runbook copy they carry."""
    attached = await running(store)
    await mark(store, attached, ("U2", "bob"), 1, "done")
    async with store.transaction() as tx:
        incident = await tx.incident(1, lock=True)
        assert incident is not None
        await tx.append(event(tx, incident, "U2", "runbook_completed",
                              "RUN-078 Consumer restart: all 2 steps done or skipped",
                              runbook="RUN-078"))
    exporter = Exporter(export_dir=tmp_path, renderer=Renderer())
    text = (await records.export_again(store, exporter, 1)).path.read_text()
    found = check_export(text)
    assert found.problem == ("event 4 says runbook_completed for RUN-078, but its steps as "
                             "carried and marked before it do not make it so")
    assert text.split("\n")[found.line - 1].startswith('{"names":')
