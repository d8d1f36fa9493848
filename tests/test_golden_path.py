"""The playbook's golden path, end to end, as the on-call engineer lives it: Alertmanager says
evidence-storage writes are slow, the bot opens the incident with the storage-latency runbook,
the team clicks through its six steps (the high-risk reroute only once an approver has said
yes), the run completes, the incident is closed with a reason, and the postmortem in git
verifies on its own. Runs on SQLite, and on PostgreSQL with TEST_DATABASE_URL."""

import asyncio
import re
import sys
from datetime import UTC, datetime, timedelta

import pytest

from bot.slack import ids
from bot.standin.alertmanager import AlertmanagerSender, FiredAlert
from tests.support.clock import ShiftedClock
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB, DAVE, SHIPPED_RUNBOOKS, World

TOKEN = "golden-path-alert-token"
STEPS = ("Confirm write latency", "Find the slow shard and its cause",
         "Reroute ingestion to standby shard", "Warm the standby's cache",
         "Monitor for 30 minutes", "Assemble the evidence bundle")
CLOSED_BECAUSE = "postmortem reviewed; shard-7 disk replaced, reroute kept until Monday"


@pytest.fixture
async def world(make_world) -> World:
    return await make_world(alert_webhook_token=TOKEN, runbooks_dir=SHIPPED_RUNBOOKS,
                            clock=ShiftedClock())


def slow_writes() -> FiredAlert:
    """The seed's alert, as Prometheus hands it to Alertmanager."""
    return FiredAlert(
        labels={"alertname": "storage_latency_high", "severity": "critical", "job": "evidence",
                "instance": "evidence-7:9100"},
        annotations={"summary": "Evidence write p99 above 2s",
                     "description": "shard evidence-7 p99 4.1s for 6 minutes"},
        starts_at=datetime.now(UTC) - timedelta(minutes=6),
        generator_url="http://prometheus.example.com:9090/graph?g0.expr=evidence_write_p99")


async def settled(world: World, check) -> None:
    async def done() -> bool:
        await world.delivered()
        return await check()
    await eventually(done, timeout=15)


def runbook_message(world: World, channel: str):
    return next(m for m in world.slack.messages(channel) if m.blocks
                and m.blocks[0]["type"] == "header"
                and m.blocks[0]["text"]["text"].startswith("RUN-005"))


def pinned_summary(world: World, channel: str) -> str:
    message = next(m for m in world.slack.messages(channel) if m.blocks
                   and m.blocks[0]["type"] == "header"
                   and m.blocks[0]["text"]["text"].startswith("INC-1 "))
    return " ".join(f["text"] for b in message.blocks for f in b.get("fields", []))


async def click(world: World, channel: str, number: int, what: str, user: str = BOB) -> None:
    """A button on the step's message, as Slack sends the click: signed block_actions."""
    message = runbook_message(world, channel)
    block = next(b for b in message.blocks if b["type"] == "actions" and any(
        ids.STEP_ACTION.match(e["action_id"])
        and ids.read_step_action(e["action_id"]).number == number for e in b["elements"]))
    action_id = next(e["action_id"] for e in block["elements"]
                     if ids.STEP_ACTION.match(e["action_id"])
                     and ids.read_step_action(e["action_id"]).click == what)
    answer = await world.sender.block_action(user=user, channel=channel, message_ts=message.ts,
                                             action_id=action_id, value=what,
                                             block_id=block["block_id"])
    assert answer.status == 200


async def step_marked(world: World, channel: str, number: int, what: str) -> None:
    """Click, then wait until the timeline has it."""
    before = await count(world, f"step_{what}", f"RUN-005#{number}")
    await click(world, channel, number, what)

    async def recorded() -> bool:
        return await count(world, f"step_{what}", f"RUN-005#{number}") > before

    await settled(world, recorded)


async def count(world: World, action: str, step: str | None = None) -> int:
    return sum(e.action == action and (step is None or e.step == step)
               for e in (await world.record()).events)


async def verify(path) -> tuple[int, str]:
    """`incident-bot verify FILE.md`, with no database: the file on its own."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "verify", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await process.communicate()
    return process.returncode or 0, out.decode()


async def test_from_the_storage_latency_alert_to_a_closed_incident_and_a_verified_postmortem(world):
    # Alertmanager delivers the group, authenticated with the bot's bearer token.
    alertmanager = AlertmanagerSender(url=f"{world.bot.url}/alerts/alertmanager", token=TOKEN)
    answer = await alertmanager.notify([slow_writes()])
    assert answer.status == 200 and answer.json["opened"] is True
    assert answer.json["incident"] == "INC-1"
    await world.delivered()
    [incident] = await world.incidents()
    assert (incident.slug, incident.severity, incident.title) == (
        "storage-latency-high", 1, "Evidence write p99 above 2s")
    channel = incident.channel_id

    # storage_latency_high matched storage-latency*: the evidence-storage runbook is attached.
    record = await world.record()
    assert [a.runbook_id for a in record.runbooks] == ["RUN-005"]
    assert "RUN-005 Evidence-storage latency triage (6 steps, below)" in pinned_summary(
        world, channel)
    await world.incident("status acknowledged", channel=channel, user=ALICE)

    await step_marked(world, channel, 1, "started")
    await step_marked(world, channel, 1, "done")
    await step_marked(world, channel, 2, "done")
    await world.incident("status mitigating", channel=channel, user=ALICE)

    # Step 3 reroutes production writes: refused until an approver has said yes for it.
    await click(world, channel, 3, "done")

    async def refused() -> bool:
        return len(world.slack.responses) == 1

    await settled(world, refused)
    assert "high risk" in world.slack.responses[0]["text"]
    assert await count(world, "step_done", "RUN-005#3") == 0

    await click(world, channel, 3, "access")

    async def requested() -> bool:
        return bool((await world.record()).access_requests)

    await settled(world, requested)
    [request] = (await world.record()).access_requests
    assert (request.ref, request.step, request.requester_id) == ("AR-1", "RUN-005#3", BOB)
    # Nobody approves their own request; an approver does.
    mine = await world.sender.slash("/approve", "AR-1", user=BOB, channel=channel)
    assert mine.status == 200 and (await world.record()).access_requests[0].state == "pending"
    approved = await world.sender.slash("/approve", "AR-1", user=DAVE, channel=channel)
    assert approved.status == 200
    assert (await world.record()).access_requests[0].state == "approved"

    await step_marked(world, channel, 3, "done")
    await world.incident("access revoke AR-1", channel=channel, user=BOB)
    await step_marked(world, channel, 4, "done")
    await step_marked(world, channel, 5, "started")
    await world.incident("status monitoring", channel=channel, user=ALICE)
    await step_marked(world, channel, 5, "done")
    assert await count(world, "runbook_completed") == 0  # five of six is not complete

    # The sixth Done completes the run: one runbook_completed, by the click that made it so.
    await step_marked(world, channel, 6, "done")
    record = await world.record()
    completed = [e for e in record.events if e.action == "runbook_completed"]
    assert [(e.actor_id, e.details) for e in completed] == [
        (BOB, "RUN-005 Evidence-storage latency triage: all 6 steps done or skipped")]
    last_click = record.events[record.events.index(completed[0]) - 1]
    assert (last_click.action, last_click.step) == ("step_done", "RUN-005#6")

    async def summary_says_completed() -> bool:
        return "completed" in pinned_summary(world, channel)

    await settled(world, summary_says_completed)
    assert re.search(r"RUN-005 Evidence-storage latency triage :white_check_mark: completed "
                     r"at \d\d:\d\d UTC \(all 6 steps done or skipped\)", pinned_summary(world, channel))

    await world.incident("resolve shard evidence-7 disk saturated by compaction",
                         channel=channel, user=ALICE)
    closed = await world.incident(f"status closed {CLOSED_BECAUSE}", channel=channel, user=ALICE)
    assert closed.status == 200
    await world.delivered()
    assert (await world.incidents())[0].status == "closed"

    # The postmortem draft in EXPORT_DIR, as a reviewer reads it in git.
    [export] = world.export_dir.glob("*-storage-latency-high.md")
    text = export.read_text()
    lines = text.split("\n")
    assert "status: closed" in lines
    # One alert in its group: nothing to tell it apart by; still firing when closed.
    assert re.search(r"^\| \d\d:\d\d \| - \| storage_latency_high \| - \| Evidence write p99 above "
                     r"2s \| shard evidence-7 p99 4\.1s for 6 minutes \| \[graph\]\(http://prometheus"
                     r"\.example\.com:9090/graph\?g0\.expr=evidence_write_p99\) \|$", text, re.M)

    runbook = text[text.index("## Runbook"):text.index("## Snapshots")]
    assert "### RUN-005: Evidence-storage latency triage" in runbook
    for number, title in enumerate(STEPS, 1):
        risk = "high" if number == 3 else "medium" if number == 4 else "low"
        assert re.search(rf"^- Step {number}: {re.escape(title)} \({risk} risk\): \*\*done\*\* "
                         rf"by bob at \d\d:\d\d$", runbook, re.M), title
    assert re.search(r"^\*\*Completed\*\* at \d\d:\d\d by bob: every step done or skipped$",
                     runbook, re.M)
    assert re.search(r"^\| \d\d:\d\d \| - \| runbook_completed \| RUN-005 Evidence-storage latency "
                     r"triage: all 6 steps done or skipped \| bob \|$", text, re.M)

    approvals = text[text.index("## Approvals"):text.index("## Runbook")]
    # Granted by dave for the step, revoked by bob once the reroute was in place.
    assert re.search(r"^\| \d\d:\d\d \| revoked \| AR-1 RUN-005 step 3: Reroute ingestion to "
                     r"standby shard \(step RUN-005#3\) \| bob \| dave \| \d\d:\d\d \| "
                     r"\d\d:\d\d by bob \|$", approvals, re.M), approvals
    assert re.search(r"^\| \d\d:\d\d \| RUN-005#3 \| access_approved \| .* \| dave \|$", text, re.M)
    assert re.search(rf"^\| \d\d:\d\d \| - \| status_changed \| resolved -> closed: "
                     rf"{re.escape(CLOSED_BECAUSE)} \| alice \|$", text, re.M)
    assert "> shard evidence-7 disk saturated by compaction" in lines

    code, out = await verify(export)
    assert code == 0, out
    assert "every generated line matches (the default template)" in out
    assert "chain intact" in out
