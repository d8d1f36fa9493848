"""Long text, up to Slack's 4,000-character command text, reaches the channel whole: people
reading it see every character they typed, split across sections, never cut."""

import json
import re

import pytest

from bot.slack import ids
from bot.slack.posting import BLOCKS_BUDGET, MAX_BLOCKS
from tests.support.world import BOB, DAVE


def typed(size: int, seed: str = "r") -> str:
    """What someone pastes: full of `&`, `<`, `>`, newlines and would-be pings."""
    rows = [f"{seed}{n:03d} if a<b && c>d: <!channel> & <@U0BOB> -> \"ok\" & done"
            for n in range(size // 50 + 1)]
    return "\n".join(rows)[:size - 1] + "."


TYPED = typed(3900)


def unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def read(message) -> str:
    """What a person reads in a message, unescaped: the text of its sections in order (a text
    split across sections broke after a blank, so the pieces join as they are), or its text
    when it has no blocks. Each piece is unescaped alone: an escape cut in two would show."""
    if not message.blocks:
        return unescape(message.text)
    pieces = [b["text"]["text"] for b in message.blocks if b["type"] == "section" and "text" in b]
    assert all(len(piece) <= 3000 for piece in pieces)
    shown = ""
    for piece in map(unescape, pieces):
        shown += piece if not shown or shown[-1].isspace() else "\n" + piece
    return shown


def sections_of(message) -> int:
    return sum(1 for b in message.blocks or [] if b["type"] == "section")


def said_after(world, channel: str, pattern: str) -> str:
    """What follows `pattern` in the last message that says it (it may share the message
    with other entries)."""
    found = [m for m in world.slack.messages(channel) if re.search(pattern, read(m))]
    assert found, f"no message matches {pattern!r}"
    assert sections_of(found[-1]) > 1  # it did take more than one section
    shown = read(found[-1])
    return shown[re.search(pattern, shown).end():]


@pytest.mark.parametrize(("command", "pattern"), [
    ("log {}", r":memo: `\d\d:\d\d UTC` \*alice\*: "),
    ("update {}", r":mega: \*Status update\* from alice: "),
    ("action {}", r":white_check_mark: Action item #1 by alice: "),
    ("status acknowledged {}", r":large_orange_circle: \*alice\* moved the incident from new to "
                               r"\*acknowledged\*\. Reason: "),
    ("severity sev2 {}", r":rotating_light: \*alice\* changed severity \S+ → \*\S+\*\. Reason: "),
], ids=["log", "update", "action", "status", "severity"])
async def test_a_long_text_arrives_whole_in_the_channel(world, command, pattern):
    channel = await world.declare()
    response = await world.incident(command.format(TYPED), channel=channel)
    assert response.status == 200
    await world.delivered()
    assert said_after(world, channel, pattern) == TYPED
    assert world.slack.pings(channel) == []  # the `<!channel>` typed is shown, not sent


async def test_a_long_update_arrives_whole_in_the_announce_channel(make_world):
    world = await make_world(announce_channel="ops")
    channel = await world.declare()
    await world.incident(f"update {TYPED}", channel=channel)
    await world.delivered()
    announced = said_after(world, world.ops, r":mega: \*INC-1\* \(SEV1\) update: ")
    assert announced == f"{TYPED} (<#{channel}>)"
    assert said_after(world, channel, r":mega: \*Status update\* from alice: ") == TYPED


async def test_a_long_root_cause_shows_whole_when_resolving_and_in_the_pinned_summary(world):
    channel = await world.declare()
    response = await world.incident(f"resolve {TYPED}", channel=channel)
    assert response.json["text"].startswith("Resolved.")
    await world.delivered()
    resolved = said_after(world, channel, r":large_green_circle: \*alice\* resolved the incident\. "
                                          r"Root cause: ")
    assert resolved == TYPED or resolved.startswith(TYPED + "\n")  # whatever follows is ours
    summary = world.slack.messages(channel)[0]
    assert summary.blocks[0]["type"] == "header"
    assert read(summary) == "*Root cause*\n" + TYPED
    assert world.slack.pings(channel) == []


async def test_a_long_access_reason_shows_whole_with_its_buttons_and_after_approval(world):
    channel = await world.declare()
    reason = typed(3900 - len("access request prod DB write for 2h because "), seed="q")
    await world.incident(f"access request prod DB write for 2h because {reason}",
                         channel=channel, user=BOB)
    await world.delivered()
    message = world.slack.messages(channel)[-1]
    assert f"requests *prod DB write* for 2h\nBecause: {reason}\nApprovers: " in read(message)
    assert sections_of(message) > 2
    assert [e["action_id"] for e in message.blocks[-1]["elements"]] == [ids.ACCESS_APPROVE, ids.ACCESS_DENY]

    await world.sender.slash("/approve", "AR-1", user=DAVE, channel=channel)
    await world.delivered()
    updated = next(m for m in world.slack.messages(channel) if m.ts == message.ts)
    assert updated.edits and f"for 2h\nBecause: {reason}" in read(updated)
    assert all(b["type"] != "actions" for b in updated.blocks)


async def test_a_burst_of_long_lines_packs_within_limits_in_order_each_once_and_whole(world):
    channel = await world.declare()
    world.slack.fault("chat.postMessage", delay=0.5)  # the first is on its way; the rest queue
    lines = [typed(size, seed=f"b{n:02d}-") for n, size in
             enumerate([3900, 40, 2500, 3900, 1200, 40, 3900, 2500, 40, 3900])]
    for line in lines:
        assert (await world.incident(f"log {line}", channel=channel)).json["text"] == "Logged."
    await world.delivered()

    posts = [c for c in world.slack.calls_to("chat.postMessage") if c.params.get("channel") == channel]
    assert all(c.ok for c in posts)
    messages = world.slack.messages(channel)[1:]  # after the summary
    shown = [read(m) for m in messages]
    where = []
    for line in lines:
        holding = [n for n, text in enumerate(shown) if line in text]
        assert len(holding) == 1 and shown[holding[0]].count(line) == 1  # once, whole, in one message
        where.append((holding[0], shown[holding[0]].index(line)))
    assert where == sorted(where)  # in order
    assert len(messages) < len(lines)  # still packed together
    for message in messages:
        carried = message.metadata["event_payload"]["outbox_ids"].split(",")
        assert len(carried) == sum(1 for line in lines if line in read(message))
        if message.blocks:
            assert len(message.blocks) <= MAX_BLOCKS
            assert len(json.dumps(message.blocks, ensure_ascii=False)) <= BLOCKS_BUDGET


async def test_a_line_that_escaping_grows_past_one_message_still_arrives_whole(world):
    channel = await world.declare()
    await world.incident("log " + "&" * 3990, channel=channel)  # 19,950 characters escaped
    await world.delivered()
    message = world.slack.messages(channel)[-1]
    assert message.blocks in (None, [])  # what blocks cannot hold, the message text does
    assert re.sub(r":memo: `\d\d:\d\d UTC` \*alice\*: ", "", read(message)) == "&" * 3990


async def test_a_root_cause_escaping_grows_past_one_message_still_shows_whole(world):
    channel = await world.declare()
    cause = ("&&&&&&&& <!here> " * 234).strip()  # 3,977 characters typed, 12,869 escaped
    await world.incident(f"resolve {cause}", channel=channel)
    await world.delivered()
    summary = world.slack.messages(channel)[0]
    assert summary.edits and not summary.blocks  # an update that drops the blocks it had
    assert f"*Root cause*\n{cause}" in read(summary)
    assert any(f"Root cause: {cause}" in read(m) for m in world.slack.messages(channel)[1:])
    assert world.slack.pings(channel) == []
