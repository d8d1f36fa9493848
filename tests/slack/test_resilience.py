"""Slack failing (429, 5xx, hanging), restarts and replicas: nothing lost, nothing doubled."""

import asyncio
import time

import pytest

from tests.support.waiting import eventually
from tests.support.world import BOB


def posts_containing(world, channel: str, text: str) -> list[str]:
    return [t for t in world.posted(channel) if text in t]


async def test_rate_limited_log_is_recorded_at_once_and_posted_after_retry_after(world):
    channel = await world.declare()
    world.slack.fault("chat.postMessage", status=429, retry_after=1, times=2)
    started = time.monotonic()
    response = await world.incident("log rate limited but recorded", channel=channel)
    assert response.json["text"] == "Logged."
    assert [e.action for e in (await world.record()).events][-1] == "log"

    await world.delivered()
    assert time.monotonic() - started >= 1.5  # waited out Retry-After twice, did not hammer
    assert len(posts_containing(world, channel, "rate limited but recorded")) == 1
    assert len(world.slack.calls_to("chat.postMessage")) == 1 + 3  # summary + 2 refused + 1


async def test_server_errors_are_retried_until_the_post_lands_once(world):
    channel = await world.declare()
    world.slack.fault("chat.postMessage", status=500, times=3)
    await world.incident("log through the storm", channel=channel)
    await world.delivered()
    assert len(posts_containing(world, channel, "through the storm")) == 1


async def test_a_post_that_timed_out_but_landed_is_not_posted_again(world):
    channel = await world.declare()
    world.slack.fault("chat.postMessage", delay=2.5, times=1)  # past the 1 s client timeout
    await world.incident("log slow slack", channel=channel, user=BOB)
    await world.delivered()
    await asyncio.sleep(2)  # the hung request completes on Slack's side
    await world.delivered()
    assert len(posts_containing(world, channel, "slow slack")) == 1
    assert world.slack.calls_to("conversations.history")  # it looked before posting again


@pytest.mark.over_http  # the ack's time as Slack sees it
async def test_acks_stay_fast_and_nothing_is_lost_while_slack_is_down(world):
    world.slack.outage(status=503)
    response = await world.incident("declare sev1 api-down API returns 503")
    assert response.status == 200 and response.elapsed < 1.0
    assert len(await world.incidents()) == 1

    async def tried() -> bool:
        return bool(world.slack.calls_to("conversations.create"))

    await eventually(tried)  # the channel was asked for while Slack was down
    world.slack.restore()
    await world.delivered()
    channel = world.slack.channel_by_name("inc-1-api-down")
    assert channel is not None and world.slack.pins[channel.id]
    assert len(world.slack.calls_to("conversations.create")) >= 2


@pytest.mark.over_http
async def test_a_hanging_slack_does_not_hold_up_the_ack(world):
    channel = await world.declare()
    world.slack.outage(delay=30)
    response = await world.incident("log slack is hanging", channel=channel)
    assert response.status == 200 and response.elapsed < 1.0
    world.slack.restore()


async def test_owed_posts_survive_a_restart(make_world):
    first = await make_world()
    channel = await first.declare()
    first.slack.outage(status=500)
    await first.incident("log written before the crash", channel=channel)
    await first.stop()  # gone with the post still owed
    first.slack.restore()

    second = await make_world(slack=first.slack)
    await second.delivered()
    assert len(posts_containing(second, channel, "written before the crash")) == 1


async def test_two_replicas_deliver_every_post_exactly_once(make_world):
    one = await make_world()
    two = await make_world(slack=one.slack)
    channel = await one.declare()
    for n in range(20):
        await (one if n % 2 else two).incident(f"log entry {n:02d}", channel=channel)
    await asyncio.gather(one.delivered(), two.delivered())
    for n in range(20):
        assert len(posts_containing(one, channel, f"entry {n:02d}")) == 1


async def test_a_429_pauses_that_method_for_every_incident_not_just_one_call(world):
    first = await world.declare("sev2 first-one")
    second = await world.declare("sev2 second-one")
    world.slack.fault("chat.postMessage", status=429, retry_after=1, times=1)
    await world.incident("log into the first", channel=first)

    async def limited() -> bool:
        return any(c.status == 429 for c in world.slack.calls_to("chat.postMessage"))

    await eventually(limited)
    calls = len(world.slack.calls_to("chat.postMessage"))
    await world.incident("log into the second", channel=second)
    await asyncio.sleep(0.4)  # well inside the second Retry-After asked for
    assert len(world.slack.calls_to("chat.postMessage")) == calls  # waits, does not hammer
    await world.delivered()
    assert len(posts_containing(world, second, "into the second")) == 1
    assert len(posts_containing(world, first, "into the first")) == 1
