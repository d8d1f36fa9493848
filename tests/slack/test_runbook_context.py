"""A runbook in the channel says what it is for and when to escalate; a failed step says why;
a runbook that does not fit the incident is aborted, with the reason, and its buttons stop."""

import asyncio
import copy
import itertools
import json
import re
import sys
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.slack import ids
from bot.slack.listeners.steps import FAILED_WITHOUT_REASON
from tests.slack.test_runbook_steps import long_runbook
from tests.support.clock import ShiftedClock
from tests.support.waiting import eventually
from tests.support.world import BOB, CAROL


def pool_runbook(last_tested: date) -> str:
    return f"""---
id: RUN-201
title: Connection pool exhaustion
owner: dba-team
last_tested: {last_tested.isoformat()}
match: [db-*]
---
## Scope
Primary Postgres cluster only; replicas have their own runbook.

## Prerequisites
- psql access to the primary
- read the <!channel> & <@U0ALICE> notes first

## Procedure
### Step 1: Confirm the pool is full
risk: low
### Step 2: Kill idle sessions
risk: low
### Step 3: Confirm recovery
risk: low

## Escalation
page @dba-oncall if it persists 15 minutes
"""


BARE = """---
id: RUN-202
title: Cache warm-up
match: [cache-*]
---
## Procedure
### Step 1: Warm the cache
risk: low
"""


def days_ago(days: int) -> date:
    return datetime.now(UTC).date() - timedelta(days=days)


async def runbook_world(make_world, tmp_path, *, last_tested: date | None = None, clock=None,
                        extra: dict[str, str] | None = None):
    runbooks = tmp_path / "runbooks"
    runbooks.mkdir(exist_ok=True)
    (runbooks / "pool.md").write_text(pool_runbook(last_tested or days_ago(30)))
    (runbooks / "bare.md").write_text(BARE)
    for name, text in (extra or {}).items():
        (runbooks / name).write_text(text)
    return await make_world(runbooks_dir=runbooks, clock=clock)


@pytest.fixture
async def world(make_world, tmp_path):
    return await runbook_world(make_world, tmp_path)


def runbook_messages(world, channel: str, runbook: str = "RUN-201") -> list:
    return [m for m in world.slack.messages(channel) if m.blocks and m.blocks[0]["type"] == "header"
            and m.blocks[0]["text"]["text"].startswith(runbook)]


def facts_of(message) -> list[str]:
    """The context line under the header: progress, owner, last tested, warnings."""
    return [e["text"] for e in message.blocks[1]["elements"]]


def texts_of(message) -> list[str]:
    return [b["text"]["text"] for b in message.blocks if b["type"] == "section"]


def buttons_of(message) -> list[str]:
    return [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


async def press(world, channel: str, message, action_id: str, user: str = BOB, **kw):
    block_id = next(b["block_id"] for b in message.blocks if b["type"] == "actions"
                    and any(e["action_id"] == action_id for e in b["elements"]))
    return await world.sender.block_action(user=user, channel=channel, message_ts=message.ts,
                                           action_id=action_id, block_id=block_id, **kw)


def step_button(message, number: int, what: str) -> str:
    return next(a for a in buttons_of(message) if ids.STEP_ACTION.match(a)
                and ids.read_step_action(a).number == number and ids.read_step_action(a).click == what)


def abort_button(message) -> str:
    return next(a for a in buttons_of(message) if ids.ABORT_ACTION.match(a))


async def settled(world, check) -> None:
    async def done() -> bool:
        await world.delivered()
        return await check()
    await eventually(done)


async def actions(world) -> list[str]:
    return [e.action for e in (await world.record()).events]


_forms = itertools.count(1)


def answered(view: dict, reason: str, view_id: str | None = None) -> dict:
    """The form as Slack submits it; a repeated submission has the same view id."""
    return {**view, "id": view_id or f"V0FORM{next(_forms):04d}", "state": {"values": {
        "reason": {"value": {"type": "plain_text_input", "value": reason}}}}}


async def test_the_first_message_says_scope_prerequisites_owner_last_test_and_escalation(world):
    channel = await world.declare("sev2 db-pool")
    message = runbook_messages(world, channel)[0]
    progress, owner, tested = facts_of(message)  # fresh, with an escalation path: no warning
    assert (progress, owner) == ("0/3 steps done", "Owner: dba-team")
    assert re.fullmatch(r"Last tested \d{4}-\d\d-\d\d", tested)
    assert texts_of(message)[:3] == [
        "*Scope*\nPrimary Postgres cluster only; replicas have their own runbook.",
        "*Prerequisites*\n- psql access to the primary\n"
        "- read the &lt;!channel&gt; &amp; &lt;@U0ALICE&gt; notes first",
        "*Escalation*\npage @dba-oncall if it persists 15 minutes"]
    assert texts_of(message)[3].startswith("*Step 1: Confirm the pool is full*")
    assert abort_button(message) and world.slack.pings(channel) == []


async def test_a_runbook_that_says_little_is_flagged_for_what_it_lacks(world):
    channel = await world.declare("sev3 cache-cold")
    message = runbook_messages(world, channel, "RUN-202")[0]
    assert facts_of(message) == ["0/1 steps done", ":warning: no owner", ":warning: never tested",
                                 ":warning: no escalation path"]


async def test_staleness_is_judged_by_the_bots_clock_when_the_message_is_rendered(
        make_world, tmp_path):
    clock, tested = ShiftedClock(), days_ago(170)
    world = await runbook_world(make_world, tmp_path, last_tested=tested, clock=clock)
    channel = await world.declare("sev3 db-pool")
    message = runbook_messages(world, channel)[0]
    assert f"Last tested {tested}" in facts_of(message)

    clock.advance(days=20)  # no one touched the file; the runbook simply aged
    await press(world, channel, message, step_button(message, 1, "started"))

    async def flagged() -> bool:
        shown = runbook_messages(world, channel)[0]
        return f":warning: last tested {tested}, over 180 days ago" in facts_of(shown)

    await settled(world, flagged)


async def test_failed_asks_why_then_tells_the_channel_the_reason_and_the_escalation_path(world):
    channel = await world.declare("sev2 db-pool")
    message = runbook_messages(world, channel)[0]
    before = len(world.slack.views)
    await press(world, channel, message, step_button(message, 2, "failed"))
    form = await world.opened(before)
    # Opened with the click's own trigger_id, which Slack honours for 3 seconds.
    assert re.fullmatch(r"\d+\.\d+\.[0-9a-f]{16}", form["trigger_id"])
    assert form["view"]["title"]["text"] == "Step failed"
    assert "step_failed" not in await actions(world)

    for _ in range(2):  # Slack delivers the same submission twice
        response = await world.sender.view_submission(user=BOB, view=answered(
            form["view"], "pg_terminate_backend: permission denied", view_id="V0TWICE"))
        assert response.status == 200 and not response.body
    await world.delivered()

    failed = [e for e in (await world.record()).events if e.action == "step_failed"]
    assert len(failed) == 1
    assert failed[0].details == ("RUN-201 step 2: Kill idle sessions; "
                                 "reason: pg_terminate_backend: permission denied")
    assert failed[0].data["reason"] == "pg_terminate_backend: permission denied"
    said = "\n".join(world.posted(channel))
    assert ("*bob* marked RUN-201 step 2 (Kill idle sessions) *failed*: "
            "pg_terminate_backend: permission denied") in said
    assert ":rotating_light: Escalation: page @dba-oncall if it persists 15 minutes" in said

    async def shown() -> bool:
        status = next(b for b in runbook_messages(world, channel)[0].blocks
                      if (found := ids.STEP_BLOCK.match(b.get("block_id", "")))
                      and (found[2], found[3]) == ("2", "status"))
        return "failed by bob" in status["elements"][0]["text"]

    await settled(world, shown)


async def test_a_blank_reason_is_refused_in_the_form_and_a_cancelled_form_records_nothing(world):
    channel = await world.declare("sev2 db-pool")
    message = runbook_messages(world, channel)[0]
    before = len(world.slack.views)
    await press(world, channel, message, step_button(message, 1, "failed"))
    form = await world.opened(before)
    response = await world.sender.view_submission(user=BOB, view=answered(form["view"], "  "))
    assert response.json == {"response_action": "errors", "errors": {"reason": "Say why."}}
    # Then Cancel: Slack tells the bot nothing, and nothing happened.
    await world.delivered()
    assert "step_failed" not in await actions(world)
    assert not any("*failed*" in shown for shown in world.posted(channel))


async def test_when_the_form_cannot_open_the_failure_is_still_recorded_without_a_reason(world):
    channel = await world.declare("sev2 db-pool")
    message = runbook_messages(world, channel)[0]
    world.slack.fault("views.open", error="expired_trigger_id")
    await press(world, channel, message, step_button(message, 3, "failed"))

    async def told() -> bool:
        return len(world.slack.responses) == 1

    await settled(world, told)
    assert world.slack.responses[0]["text"] == FAILED_WITHOUT_REASON.format(number=3)
    assert world.slack.responses[0]["response_type"] == "ephemeral"
    failed = [e for e in (await world.record()).events if e.action == "step_failed"]
    assert [(e.details, e.data) for e in failed] == [("RUN-201 step 3: Confirm recovery", {})]
    said = "\n".join(world.posted(channel))
    assert "*failed* (no reason given)" in said and "Escalation: page @dba-oncall" in said


async def abort(world, channel: str, message, reason: str, user: str = BOB) -> None:
    before = len(world.slack.views)
    await press(world, channel, message, abort_button(message), user=user)
    form = await world.opened(before)
    assert form["view"]["title"]["text"] == "Abort runbook"
    response = await world.sender.view_submission(user=user, view=answered(form["view"],
                                                                          reason))
    assert response.status == 200 and not response.body, response.body
    await world.delivered()


async def test_aborting_needs_a_reason_then_stops_every_step_button(world):
    channel = await world.declare("sev2 db-pool")
    message = runbook_messages(world, channel)[0]
    before = len(world.slack.views)
    await press(world, channel, message, abort_button(message))
    form = await world.opened(before)
    refused = await world.sender.view_submission(user=BOB, view=answered(form["view"], ""))
    assert refused.json["response_action"] == "errors"
    assert "runbook_aborted" not in await actions(world)

    on_screen = copy.deepcopy(message)  # as someone who has not seen the update yet
    await world.sender.view_submission(user=BOB, view=answered(
        form["view"], "not the pool: the primary is out of disk"))
    await world.delivered()
    event = (await world.record()).events[-1]
    assert (event.action, event.data) == ("runbook_aborted", {
        "runbook": "RUN-201", "reason": "not the pool: the primary is out of disk"})

    shown = runbook_messages(world, channel)[0]
    assert buttons_of(shown) == []
    assert re.fullmatch(r":octagonal_sign: \*Aborted\* by bob at \d\d:\d\d UTC: "
                        "not the pool: the primary is out of disk", texts_of(shown)[0])
    assert (":octagonal_sign: *bob* aborted RUN-201 Connection pool exhaustion: not the pool: "
            "the primary is out of disk. Its steps are closed.") in "\n".join(world.posted(channel))

    # Buttons still on someone's screen from before: refused, nothing recorded, no form.
    count, views = len((await world.record()).events), len(world.slack.views)
    for action_id in (step_button(on_screen, 1, "done"), step_button(on_screen, 2, "failed"),
                      abort_button(on_screen)):
        await press(world, channel, on_screen, action_id, user=CAROL)

    async def all_told() -> bool:
        return len(world.slack.responses) == 3

    await settled(world, all_told)
    assert [r["text"] for r in world.slack.responses] == [
        "RUN-201 was aborted: not the pool: the primary is out of disk. Its steps are closed.",
        "RUN-201 was aborted: not the pool: the primary is out of disk. Its steps are closed.",
        "RUN-201 was already aborted: not the pool: the primary is out of disk"]
    assert len((await world.record()).events) == count and len(world.slack.views) == views


async def test_a_long_runbook_aborted_with_the_longest_reason_stays_within_slacks_limits(
        make_world, tmp_path):
    scope = "## Scope\n" + "Everything the long haul covers, and more. " * 120 + "\n"
    text = long_runbook(60).replace("## Procedure", scope + "## Procedure")
    world = await runbook_world(make_world, tmp_path, extra={"long.md": text})
    channel = await world.declare("sev3 long-haul")
    parts = runbook_messages(world, channel, "RUN-160")
    assert len(parts) == 16
    assert parts[0].blocks[0]["text"]["text"] == "RUN-160 · Sixty steps (1/16)"
    assert texts_of(parts[0])[0].endswith("…\n_Full scope in `" f"{tmp_path}/runbooks/long.md`_")
    assert all(abort_button(part) for part in parts)

    updates = len(world.slack.calls_to("chat.update"))
    await abort(world, channel, parts[-1], "&<>" * 100)  # escaped, 5 times as long
    updated = world.slack.calls_to("chat.update")[updates:]
    assert len(updated) == 16 and all(call.ok for call in updated)
    for part in runbook_messages(world, channel, "RUN-160"):
        assert buttons_of(part) == []
        assert len(part.blocks) <= 50
        assert len(json.dumps(part.blocks, ensure_ascii=False)) <= 13_200
        assert "*Aborted* by bob" in texts_of(part)[0]


async def test_the_export_shows_the_abort_and_the_failure_and_still_verifies(world):
    channel = await world.declare("sev2 db-pool")
    message = runbook_messages(world, channel)[0]
    before = len(world.slack.views)
    await press(world, channel, message, step_button(message, 1, "failed"))
    form = await world.opened(before)
    await world.sender.view_submission(user=BOB, view=answered(form["view"],
                                                               "pool | full\nstill"))
    await abort(world, channel, message, "wrong runbook:\n## Root cause\n| forged | row |",
                user=CAROL)
    await world.incident("resolve primary out of disk", channel=channel)
    path = next(world.export_dir.glob("*.md"))
    export = path.read_text()
    assert "| RUN-201#1 | step_failed | RUN-201 step 1: Confirm the pool is full; reason: pool " \
           "\\| full<br>still | bob |" in export
    assert re.search(r"^\| \d\d:\d\d \| - \| runbook_aborted \| RUN-201 Connection pool "
                     r"exhaustion: wrong runbook:<br>## Root cause<br>\\\| forged \\\| row \\\| "
                     r"\| carol \|$", export, re.M)
    runbook = export[export.index("## Runbook"):export.index("## Snapshots")]
    assert re.search(r"^\*\*Aborted\*\* by carol at \d\d:\d\d: wrong runbook: ↵ ## Root cause "
                     r"↵ \| forged \| row \|$", runbook, re.M)
    assert export.count("\n## Root cause\n") == 1
    verify = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "verify", str(path), stdout=asyncio.subprocess.PIPE)
    out, _ = await verify.communicate()
    assert verify.returncode == 0, out
    assert out.strip().endswith(b"timeline rows match")
