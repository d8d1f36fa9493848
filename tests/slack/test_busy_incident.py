"""A busy incident: the channel keeps pace with the record, in order, each entry once,
at about one message a second, and catches up quickly when Slack comes back."""

import asyncio
import time
from datetime import timedelta

import pytest

from tests.support.clock import ShiftedClock
from tests.support.waiting import eventually
from tests.support.world import BOB

SLACK_PACE = timedelta(seconds=1)


@pytest.fixture
def clock() -> ShiftedClock:
    """The bot's time passes as it does, and a story may move it on."""
    return ShiftedClock()


@pytest.fixture
async def world(make_world, clock):
    """At Slack's own pace, one post a second per channel: these stories are about it."""
    return await make_world(pace=SLACK_PACE, clock=clock)


def channel_text(world, channel: str) -> str:
    return "\n".join(world.posted(channel))


def assert_each_once_in_order(world, channel: str, lines: list[str]) -> None:
    text = channel_text(world, channel)
    assert [text.count(line) for line in lines] == [1] * len(lines)
    positions = [text.index(line) for line in lines]
    assert positions == sorted(positions)


async def seconds_to_catch_up_after_restore(world, channel: str, lines: list[str]) -> float:
    world.slack.restore()
    restored = time.monotonic()

    async def caught_up() -> bool:
        return all(line in channel_text(world, channel) for line in lines)

    await eventually(caught_up, timeout=10)
    return time.monotonic() - restored


def posts_to(world, channel: str, since: int = 0) -> list:
    return [c for c in world.slack.calls_to("chat.postMessage")[since:]
            if c.params.get("channel") == channel and c.ok]


async def test_a_burst_of_log_lines_shows_in_order_once_each_in_a_few_messages(world):
    channel = await world.declare()
    before = len(world.slack.calls_to("chat.postMessage"))
    world.slack.fault("chat.postMessage", delay=0.5)  # the first line is on its way a while
    lines = [f"burst line {n:02d}" for n in range(40)]
    for line in lines:
        assert (await world.incident(f"log {line}", channel=channel)).json["text"] == "Logged."
    await world.delivered()

    assert_each_once_in_order(world, channel, lines)
    posts = posts_to(world, channel, before)
    assert "burst line 00" in world.slack.messages(channel)[-len(posts)].shown  # a lone line goes at once
    assert len(posts) <= 3  # the rest waited for that call and went out together
    last = world.slack.messages(channel)[-1]
    carried = last.metadata["event_payload"]["outbox_ids"].split(",")
    assert len(carried) > 1  # the message names every entry it carries


async def test_a_busy_channel_gets_about_one_message_a_second(world):
    channel = await world.declare()
    before = len(world.slack.calls_to("chat.postMessage"))
    lines = [f"steady line {n:02d}" for n in range(30)]
    started = time.monotonic()
    for line in lines:  # three seconds or more of steady logging, a line every 0.1 s
        await world.incident(f"log {line}", channel=channel, user=BOB)
        await asyncio.sleep(0.1)
    logging = time.monotonic() - started
    await world.delivered()

    assert_each_once_in_order(world, channel, lines)
    times = [c.at for c in posts_to(world, channel, before)]
    # One message a second while lines come in, and one more for what came in last.
    assert len(times) <= int(logging) + 2 < len(lines)
    assert all(later - earlier >= 0.9 for earlier, later in zip(times, times[1:], strict=False))


async def test_long_lines_are_spread_over_messages_within_slacks_limits(world):
    channel = await world.declare()
    world.slack.fault("chat.postMessage", delay=0.5)
    lines = [f"long line {n:02d} " + "x" * 1500 for n in range(30)]
    for line in lines:
        await world.incident(f"log {line}", channel=channel)
    await world.delivered()
    # The stand-in refuses a message past 50 blocks or about 13,200 characters of blocks.
    assert_each_once_in_order(world, channel, [line[:13] for line in lines])
    assert all(c.error is None for c in world.slack.calls_to("chat.postMessage"))
    assert len(posts_to(world, channel)) >= 4


async def test_a_batch_whose_answer_was_lost_is_found_and_never_posted_twice(world, clock):
    channel = await world.declare()
    clock.advance(seconds=1.1)  # past the channel's pace
    world.slack.fault("chat.postMessage", delay=0.5)  # slow: the next lines queue behind it
    world.slack.fault("chat.postMessage", delay=2.5)  # past the 1 s timeout, lands all the same
    await world.incident("log pacer", channel=channel)
    lost = [f"lost answer {n}" for n in range(5)]
    for line in lost:
        await world.incident(f"log {line}", channel=channel)
    await asyncio.sleep(1.5)  # the batch of five is in flight now
    later = [f"queued meanwhile {n}" for n in range(5)]
    for line in later:
        await world.incident(f"log {line}", channel=channel)
    await world.delivered()
    await asyncio.sleep(1)
    await world.delivered()

    assert_each_once_in_order(world, channel, ["pacer", *lost, *later])
    # The lines queued behind the slow post went out together (how many depends on how fast
    # the commands came in), in the call whose answer was lost.
    assert any(sum(line in m.shown for line in lost) > 1 for m in world.slack.messages(channel))
    assert world.slack.calls_to("conversations.history")  # it looked before posting again


async def test_after_slack_answers_503_for_a_while_what_is_owed_goes_out_within_seconds(world):
    channel = await world.declare()
    world.slack.outage(status=503)
    lines = [f"during the outage {n}" for n in range(10)]
    for line in lines:
        await world.incident(f"log {line}", channel=channel)
    await asyncio.sleep(4)
    failed = [c.method for c in world.slack.calls if c.status == 503]
    assert failed.count("chat.postMessage") == 1  # then one cheap probe asked for everyone
    assert set(failed) == {"chat.postMessage", "api.test"}

    assert await seconds_to_catch_up_after_restore(world, channel, lines) < 3
    await world.delivered()
    assert_each_once_in_order(world, channel, lines)


@pytest.mark.parametrize("outage", [3, 6])
async def test_after_slack_hangs_what_landed_is_not_posted_again(world, outage):
    channel = await world.declare()
    world.slack.outage(delay=60)  # calls hang past the 1 s timeout, and land when Slack is back
    lines = [f"hung line {n}" for n in range(5)]
    for line in lines:
        await world.incident(f"log {line}", channel=channel)
    await asyncio.sleep(outage)
    assert await seconds_to_catch_up_after_restore(world, channel, lines) < 4
    await world.delivered()
    await asyncio.sleep(0.5)
    assert_each_once_in_order(world, channel, lines)


async def test_two_replicas_share_a_busy_channel_and_show_every_line_once(make_world):
    one = await make_world(pace=SLACK_PACE)
    two = await make_world(slack=one.slack, pace=SLACK_PACE)
    channel = await one.declare()
    lines = [f"replica line {n:02d}" for n in range(40)]
    await asyncio.gather(*(
        (one if n % 2 else two).incident(f"log {line}", channel=channel)
        for n, line in enumerate(lines)))
    await asyncio.gather(one.delivered(), two.delivered())
    text = channel_text(one, channel)
    assert [text.count(line) for line in lines] == [1] * len(lines)
    times = [c.at for c in posts_to(one, channel)[2:]]  # after the summary and first line
    assert all(later - earlier >= 0.9 for earlier, later in zip(times, times[1:], strict=False))
