"""A runbook run completes when its last step is done or skipped: the timeline says so once,
the pinned summary and the export say so, and /metrics counts it. A step set back reopens the
run; an aborted run never completes."""

import asyncio
import copy

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.export.verify import check_export
from tests.slack.test_runbook_context import abort, abort_button, press, step_button
from tests.support.waiting import eventually
from tests.support.world import BOB, CAROL

RESTART = """---
id: RUN-401
title: Worker restart
match: [worker-*]
---
## Procedure
### Step 1: Drain the queue
risk: low
### Step 2: Restart the workers
risk: medium
### Step 3: Confirm throughput
risk: low
"""


async def test_two_last_clicks_at_once_complete_the_run_once(world):
    channel = await world.declare("sev2 worker-stuck")
    await click(world, channel, 1, "done")
    await recorded(world, "step_done")
    message = runbook_message(world, channel)
    # Steps 2 and 3 clicked by two people at the same moment: either may be the last.
    await asyncio.gather(press(world, channel, message, step_button(message, 2, "done"), user=BOB),
                         press(world, channel, message, step_button(message, 3, "skipped"),
                               user=CAROL))
    await recorded(world, "runbook_completed")
    await world.delivered()
    events = (await world.record()).events
    assert [e.action for e in events].count("runbook_completed") == 1
    completed = next(e for e in events if e.action == "runbook_completed")
    last = events[events.index(completed) - 1]
    assert last.action in ("step_done", "step_skipped") and completed.actor_id == last.actor_id
    assert "completed at" in summary_runbooks(world, channel)
    assert await runs(world) == {"completed": 1, "aborted": 0, "running": 0}


async def test_a_step_set_back_reopens_the_run_and_finishing_it_again_completes_it_again(world):
    channel = await world.declare("sev2 worker-stuck")
    for number in (1, 2, 3):
        await click(world, channel, number, "done")
        await recorded(world, "step_done", number)
    await recorded(world, "runbook_completed")
    assert "completed at" in summary_runbooks(world, channel)

    # Done or skipped, it stays complete: nothing more is recorded for the run.
    await click(world, channel, 2, "skipped")
    await recorded(world, "step_skipped", 2)

    # Throughput drops again: step 3 is started over, so the run is not complete any more.
    await click(world, channel, 3, "started")
    await recorded(world, "runbook_reopened")
    events = (await world.record()).events
    assert [e.action for e in events].count("runbook_completed") == 1
    reopened = next(e for e in events if e.action == "runbook_reopened")
    assert reopened.details == "RUN-401 Worker restart: step 3 set back to started"

    async def summary_reopened() -> bool:
        return summary_runbooks(world, channel) == "RUN-401 Worker restart (3 steps, below)"

    await settled(world, summary_reopened)
    assert await runs(world) == {"completed": 0, "aborted": 0, "running": 1}
    await click(world, channel, 3, "done")
    await recorded(world, "runbook_completed", count=2)
    actions = [e.action for e in (await world.record()).events if e.action.startswith("runbook_")]
    assert actions == ["runbook_attached", "runbook_completed", "runbook_reopened",
                       "runbook_completed"]

    await world.incident("resolve a worker pool leaked connections", channel=channel)
    await world.delivered()
    [export] = world.export_dir.glob("*.md")
    text = export.read_text()
    assert "**Completed** at " in text and "by bob: every step done or skipped" in text
    assert "**Reopened**" not in text  # the section says where the run ended; the timeline how
    assert check_export(text).line is None


async def test_an_aborted_run_never_completes_and_a_completed_run_cannot_be_aborted(world):
    channel = await world.declare("sev2 worker-stuck")
    await click(world, channel, 1, "done")
    await recorded(world, "step_done")
    stale = copy.deepcopy(runbook_message(world, channel))  # a screen not yet refreshed
    await abort(world, channel, stale, "wrong runbook: it is the cron")
    for number in (2, 3):
        await press(world, channel, stale, step_button(stale, number, "done"))

    async def refused_twice() -> bool:
        return len(world.slack.responses) == 2

    await settled(world, refused_twice)
    assert all("was aborted" in r["text"] for r in world.slack.responses)
    assert "runbook_completed" not in [e.action for e in (await world.record()).events]
    assert await runs(world) == {"completed": 0, "aborted": 1, "running": 0}

    second = await world.declare("sev3 worker-slow")
    for number in (1, 2, 3):
        if number == 3:
            stale = copy.deepcopy(runbook_message(world, second))
        await click(world, second, number, "skipped")
        await recorded(world, "step_skipped", number, incident=2)
    await recorded(world, "runbook_completed", incident=2)
    # Completed, the runbook shows no Abort; a screen from before the last click still does.
    message = runbook_message(world, second)
    assert not any(b.get("type") == "actions" and "abort" in str(b) for b in message.blocks)
    await press(world, second, stale, abort_button(stale))

    async def refused() -> bool:
        return len(world.slack.responses) == 3

    await settled(world, refused)
    assert world.slack.responses[2]["text"] == (
        "RUN-401 is completed: every step is done or skipped, so there is nothing to abort.")
    assert "runbook_aborted" not in [e.action for e in (await world.record(2)).events]


# -- helpers ---------------------------------------------------------------------------------

@pytest.fixture
async def world(make_world, tmp_path):
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    (runbooks / "restart.md").write_text(RESTART)
    return await make_world(runbooks_dir=runbooks)


def runbook_message(world, channel: str):
    return next(m for m in world.slack.messages(channel) if m.blocks
                and m.blocks[0]["type"] == "header" and m.blocks[0]["text"]["text"].startswith("RUN-401"))


def summary_runbooks(world, channel: str) -> str:
    pinned = world.slack.messages(channel)[0]
    field = next(f["text"] for f in pinned.blocks[1]["fields"] if f["text"].startswith("*Runbooks*"))
    return field.removeprefix("*Runbooks*\n")


async def click(world, channel: str, number: int, what: str) -> None:
    message = runbook_message(world, channel)
    answer = await press(world, channel, message, step_button(message, number, what))
    assert answer.status == 200


async def settled(world, check) -> None:
    async def done() -> bool:
        await world.delivered()
        return await check()
    await eventually(done, timeout=10)


async def recorded(world, action: str, number: int | None = None, *, count: int = 1,
                   incident: int = 1) -> None:
    async def there() -> bool:
        events = (await world.record(incident)).events
        return sum(e.action == action and (number is None or e.step == f"RUN-401#{number}")
                   for e in events) >= count

    await settled(world, there)


async def runs(world) -> dict[str, float]:
    async with aiohttp.ClientSession() as session, \
            session.get(f"{world.bot.url}/metrics") as answer:
        text = await answer.text()
    return {s.labels["outcome"]: s.value for family in text_string_to_metric_families(text)
            for s in family.samples if s.name == "incident_bot_runbook_runs_total"}

