"""Who may do what, as the people in an incident channel meet it: the strict example policy
refuses, says why, changes nothing, and keeps the refusal."""

from pathlib import Path

import aiohttp

from bot.domain.lifecycle import Status
from bot.standin.opa import FakeOpa
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB, CAROL

STRICT = Path(__file__).resolve().parents[2] / "policy" / "strict.rego"


async def test_only_the_commander_resolves_and_a_refusal_is_kept(make_world):
    world = await make_world(policy_file=STRICT)
    channel = await world.declare(user=ALICE)
    await world.incident(f"commander <@{ALICE}>", channel=channel, user=ALICE)
    await world.incident("status mitigating", channel=channel, user=BOB)

    refused = await world.incident("resolve bad deploy rolled back", channel=channel, user=BOB)

    assert refused.json["response_type"] == "ephemeral"
    assert refused.json["text"].startswith("Only the incident commander")
    record = await world.record()
    assert record.incident.status is Status.MITIGATING and not record.incident.root_cause
    assert not list(world.export_dir.glob("*.md"))
    async with world.bot.store.reading() as tx:
        kept = await tx.denials()
    assert [(d.user_id, d.action, d.incident_id) for d in kept] == [(BOB, "resolve", 1)]
    assert kept[0].reason == refused.json["text"]

    resolved = await world.incident("resolve bad deploy rolled back", channel=channel, user=ALICE)

    assert resolved.json["text"].startswith("Resolved.")
    assert (await world.record()).incident.status is Status.RESOLVED
    assert list(world.export_dir.glob("*.md"))


async def test_a_refused_status_change_posts_nothing_and_counts_on_metrics(make_world):
    world = await make_world(policy_file=STRICT, statuspage_page_id="p1", statuspage_api_key="k")
    channel = await world.declare(user=ALICE)
    await world.incident(f"commander <@{ALICE}>", channel=channel, user=ALICE)
    await world.delivered()
    before = list(world.posted(channel))

    await world.incident("severity sev3 looks smaller than we thought", channel=channel, user=BOB)
    await world.incident("statuspage investigating We are looking into it", channel=channel,
                         user=BOB)
    await world.delivered()

    assert world.posted(channel) == before
    assert (await world.record()).incident.severity == 1
    async with aiohttp.ClientSession() as session, \
            session.get(f"{world.bot.url}/metrics") as answer:
        metrics = await answer.text()
    assert 'incident_bot_policy_denials_total{action="severity"} 1.0' in metrics
    assert 'incident_bot_policy_denials_total{action="statuspage"} 1.0' in metrics


async def test_raising_severity_is_anyones_and_comms_speaks_publicly(make_world):
    world = await make_world(policy_file=STRICT, statuspage_page_id="p1", statuspage_api_key="k")
    channel = await world.declare("sev2 checkout-errors Checkout errors", user=ALICE)
    await world.incident(f"commander <@{ALICE}>", channel=channel, user=ALICE)

    raised = await world.incident("severity sev1 spreading to every region", channel=channel,
                                  user=BOB)
    assert raised.json["text"] == "Severity is now SEV1."
    await world.incident(f"role comms <@{CAROL}>", channel=channel, user=ALICE)
    spoken = await world.incident("statuspage investigating Checkout is failing for some",
                                  channel=channel, user=CAROL)
    assert spoken.json["text"].startswith("Opening the public incident on Statuspage")


async def test_can_i_answers_only_to_me_and_changes_nothing(make_world):
    world = await make_world(policy_file=STRICT)
    channel = await world.declare(user=ALICE)
    await world.incident(f"commander <@{ALICE}>", channel=channel, user=ALICE)

    mine = await world.incident("can resolve", channel=channel, user=BOB)
    theirs = await world.incident("can resolve", channel=channel, user=ALICE)
    raise_it = await world.incident("can severity sev1", channel=channel, user=BOB)

    assert mine.json["response_type"] == "ephemeral"
    assert mine.json["text"].startswith("Not allowed: `resolve` in INC-1. Only the incident")
    assert theirs.json["text"] == "Allowed: you may `resolve` in INC-1."
    assert raise_it.json["text"] == "Allowed: you may `severity` severity=1 in INC-1."
    async with world.bot.store.reading() as tx:
        assert await tx.denials() == []


async def test_a_drill_is_practice_where_anyone_may_do_anything(make_world):
    world = await make_world(policy_file=STRICT)
    channel = await world.declare("sev2 failover-drill Practice failover --drill", user=ALICE)
    await world.incident(f"commander <@{ALICE}>", channel=channel, user=ALICE)

    answer = await world.incident("resolve practice went fine", channel=channel, user=BOB)

    assert answer.json["text"].startswith("Resolved.")


async def test_a_refused_click_answers_the_clicker_alone(make_world):
    world = await make_world(policy_file=STRICT)
    channel = await world.declare(user=ALICE)
    await world.incident("access request prod DB write for 1h", channel=channel, user=BOB)
    await world.delivered()
    message = world.slack.messages(channel)[-1]
    button = next(e for b in message.blocks if b["type"] == "actions" for e in b["elements"]
                  if e["text"]["text"] == "Approve")
    block = next(b for b in message.blocks if button in b.get("elements", []))

    await world.sender.block_action(user=BOB, channel=channel, message_ts=message.ts,
                                    action_id=button["action_id"], value=button["value"],
                                    block_id=block["block_id"])

    async def told() -> bool:
        return any("Only approvers can approve" in r.get("text", "")
                   for r in world.slack.responses)

    await eventually(told)
    assert (await world.record()).access_requests[0].state == "pending"


async def test_with_an_opa_server_its_decisions_are_the_bots(make_world):
    def commanders_resolve(document: dict) -> dict:
        if document["action"] != "resolve" or "commander" in document["user"]["roles"]:
            return {"allow": True}
        return {"allow": False, "reason": "OPA says: the commander resolves"}

    async with FakeOpa(commanders_resolve) as opa:
        world = await make_world(opa_url=opa.url)
        channel = await world.declare(user=ALICE)
        await world.incident(f"commander <@{ALICE}>", channel=channel, user=ALICE)

        refused = await world.incident("resolve fixed", channel=channel, user=BOB)
        asked = opa.inputs[-1]
        await opa.stop()
        unreachable = await world.incident("log still here", channel=channel, user=ALICE)

    assert refused.json["text"] == "OPA says: the commander resolves"
    # Bob never joined the channel: not a member.
    assert asked["user"] == {"id": BOB, "groups": [], "roles": [], "approver": False,
                             "member": False}
    assert asked["incident"]["commander"] == ALICE and asked["args"] == {"status": "resolved"}
    assert unreachable.json["text"].startswith("The incident policy could not decide (OPA at ")
