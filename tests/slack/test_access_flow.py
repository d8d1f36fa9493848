"""Elevated access in a running bot: request, approve by button, warn, expire, revoke."""

import asyncio

from bot.slack import ids
from tests.support.waiting import eventually
from tests.support.world import BOB, CAROL, DAVE, MALLORY


async def click(world, channel: str, message, action_id: str, user: str):
    buttons = [e for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    button = next(e for e in buttons if e["action_id"] == action_id)
    block = next(b for b in message.blocks if button in b.get("elements", []))
    return await world.sender.block_action(user=user, channel=channel, message_ts=message.ts,
                                           action_id=action_id, value=button["value"],
                                           block_id=block["block_id"])


async def test_a_request_is_posted_with_buttons_and_the_approvers_mentioned(world):
    channel = await world.declare()
    response = await world.incident("access request prod DB write for 2h because kill sessions",
                                    channel=channel, user=BOB)
    assert response.json["text"] == "AR-1 requested; approvers are asked in the channel and by DM."
    await world.delivered()
    message = world.slack.messages(channel)[-1]
    rendered = " ".join(b.get("text", {}).get("text", "") for b in message.blocks)
    assert "*AR-1*" in rendered and "prod DB write" in rendered and "kill sessions" in rendered
    assert f"<@{DAVE}>" in rendered and f"<@{CAROL}>" in rendered
    assert [e["text"]["text"] for e in message.blocks[-1]["elements"]] == ["Approve", "Deny"]


async def test_approve_by_button_updates_the_request_in_place(world):
    channel = await world.declare()
    await world.incident("access request prod DB write for 2h", channel=channel, user=BOB)
    await world.delivered()
    message = world.slack.messages(channel)[-1]
    await click(world, channel, message, ids.ACCESS_APPROVE, DAVE)

    async def approved() -> bool:
        return (await world.record()).access_requests[0].state == "approved"

    await eventually(approved)
    await world.delivered()
    updated = next(m for m in world.slack.messages(channel) if m.ts == message.ts)
    assert updated.edits and all(b["type"] != "actions" for b in updated.blocks)
    assert "approved by dave" in updated.blocks[-1]["elements"][0]["text"]
    assert any("AR-1 *prod DB write* approved by dave" in t for t in world.posted(channel))


async def test_refusals_answer_the_clicker_privately(world):
    channel = await world.declare()
    await world.incident("access request prod DB write for 2h", channel=channel, user=DAVE)
    await world.delivered()
    message = world.slack.messages(channel)[-1]
    await click(world, channel, message, ids.ACCESS_APPROVE, MALLORY)
    await click(world, channel, message, ids.ACCESS_APPROVE, DAVE)

    async def answered() -> bool:
        return len(world.slack.responses) == 2

    await eventually(answered)
    texts = [r["text"] for r in world.slack.responses]
    assert any("Only approvers" in t for t in texts)
    assert any("your own request" in t for t in texts)
    assert all(r["response_type"] == "ephemeral" for r in world.slack.responses)
    assert (await world.record()).access_requests[0].state == "pending"


async def test_a_repeated_click_delivery_records_once(world):
    channel = await world.declare()
    await world.incident("access request prod DB write for 2h", channel=channel, user=BOB)
    await world.delivered()
    message = world.slack.messages(channel)[-1]
    for _ in range(2):
        await world.sender.block_action(user=DAVE, channel=channel, message_ts=message.ts,
                                        action_id=ids.ACCESS_APPROVE, value="1",
                                        block_id="access:1", action_ts="1700000000.000001")

    async def approved() -> bool:
        return (await world.record()).access_requests[0].state == "approved"

    await eventually(approved)
    await asyncio.sleep(0.3)
    assert [e.action for e in (await world.record()).events].count("access_approved") == 1
    assert world.slack.responses == []  # the repeat is silent, not an error


async def test_approve_command_deny_list_and_revoke(world):
    channel = await world.declare()
    await world.incident("access request prod DB write for 2h", channel=channel, user=BOB)
    await world.incident("access request root on db-2 for 30m", channel=channel, user=BOB)
    several = await world.sender.slash("/approve", "", user=DAVE, channel=channel)
    assert "Several requests are pending" in several.json["text"]
    approved = await world.sender.slash("/approve", "AR-1 for 1h", user=DAVE, channel=channel)
    assert approved.json["text"].startswith("AR-1 approved until ")
    denied = await world.incident("access deny AR-2 use the runbook", channel=channel, user=CAROL)
    assert denied.json["text"] == "AR-2 denied."
    listing = await world.incident("access list", channel=channel)
    assert "`AR-1` prod DB write: approved, expires" in listing.json["text"]
    assert "`AR-2` root on db-2: denied" in listing.json["text"]
    revoked = await world.incident("access revoke AR-1", channel=channel, user=BOB)
    assert revoked.json["text"] == "AR-1 marked revoked."
    bad = await world.sender.slash("/approve", "AR-1 for ever", user=DAVE, channel=channel)
    assert "Usage:" in bad.json["text"]


async def test_resolve_lists_access_still_to_revoke(world):
    channel = await world.declare()
    await world.incident("access request prod DB write for 2h", channel=channel, user=BOB)
    await world.sender.slash("/approve", "AR-1", user=DAVE, channel=channel)
    response = await world.incident("resolve pool leak", channel=channel)
    assert "Access not yet revoked: AR-1 prod DB write (approved)" in response.json["text"]
    await world.delivered()
    assert "Access still to revoke: AR-1" in world.posted(channel)[-1]
    export = next(world.export_dir.glob("*.md")).read_text()
    assert "| approved | AR-1 prod DB write | bob | dave |" in export
    assert "| NOT REVOKED |" in export


async def test_warning_expiry_and_mark_revoked_with_real_short_durations(make_world):
    world = await make_world(access_expiry_warning="2s")
    channel = await world.declare("sev4 batch-lag")  # a 4h nudge keeps the channel quiet
    await world.incident("access request prod DB write for 3s", channel=channel, user=BOB)
    await world.sender.slash("/approve", "AR-1", user=DAVE, channel=channel)

    async def posted(text: str) -> bool:
        await world.delivered()
        return any(text in t for t in world.posted(channel))

    await eventually(lambda: posted("expires at"), timeout=5)
    assert not any("has *expired*" in t for t in world.posted(channel))
    warning = next(m for m in world.slack.messages(channel) if "expires at" in m.text)
    assert f"<@{BOB}> <@{DAVE}>" in warning.text
    await eventually(lambda: posted("has *expired*"), timeout=5)

    expired = next(m for m in world.slack.messages(channel) if "has *expired*" in m.text)
    await click(world, channel, expired, ids.ACCESS_REVOKE, BOB)

    async def revoked() -> bool:
        return (await world.record()).access_requests[0].state == "revoked"

    await eventually(revoked)
    actions = [e.action for e in (await world.record()).events]
    assert actions[-4:] == ["access_approved", "access_expiry_warning", "access_expired",
                            "access_revoked"]
    assert sum(1 for t in world.posted(channel) if "has *expired*" in t) == 1


async def test_a_reminder_due_while_the_bot_was_down_fires_once_after_restart(make_world):
    first = await make_world(access_expiry_warning="1s")
    channel = await first.declare("sev4 batch-lag")
    await first.incident("access request prod DB write for 2s", channel=channel, user=BOB)
    await first.sender.slash("/approve", "AR-1", user=DAVE, channel=channel)
    await first.delivered()
    await first.stop()  # down before the expiry is due
    await asyncio.sleep(2.5)

    second = await make_world(slack=first.slack)

    async def expired() -> bool:
        await second.delivered()
        return any("has *expired*" in t for t in second.posted(channel))

    await eventually(expired, timeout=5)
    await asyncio.sleep(1)  # several more ticks: nothing fires twice
    await second.delivered()
    assert sum(1 for t in second.posted(channel) if "has *expired*" in t) == 1
    assert [e.action for e in (await second.record()).events].count("access_expired") == 1


async def test_a_reminder_whose_post_fails_is_retried_not_dropped_nor_doubled(make_world):
    world = await make_world(access_expiry_warning="1s")
    channel = await world.declare("sev4 batch-lag")
    await world.incident("access request prod DB write for 1s", channel=channel, user=BOB)
    await world.sender.slash("/approve", "AR-1", user=DAVE, channel=channel)
    await world.delivered()
    world.slack.fault("chat.postMessage", status=500, times=3)

    async def expired() -> bool:
        await world.delivered()
        return any("has *expired*" in t for t in world.posted(channel))

    await eventually(expired, timeout=8)
    assert sum(1 for t in world.posted(channel) if "has *expired*" in t) == 1
