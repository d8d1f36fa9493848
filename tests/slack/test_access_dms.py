"""Approvers where they are: each access request in every approver's DM, decided from any copy,
every copy kept up to date, and the requester told in a DM."""

import asyncio

from bot.slack import ids
from tests.slack.test_access_flow import click
from tests.support.waiting import eventually
from tests.support.world import BOB, CAROL, DAVE


def shown(message) -> str:
    return "\n".join(e["text"] for b in message.blocks
                     for e in ([b["text"]] if "text" in b else []) + b.get("elements", [])
                     if e.get("type") == "mrkdwn")


def buttons(message) -> list[str]:
    return [e["text"]["text"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]


def now_shown(world, message):
    """The message as it is now, after any updates."""
    return next(m for m in world.slack.messages(message.channel) if m.ts == message.ts)


async def requested(world, user: str = BOB) -> str:
    channel = await world.declare()
    await world.incident("access request prod DB write for 2h because kill sessions",
                         channel=channel, user=user)
    await world.delivered()
    return channel


async def state_is(world, state: str) -> None:
    async def reached() -> bool:
        return (await world.record()).access_requests[0].state == state

    await eventually(reached)
    await world.delivered()


async def test_a_request_reaches_each_approver_by_dm_with_the_same_buttons(world):
    channel = await requested(world)
    in_channel = world.slack.messages(channel)[-1]
    for approver in (DAVE, CAROL):
        [copy] = world.slack.direct_messages(approver)
        assert buttons(copy) == ["Approve", "Deny"]
        assert "*AR-1* <@U0BOB> requests *prod DB write* for 2h\nBecause: kill sessions" in shown(copy)
        assert f"INC-1 · SEV1 · Primary DB down · <#{channel}>" in shown(copy)
        assert shown(in_channel) in shown(copy)  # the same request, and where it comes from
    assert world.slack.direct_messages(BOB) == []


async def test_an_approver_asking_gets_no_copy_of_their_own_request(world):
    await requested(world, user=DAVE)
    assert world.slack.direct_messages(DAVE) == []
    assert len(world.slack.direct_messages(CAROL)) == 1


async def test_approving_from_a_dm_updates_the_channel_and_every_copy_and_tells_the_requester(world):
    channel = await requested(world)
    request_message = world.slack.messages(channel)[-1]
    [daves], [carols] = world.slack.direct_messages(DAVE), world.slack.direct_messages(CAROL)
    await click(world, daves.channel, daves, ids.ACCESS_APPROVE, DAVE)
    await state_is(world, "approved")

    for message in (request_message, daves, carols):
        now = now_shown(world, message)
        assert now.edits and buttons(now) == []
        assert "approved by dave · expires" in shown(now)
    [told] = world.slack.direct_messages(BOB)
    assert told.text.startswith(f":unlock: Your request AR-1 *prod DB write* in INC-1 (<#{channel}>) "
                                "was approved by dave, until ")
    assert any("AR-1 *prod DB write* approved by dave" in t for t in world.posted(channel))


async def test_the_second_approver_is_told_politely_and_nothing_is_recorded(world):
    channel = await requested(world)
    [daves], [carols] = world.slack.direct_messages(DAVE), world.slack.direct_messages(CAROL)
    await click(world, daves.channel, daves, ids.ACCESS_APPROVE, DAVE)
    await state_is(world, "approved")
    before = len((await world.record()).events)
    posts = len(world.slack.messages(channel))

    # Buttons still shown a moment ago: her copy, and the channel message, before they updated.
    request_message = world.slack.messages(channel)[1]
    for where, ts, action_id in ((carols.channel, carols.ts, ids.ACCESS_APPROVE),
                                 (channel, request_message.ts, ids.ACCESS_DENY)):
        await world.sender.block_action(user=CAROL, channel=where, message_ts=ts,
                                        action_id=action_id, value="1", block_id="access:1")

    async def answered() -> bool:
        return len(world.slack.responses) == 2

    await eventually(answered)
    assert [r["text"] for r in world.slack.responses] == [
        f"AR-1 was already approved by <@{DAVE}>. Nothing changed."] * 2
    assert all(r["response_type"] == "ephemeral" for r in world.slack.responses)
    await world.delivered()
    assert len((await world.record()).events) == before
    assert len(world.slack.messages(channel)) == posts
    assert len(world.slack.direct_messages(BOB)) == 1


async def test_deny_from_a_dm_and_the_requester_hears_why(world):
    channel = await requested(world)
    [carols] = world.slack.direct_messages(CAROL)
    # In the DM with the bot, the request id says which incident.
    answer = await world.incident("access deny AR-1 use the read replica", channel=carols.channel,
                                  user=CAROL)
    assert answer.json["text"] == "AR-1 denied."
    await world.delivered()
    for message in (world.slack.messages(channel)[1], carols, world.slack.direct_messages(DAVE)[0]):
        now = now_shown(world, message)
        assert buttons(now) == [] and "denied by carol" in shown(now)
    [told] = world.slack.direct_messages(BOB)
    assert told.text == (f":no_entry: Your request AR-1 *prod DB write* in INC-1 (<#{channel}>) was "
                         "denied by carol. Note: use the read replica")
    assert (await world.record()).access_requests[0].decision_note == "use the read replica"


async def test_deny_by_button_in_a_dm(world):
    await requested(world)
    [daves] = world.slack.direct_messages(DAVE)
    await click(world, daves.channel, daves, ids.ACCESS_DENY, DAVE)
    await state_is(world, "denied")
    assert "denied by dave" in shown(now_shown(world, world.slack.direct_messages(CAROL)[0]))
    assert world.slack.direct_messages(BOB)[0].text.endswith("was denied by dave.")


async def test_approve_in_the_channel_updates_the_dm_copies_too(world):
    channel = await requested(world)
    answer = await world.sender.slash("/approve", "AR-1 for 1h", user=CAROL, channel=channel)
    assert answer.json["text"].startswith("AR-1 approved until ")
    await world.delivered()
    for approver in (DAVE, CAROL):
        [copy] = world.slack.direct_messages(approver)
        assert copy.edits and buttons(copy) == [] and "approved by carol" in shown(copy)


async def test_a_repeated_delivery_of_a_click_in_a_dm_records_once(world):
    await requested(world)
    [daves] = world.slack.direct_messages(DAVE)
    for _ in range(2):
        await world.sender.block_action(user=DAVE, channel=daves.channel, message_ts=daves.ts,
                                        action_id=ids.ACCESS_APPROVE, value="1",
                                        block_id="access:1", action_ts="1700000000.000002")
    await state_is(world, "approved")
    await asyncio.sleep(0.3)
    await world.delivered()
    assert [e.action for e in (await world.record()).events].count("access_approved") == 1
    assert world.slack.responses == []
    assert len(world.slack.direct_messages(BOB)) == 1


async def test_slack_failing_on_dm_copies_loses_and_doubles_none(world):
    world.slack.fault("chat.postMessage", status=500, times=3)
    channel = await requested(world)
    for approver in (DAVE, CAROL):
        assert len(world.slack.direct_messages(approver)) == 1
    # Now posts that land though their answer never comes back: found by their tag, not posted again.
    world.slack.fault("chat.postMessage", delay=1.5, times=3)
    await world.incident("access request root on db-2 for 30m", channel=channel, user=BOB)
    await world.delivered()
    for approver in (DAVE, CAROL):
        assert [m.text for m in world.slack.direct_messages(approver)] == [
            "AR-1 prod DB write: pending", "AR-2 root on db-2: pending"]
    # Their ts was learnt all the same: a decision updates them in place.
    await world.sender.slash("/approve", "AR-2", user=DAVE, channel=channel)
    await world.delivered()
    assert "approved by dave" in shown(world.slack.direct_messages(CAROL)[1])
    assert buttons(world.slack.direct_messages(CAROL)[0]) == ["Approve", "Deny"]


async def test_the_requester_gets_the_expiry_warning_by_dm_and_may_revoke_from_it(make_world):
    world = await make_world(access_expiry_warning="2s")
    channel = await world.declare("sev4 batch-lag")  # a 4h nudge keeps the channel quiet
    await world.incident("access request prod DB write for 3s", channel=channel, user=BOB)
    await world.sender.slash("/approve", "AR-1", user=DAVE, channel=channel)

    async def warned() -> bool:
        await world.delivered()
        return len(world.slack.direct_messages(BOB)) == 2

    await eventually(warned, timeout=5)
    warning = world.slack.direct_messages(BOB)[-1]
    assert warning.text.startswith(f":warning: Your access AR-1 *prod DB write* in INC-1 "
                                   f"(<#{channel}>) expires at ")
    assert f"ask an approver (<@{DAVE}>) to extend it" in warning.text
    assert buttons(warning) == ["Revoke"]  # the requester may revoke, never extend
    await click(world, warning.channel, warning, ids.ACCESS_REVOKE, BOB)
    await state_is(world, "revoked")
    for approver in (DAVE, CAROL):
        assert ":lock: revoked" in shown(world.slack.direct_messages(approver)[0])
    assert [e.action for e in (await world.record()).events][-3:] == [
        "access_approved", "access_expiry_warning", "access_revoked"]


async def test_approve_typed_in_a_dm_with_the_bot(world):
    channel = await requested(world)
    [daves] = world.slack.direct_messages(DAVE)
    answer = await world.sender.slash("/approve", "AR-1", user=DAVE, channel=daves.channel)
    assert answer.json["text"].startswith("AR-1 approved until ")
    await world.delivered()
    assert "approved by dave" in shown(now_shown(world, world.slack.messages(channel)[1]))
    nothing = await world.sender.slash("/approve", "", user=DAVE, channel=daves.channel)
    assert "not an incident channel" in nothing.json["text"]
