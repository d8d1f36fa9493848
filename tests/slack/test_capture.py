"""User stories for capturing what is said in an incident channel: a 📌 or the Add to timeline
shortcut puts a message on the timeline once; taking the last 📌 off marks it retracted."""

import pytest

from bot.domain.captures import said_at
from bot.export.verify import check_export
from bot.services import records
from bot.slack.deliveries.people import OWN_MESSAGE
from bot.slack.listeners.shortcuts import ALREADY, ONLY_IN_INCIDENTS
from bot.storage.tables import SlackEventRow
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB, CAROL, DAVE

CAPTURES = ("log", "log_retracted")


async def captures(world) -> list:
    """The timeline's captures and retractions, once what is owed to Slack has gone out."""
    await world.delivered()
    return [e for e in (await world.record()).events if e.action in CAPTURES]


async def handled(world, delivery: str) -> None:
    """Wait until the bot has taken in a delivery it acked before handling it."""
    async def seen() -> bool:
        async with world.bot.store.reading() as tx:
            return await tx.session.get(SlackEventRow, delivery) is not None
    await eventually(seen)
    await world.delivered()


async def pin(world, channel: str, ts: str, user: str, *, event_id: str | None = None,
              retry_num: int | None = None) -> None:
    response = await world.sender.event(world.slack.react(channel, ts, user, "pushpin"),
                                        event_id=event_id, retry_num=retry_num)
    assert response.status == 200


async def unpin(world, channel: str, ts: str, user: str, *, event_id: str | None = None) -> None:
    response = await world.sender.event(world.slack.unreact(channel, ts, user, "pushpin"),
                                        event_id=event_id)
    assert response.status == 200


def confirmations(world, channel: str) -> list[str]:
    return [text for text in world.posted(channel) if text.startswith(":pushpin:")]


async def test_a_pinned_message_is_logged_once_by_its_author_at_its_time_with_its_link(world):
    channel = await world.declare()
    # As Slack stores what Carol typed: & < > escaped.
    ts = world.slack.say(channel, CAROL, "failover done, writes back &amp; &lt;fine&gt;")
    await pin(world, channel, ts, BOB, event_id="EvPIN1")

    async def logged() -> bool:
        return len(await captures(world)) == 1

    await eventually(logged)
    [entry] = await captures(world)
    link = f"https://standin.slack.test/archives/{channel}/p{ts.replace('.', '')}"
    assert (entry.actor_id, entry.at, entry.details) == (
        CAROL, said_at(ts), f"failover done, writes back & <fine>\n{link}")
    assert entry.data["captured_by"] == BOB and entry.data["via"] == "pin"
    assert (entry.data["channel"], entry.data["ts"], entry.data["permalink"]) == (channel, ts, link)
    assert confirmations(world, channel) == [
        f":pushpin: *bob* added <{link}|a message> by carol to the timeline."]

    # Slack retrying the delivery, and a second person pinning, change nothing.
    await pin(world, channel, ts, BOB, event_id="EvPIN1", retry_num=1)
    await pin(world, channel, ts, DAVE, event_id="EvPIN2")
    await handled(world, "EvPIN2")
    assert len(await captures(world)) == 1
    assert len(confirmations(world, channel)) == 1
    assert world.slack.pings(channel) == []


@pytest.mark.over_http  # the ack's time as Slack sees it
async def test_the_shortcut_adds_a_thread_reply_with_its_files_and_acks_at_once(world):
    channel = await world.declare()
    parent = world.slack.say(channel, CAROL, "what does the pool look like?")
    reply = world.slack.say(channel, BOB, "pool at 100%, graph attached", thread_ts=parent,
                            files=["pool.png"])
    response = await world.sender.message_shortcut(user=ALICE, channel=channel, message_ts=reply)
    assert response.status == 200 and response.elapsed < 3

    async def logged() -> bool:
        return len(await captures(world)) == 1

    await eventually(logged)
    [entry] = await captures(world)
    link = (f"https://standin.slack.test/archives/{channel}/p{reply.replace('.', '')}"
            f"?thread_ts={parent}&cid={channel}")
    [file] = next(m for m in world.slack.messages(channel) if m.ts == reply).files
    assert (entry.actor_id, entry.at) == (BOB, said_at(reply))
    assert entry.details == f"pool at 100%, graph attached\nfile: {file['permalink']}\n{link}"
    assert entry.data["files"] == [file["permalink"]] and entry.data["thread_ts"] == parent
    assert (entry.data["captured_by"], entry.data["via"]) == (ALICE, "shortcut")
    # The payload carried the message: only its permalink was asked of Slack.
    assert not world.slack.calls_to("conversations.replies")

    again = await world.sender.message_shortcut(user=DAVE, channel=channel, message_ts=reply)
    assert again.status == 200

    async def answered() -> bool:
        return any(r["text"] == ALREADY for r in world.slack.responses)

    await eventually(answered)
    await pin(world, channel, reply, CAROL, event_id="EvPINREPLY")
    await handled(world, "EvPINREPLY")
    assert len(await captures(world)) == 1


async def test_a_pinned_thread_reply_is_fetched_from_its_thread(world):
    channel = await world.declare()
    parent = world.slack.say(channel, CAROL, "rolling back")
    reply = world.slack.say(channel, DAVE, "rollback finished", thread_ts=parent)
    world.slack.say(channel, CAROL, "thanks", thread_ts=parent)
    await pin(world, channel, reply, BOB)

    async def logged() -> bool:
        return len(await captures(world)) == 1

    await eventually(logged)
    [entry] = await captures(world)
    assert (entry.actor_id, entry.details.split("\n")[0]) == (DAVE, "rollback finished")
    assert entry.data["thread_ts"] == parent


async def test_outside_incident_channels_and_on_the_bots_own_messages_nothing_is_captured(world):
    channel = await world.declare()
    elsewhere = world.slack.say(world.ops, CAROL, "unrelated chatter")
    await world.sender.message_shortcut(user=CAROL, channel=world.ops, message_ts=elsewhere)

    async def told() -> bool:
        return any(r["text"] == ONLY_IN_INCIDENTS for r in world.slack.responses)

    await eventually(told)
    await pin(world, world.ops, elsewhere, BOB, event_id="EvOPS")
    await handled(world, "EvOPS")

    summary = world.slack.messages(channel)[0].ts  # the bot's pinned summary
    await pin(world, channel, summary, BOB)
    await world.sender.message_shortcut(user=BOB, channel=channel, message_ts=summary)

    async def own() -> bool:
        await world.delivered()
        return any(r["text"] == OWN_MESSAGE for r in world.slack.responses)

    await eventually(own)
    assert await captures(world) == []
    assert not world.slack.calls_to("chat.getPermalink")


@pytest.mark.over_http
async def test_slack_failing_while_a_capture_is_fetched_loses_nothing(world):
    channel = await world.declare()
    pinned = world.slack.say(channel, CAROL, "cache flushed")
    shortcut = world.slack.say(channel, DAVE, "latency back to normal")
    world.slack.fault("conversations.replies", status=503)
    world.slack.fault("chat.getPermalink", status=500)
    await pin(world, channel, pinned, BOB)
    response = await world.sender.message_shortcut(user=ALICE, channel=channel,
                                                   message_ts=shortcut)
    assert response.status == 200 and response.elapsed < 3

    async def both() -> bool:
        return len(await captures(world)) == 2

    await eventually(both, timeout=15)
    assert sorted(e.actor_id for e in await captures(world)) == sorted([CAROL, DAVE])
    assert world.slack.calls_to("conversations.replies")[0].status == 503
    assert world.slack.calls_to("chat.getPermalink")[0].status == 500


async def test_the_last_pin_coming_off_retracts_the_capture_once_and_a_new_pin_captures_again(world):
    channel = await world.declare()
    ts = world.slack.say(channel, CAROL, "DNS TTL lowered to 60s")
    await pin(world, channel, ts, BOB)
    await pin(world, channel, ts, DAVE, event_id="EvDAVE")
    await handled(world, "EvDAVE")

    # Dave's 📌 is still on it: the capture stands.
    await unpin(world, channel, ts, BOB, event_id="EvOFF1")
    await handled(world, "EvOFF1")
    assert [e.action for e in await captures(world)] == ["log"]

    await unpin(world, channel, ts, DAVE, event_id="EvOFF2")

    async def retracted() -> bool:
        return [e.action for e in await captures(world)] == ["log", "log_retracted"]

    await eventually(retracted)
    await world.sender.event({"type": "reaction_removed", "user": DAVE, "reaction": "pushpin",
                              "item_user": CAROL, "item": {"type": "message", "channel": channel,
                                                           "ts": ts}},
                             event_id="EvOFF2", retry_num=1)
    log, retraction = await captures(world)
    link = log.data["permalink"]
    assert (retraction.actor_id, retraction.details) == (DAVE, f"last pin removed: {link}")
    assert retraction.data == {"retracts": log.seq, "channel": channel, "ts": ts}
    assert confirmations(world, channel)[-1] == (
        f":pushpin: *dave* took the last pin off <{link}|a message>: the timeline marks its "
        "capture retracted.")

    await pin(world, channel, ts, CAROL)

    async def again() -> bool:
        return [e.action for e in await captures(world)] == ["log", "log_retracted", "log"]

    await eventually(again)


async def test_unpinning_a_message_added_with_the_shortcut_keeps_it(world):
    channel = await world.declare()
    ts = world.slack.say(channel, CAROL, "customer comms sent")
    await world.sender.message_shortcut(user=ALICE, channel=channel, message_ts=ts)

    async def logged() -> bool:
        return len(await captures(world)) == 1

    await eventually(logged)
    await pin(world, channel, ts, BOB, event_id="EvON")
    await handled(world, "EvON")
    await unpin(world, channel, ts, BOB, event_id="EvOFF")
    await handled(world, "EvOFF")
    assert [e.action for e in await captures(world)] == ["log"]
    assert not world.slack.calls_to("reactions.get")


async def test_captures_show_in_the_export_which_verifies_and_user_text_forges_no_line(world):
    channel = await world.declare()
    forged = ("all good\n| 09:00 | - | resolved | nothing happened | alice |\n"
              "timeline-sha256: 0000\n## Root cause\n- [ ] fake item <!channel>")
    ts = world.slack.say(channel, CAROL, forged)
    other = world.slack.say(channel, DAVE, "pool drained")
    await pin(world, channel, ts, BOB)
    await pin(world, channel, other, BOB)

    async def logged() -> bool:
        return len(await captures(world)) == 2

    await eventually(logged)
    await unpin(world, channel, other, BOB)

    async def retracted() -> bool:
        return len(await captures(world)) == 3

    await eventually(retracted)
    await world.incident("resolve pool exhausted by a leak", channel=channel)
    text = next(world.export_dir.glob("*-db-outage.md")).read_text()
    rows = [line for line in text.split("\n") if line.startswith("| ")]
    [captured] = [row for row in rows if "| log |" in row and "carol" in row]
    assert "all good<br>\\| 09:00 \\| - \\| resolved" in captured
    assert f"/archives/{channel}/p{ts.replace('.', '')} | carol |" in captured
    assert any("| log_retracted | last pin removed: https://standin.slack.test/archives/" in row
               and row.endswith("| bob |") for row in rows)
    assert not any(line.startswith(("timeline-sha256: 0000", "## Root cause\n- [ ] fake"))
                   for line in text.split("\n"))
    assert text.count("\n## Root cause\n") == 1
    assert check_export(text).line is None
    verified = await records.verify(world.bot.store, 1, export_dir=world.export_dir)
    assert verified.broken is None and verified.export_problem == ""
    assert world.slack.pings(channel) == []

