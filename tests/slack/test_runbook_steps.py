"""Runbooks in the channel: steps as buttons, clicks in place, the high-risk gate, checks, snapshots."""

import asyncio
import os
import sys

import pytest

from bot.slack import ids
from tests.support.waiting import eventually
from tests.support.world import BOB, CAROL, DAVE

POOL = """---
id: RUN-101
title: Pool exhaustion drill
match: [db-*]
checks:
  pool-usage: {run: "echo connections=97 password=hunter2", timeout: 5s}
---
## Procedure
### Step 1: Verify alert
risk: low
check: pool-usage
Compare with max_connections.
Verification:
- [ ] count matches the alert
### Step 2: Kill idle sessions
risk: high
```
psql -c "select pg_terminate_backend(pid) ..."
```
### Step 3: Confirm recovery
risk: low
"""


def long_runbook(steps: int) -> str:
    body = "\n".join(f"### Step {n}: Step number {n}\nrisk: low\n{'Do the thing. ' * 300}"
                     for n in range(1, steps + 1))
    return f"---\nid: RUN-160\ntitle: Sixty steps\nmatch: [long-*]\n---\n## Procedure\n{body}\n"


@pytest.fixture
async def world(make_world, tmp_path):
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir()
    (runbooks / "pool.md").write_text(POOL)
    (runbooks / "long.md").write_text(long_runbook(60))
    world = await make_world(runbooks_dir=runbooks, allow_runbook_commands="true")
    world.runbooks = runbooks
    return world


def runbook_message(world, channel: str, part: int = 0):
    return [m for m in world.slack.messages(channel) if m.blocks and m.blocks[0]["type"] == "header"
            and "RUN-1" in m.blocks[0]["text"]["text"]][part]


def step_block(message, number: int, part: str) -> dict:
    """A step's text, buttons or status, whatever the runbook was attached as."""
    return next(b for b in message.blocks if (found := ids.STEP_BLOCK.match(b.get("block_id", "")))
                and (int(found[2]), found[3]) == (number, part))


def status_of(message, number: int) -> str:
    return step_block(message, number, "status")["elements"][0]["text"]


async def press(world, channel: str, message, number: int, what: str, user: str = BOB, **kw):
    block_id = step_block(message, number, "buttons")["block_id"]
    action_id = ids.step_action(int(ids.STEP_BLOCK.match(block_id)[1]), number, what)
    return await world.sender.block_action(user=user, channel=channel, message_ts=message.ts,
                                           action_id=action_id, value=what, block_id=block_id, **kw)


async def settled(world, check) -> None:
    async def done() -> bool:
        await world.delivered()
        return await check()
    await eventually(done)


async def events_of(world) -> list[str]:
    return [e.action for e in (await world.record()).events]


async def test_declaring_attaches_matching_runbooks_and_posts_their_steps_as_buttons(world):
    channel = await world.declare("sev2 db-outage")
    message = runbook_message(world, channel)
    assert message.blocks[1]["elements"][0]["text"] == "0/3 steps done"
    buttons = [e["text"]["text"] for e in message.blocks[3]["elements"]]
    assert buttons == ["Start", "Done", "Failed", "Skip", "Run check", "Capture snapshot"]
    assert "Request access" in str(message.blocks[7])  # step 2 is high risk
    assert "HIGH RISK" in message.blocks[6]["text"]["text"]
    record = await world.record()
    assert [(a.runbook_id, len(a.sha256)) for a in record.runbooks] == [("RUN-101", 64)]
    assert "runbook_attached" in await events_of(world)
    summary = " ".join(f["text"] for f in world.slack.messages(channel)[0].blocks[1]["fields"])
    assert "RUN-101 Pool exhaustion drill (3 steps, below)" in summary


async def test_a_click_updates_its_message_and_its_progress_in_place_with_one_call(world):
    channel = await world.declare("sev2 db-outage")
    message = runbook_message(world, channel)
    updates_before = len(world.slack.calls_to("chat.update"))
    await press(world, channel, message, 1, "done")

    async def done() -> bool:
        return "done by bob" in status_of(runbook_message(world, channel), 1)

    await settled(world, done)
    record = await world.record()
    assert record.events[-1].action == "step_done" and record.events[-1].step == "RUN-101#1"
    updated = [c.params.get("ts") for c in world.slack.calls_to("chat.update")[updates_before:]]
    assert updated == [message.ts]  # one call re-renders the clicked message, nothing else
    assert runbook_message(world, channel).blocks[1]["elements"][0]["text"] == "1/3 steps done"


async def test_a_repeated_delivery_records_once_and_clicking_the_same_status_again_is_refused(world):
    channel = await world.declare("sev2 db-outage")
    message = runbook_message(world, channel)
    for _ in range(2):
        await press(world, channel, message, 1, "started", action_ts="1700000000.5")
    await press(world, channel, message, 1, "started", user=CAROL)

    async def answered() -> bool:
        return len(world.slack.responses) == 1

    await settled(world, answered)
    assert (await events_of(world)).count("step_started") == 1
    assert world.slack.responses[0]["text"] == "Step 1 is already started."


async def test_two_people_clicking_the_same_step_at_once_end_in_one_consistent_state(world):
    channel = await world.declare("sev2 db-outage")
    message = runbook_message(world, channel)
    await asyncio.gather(press(world, channel, message, 3, "done", user=BOB),
                         press(world, channel, message, 3, "skipped", user=CAROL))

    async def both() -> bool:
        return len([a for a in await events_of(world) if a.startswith("step_")]) == 2

    await settled(world, both)
    last = [e for e in (await world.record()).events if e.step == "RUN-101#3"][-1]
    shown = status_of(runbook_message(world, channel), 3)
    assert {"step_done": "done", "step_skipped": "skipped"}[last.action] in shown


async def test_a_high_risk_step_needs_approved_access_before_done(world):
    channel = await world.declare("sev2 db-outage")
    message = runbook_message(world, channel)
    await press(world, channel, message, 2, "done")

    async def refused() -> bool:
        return len(world.slack.responses) == 1

    await settled(world, refused)
    assert "high risk" in world.slack.responses[0]["text"]
    assert "step_done" not in await events_of(world)

    await press(world, channel, message, 2, "access")

    async def requested() -> bool:
        return bool((await world.record()).access_requests)

    await settled(world, requested)
    request = (await world.record()).access_requests[0]
    assert (request.step, request.requester_id) == ("RUN-101#2", BOB)
    await world.sender.slash("/approve", request.ref, user=DAVE, channel=channel)
    await press(world, channel, message, 2, "done")

    async def done() -> bool:
        return "step_done" in await events_of(world)

    await settled(world, done)


async def test_run_check_posts_live_output_in_the_steps_thread(world):
    channel = await world.declare("sev2 db-outage")
    message = runbook_message(world, channel)
    await press(world, channel, message, 1, "check")

    async def posted() -> bool:
        return any(m.thread_ts == message.ts for m in world.slack.messages(channel))

    await settled(world, posted)
    reply = next(m for m in world.slack.messages(channel) if m.thread_ts == message.ts)
    assert "Live check" in reply.text and "connections=97" in reply.text
    assert "hunter2" not in reply.text
    assert "snapshot" not in await events_of(world)


async def test_a_snapshot_is_kept_on_the_timeline_and_in_the_export(world):
    channel = await world.declare("sev2 db-outage")
    message = runbook_message(world, channel)
    await press(world, channel, message, 1, "snapshot")

    async def kept() -> bool:
        return "snapshot" in await events_of(world)

    await settled(world, kept)
    await world.incident("resolve pool leak", channel=channel)
    export = next(world.export_dir.glob("*.md")).read_text()
    assert "## Snapshots\n\n### " in export and "pool-usage (step RUN-101#1, bob)" in export
    assert "connections=97 password=[redacted: password]" in export
    assert "- Step 1: Verify alert (low risk): **pending**" in export
    verify = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "verify", "INC-1",
        env={**os.environ, "DATABASE_URL": world.bot.settings.database_url},
        stdout=asyncio.subprocess.PIPE)
    out, _ = await verify.communicate()
    assert verify.returncode == 0 and b"chain intact" in out


async def test_clicks_on_a_resolved_incident_are_refused_politely(world):
    channel = await world.declare("sev2 db-outage")
    message = runbook_message(world, channel)
    await world.incident("resolve pool leak", channel=channel)
    await press(world, channel, message, 1, "started")

    async def refused() -> bool:
        return len(world.slack.responses) == 1

    await settled(world, refused)
    assert "resolved; its runbook steps are closed" in world.slack.responses[0]["text"]


async def test_attaching_later_by_name_and_typos_get_suggestions(world):
    channel = await world.declare("sev3 api-slow")
    typo = await world.incident("runbook pool exhaustion dril", channel=channel)
    assert "Did you mean: `RUN-101` Pool exhaustion drill?" in typo.json["text"]
    attached = await world.incident("runbook run-101", channel=channel)
    assert attached.json["text"].startswith("RUN-101 Pool exhaustion drill attached")
    again = await world.incident("runbook RUN-101", channel=channel)
    assert "already attached" in again.json["text"]
    await world.delivered()
    assert runbook_message(world, channel)


async def test_editing_the_file_later_never_changes_the_incidents_copy(world):
    channel = await world.declare("sev2 db-outage")
    (world.runbooks / "pool.md").write_text(POOL.replace("Verify alert", "Something else"))
    await world.incident("log after the edit", channel=channel)
    await world.incident("resolve pool leak", channel=channel)
    export = next(world.export_dir.glob("*.md")).read_text()
    assert "Step 1: Verify alert" in export and "Something else" not in export


async def test_a_sixty_step_runbook_is_split_across_messages_within_slacks_limits(world):
    channel = await world.declare("sev3 long-haul")
    parts = [m for m in world.slack.messages(channel) if m.blocks and "RUN-160" in str(m.blocks[0])]
    # The stand-in refuses a message past 50 blocks or about 13,200 characters of blocks:
    # four of these long steps fill a message.
    assert len(parts) == 15
    assert parts[0].blocks[0]["text"]["text"] == "RUN-160 · Sixty steps (1/15)"
    assert all(len(p.blocks) <= 50 for p in parts)
    assert "_Full step in `" in parts[0].blocks[2]["text"]["text"]

    await press(world, channel, parts[14], 58, "done")

    async def updated() -> bool:
        last = next(m for m in world.slack.messages(channel) if m.ts == parts[14].ts)
        return "done by bob" in status_of(last, 58)

    await settled(world, updated)


async def test_declare_with_a_runbook_makes_five_web_api_calls(world):
    before = len(world.slack.calls)
    await world.declare("sev2 db-outage")
    methods = [call.method for call in world.slack.calls[before:]]
    assert methods == ["conversations.create", "conversations.invite", "chat.postMessage",
                       "pins.add", "chat.postMessage"]


async def test_the_declare_form_offers_the_runbooks_and_attaches_the_one_picked(world):
    _, view = await world.form("declare")
    options = next(b for b in view["blocks"] if b["block_id"] == "runbook")["element"]["options"]
    assert [o["value"] for o in options] == ["RUN-160", "RUN-101"]
    await world.sender.view_submission(user=BOB, view={**view, "state": {"values": {
        "severity": {"value": {"type": "static_select", "selected_option": {"value": "sev2"}}},
        "slug": {"value": {"type": "plain_text_input", "value": "api-errors"}},
        "title": {"value": {"type": "plain_text_input", "value": None}},
        "runbook": {"value": {"type": "static_select", "selected_option": {"value": "RUN-101"}}},
    }}})
    await world.delivered()
    assert [a.runbook_id for a in (await world.record()).runbooks] == ["RUN-101"]


async def test_a_run_of_clicks_costs_at_most_one_call_a_click_all_on_the_step_message(world):
    channel = await world.declare("sev2 db-outage")
    message = runbook_message(world, channel)
    summary = world.slack.messages(channel)[0]
    await world.delivered()
    before = len(world.slack.calls)
    clicks = [(1, "started"), (1, "done"), (2, "started"), (2, "skipped"), (3, "started")]
    for number, what in clicks:
        assert (await press(world, channel, message, number, what)).status == 200
        await asyncio.sleep(0.1)

    async def all_started() -> bool:
        return "started by bob" in status_of(runbook_message(world, channel), 3)

    await settled(world, all_started)
    calls = world.slack.calls[before:]
    assert {(c.method, c.params.get("ts")) for c in calls} == {("chat.update", message.ts)}
    assert len(calls) <= len(clicks)  # clicks meeting an update in flight share the next one

    # The click that completes the run also says so in the pinned summary: one call more.
    before = len(world.slack.calls)
    assert (await press(world, channel, message, 3, "done")).status == 200

    async def completed() -> bool:
        return "completed at" in " ".join(
            f["text"] for f in world.slack.messages(channel)[0].blocks[1]["fields"])

    await settled(world, completed)
    calls = [(c.method, c.params.get("ts")) for c in world.slack.calls[before:]]
    assert sorted(calls) == sorted([("chat.update", message.ts), ("chat.update", summary.ts)])
