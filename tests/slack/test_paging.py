"""Paging and escalation in a running bot, by signed Slack requests, against the Slack and PagerDuty
stand-ins: `/incident page`, Join, acknowledgement deadlines, executives, restarts, replicas."""

import asyncio
from datetime import timedelta

import aiohttp
import pytest

from bot.config import ConfigError, load_settings
from bot.slack import ids, parsing
from bot.standin.pagerduty import FakePagerDuty
from tests.support.clock import ShiftedClock
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB, CAROL, DAVE

DB_KEY = "d" * 32
NETWORK_KEY = "n" * 32
ESCALATION_KEY = "e" * 32


@pytest.fixture
async def pagerduty():
    async with FakePagerDuty() as api:
        yield api


async def paging_world(make_world, pagerduty, **settings):
    world = await make_world(**{
        "pagerduty_events_url": pagerduty.url,
        "pagerduty_services": f"db={DB_KEY}, network={NETWORK_KEY}",
        "pagerduty_routing_key": ESCALATION_KEY,
        "escalation_users": f"{CAROL},{DAVE}", "exec_channel": "exec", **settings})
    if world.slack.channel_by_name("exec") is None:
        world.slack.add_channel("exec", creator=ALICE, members=[ALICE, world.slack.bot_user_id])
    return world


@pytest.fixture
async def world(pagerduty, make_world):
    return await paging_world(make_world, pagerduty)


async def metrics(world) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"{world.bot.url}/metrics") as answer:
        return await answer.text()


async def click_join(world, user: str, message) -> None:
    actions = next(b for b in message.blocks if b["type"] == "actions")
    join = next(e for e in actions["elements"] if e["action_id"] == ids.JOIN)
    assert join["text"]["text"] == "Join"
    response = await world.sender.block_action(
        user=user, channel=message.channel, message_ts=message.ts, action_id=ids.JOIN,
        value=join["value"], block_id=actions["block_id"])
    assert response.status == 200


# paging a service --------------------------------------------------------------------------------
async def test_paging_a_service_sends_one_trigger_with_the_incident(world, pagerduty):
    channel = await world.declare()
    response = await world.incident("page db pool is exhausted", channel=channel, user=BOB)
    assert response.json["text"] == "Paging `db` on PagerDuty."
    await world.delivered()
    assert len(pagerduty.events) == 1
    event = pagerduty.events[0]
    assert event["routing_key"] == DB_KEY and event["event_action"] == "trigger"
    assert event["dedup_key"] == "INC-1"
    payload = event["payload"]
    assert payload["summary"] == "INC-1 SEV1: Primary DB down — pool is exhausted"
    assert (payload["source"], payload["severity"]) == ("incident-bot", "critical")
    assert payload["custom_details"]["by"] == BOB
    assert event["links"][0]["href"] == f"https://slack.com/app_redirect?channel={channel}"
    assert pagerduty.alert(DB_KEY, "INC-1").status == "triggered"
    assert any(t == ":pager: *bob* paged *db* on PagerDuty: pool is exhausted"
               for t in world.posted(channel))
    record = await world.record()
    assert [e.details for e in record.events if e.action == "paged"] == [
        "db (PagerDuty): pool is exhausted"]


@pytest.mark.parametrize(("sev", "severity"), [("sev2", "error"), ("sev3", "warning"),
                                               ("sev4", "info")])
async def test_the_pagerduty_severity_follows_the_incident(world, pagerduty, sev, severity):
    channel = await world.declare(f"{sev} slow-api API slow")
    await world.incident("page NETWORK", channel=channel)
    await world.delivered()
    assert [(e["routing_key"], e["payload"]["severity"]) for e in pagerduty.events] == [
        (NETWORK_KEY, severity)]


async def test_the_same_page_delivered_twice_is_sent_once(world, pagerduty):
    channel = await world.declare()
    first = await world.sender.slash("/incident", "page db", user=BOB, channel=channel,
                                     trigger_id="1.2.same")
    again = await world.sender.slash("/incident", "page db", user=BOB, channel=channel,
                                     trigger_id="1.2.same")
    assert first.json["text"] == "Paging `db` on PagerDuty."
    assert again.json["text"].startswith("Already recorded")
    await world.delivered()
    assert len(pagerduty.events) == 1
    assert sum(1 for e in (await world.record()).events if e.action == "paged") == 1


async def test_an_unknown_service_answers_with_the_services_and_records_nothing(world, pagerduty):
    channel = await world.declare()
    before = len((await world.record()).events)
    response = await world.incident("page payments help", channel=channel)
    text = response.json["text"]
    assert "`payments` is not a PagerDuty service here. Services: `db`, `network`." in text
    assert "/incident page <service|@user> [message]" in text
    await world.delivered()
    assert len((await world.record()).events) == before and pagerduty.received == []


async def test_429_then_500_then_202_is_retried_and_delivered_once(world, pagerduty):
    channel = await world.declare()
    pagerduty.fault(status=429, retry_after=1)
    pagerduty.fault(status=500)
    await world.incident("page db", channel=channel)
    await world.incident("log Slack keeps pace meanwhile", channel=channel)

    async def delivered() -> bool:
        return len(pagerduty.events) == 1

    await eventually(delivered, timeout=10)
    assert [r.status for r in pagerduty.received] == [429, 500, 202]
    assert pagerduty.received[1].at - pagerduty.received[0].at >= 0.9  # Retry-After honoured
    # PagerDuty failing never made the bot take Slack for down.
    assert world.bot.slack_api.failing_since is None
    assert not world.slack.calls_to("api.test")
    assert any("Slack keeps pace meanwhile" in t for t in world.posted(channel))
    await world.delivered()
    await asyncio.sleep(0.5)
    assert len(pagerduty.received) == 3
    shown = await metrics(world)
    for outcome in ("rate_limited", "server_error", "accepted"):
        assert f'incident_bot_pagerduty_events_total{{action="trigger",outcome="{outcome}"}} 1.0' in shown


async def test_a_refused_event_is_given_up_logged_and_counted(world, pagerduty):
    channel = await world.declare()
    pagerduty.fault(status=400)
    await world.incident("page db", channel=channel)
    await world.delivered()  # nothing stays owed: given up, not retried for ever
    await asyncio.sleep(0.5)
    assert [r.status for r in pagerduty.received] == [400]
    shown = await metrics(world)
    assert 'incident_bot_pagerduty_events_total{action="trigger",outcome="rejected"} 1.0' in shown
    assert 'incident_bot_outbox_failed{kind="pagerduty"} 1.0' in shown


async def test_a_pagerduty_that_does_not_answer_is_retried_and_slack_is_not_held(world, pagerduty):
    world.bot.pager.timeout = world.bot.pager.timeout / 20
    channel = await world.declare()
    pagerduty.fault(delay=1.5)  # longer than the client waits
    await world.incident("page db", channel=channel)
    await world.incident("log still flowing", channel=channel)

    async def delivered() -> bool:
        return any(r.status == 202 for r in pagerduty.received[1:])

    await eventually(delivered, timeout=10)
    assert world.bot.slack_api.failing_since is None
    assert any("still flowing" in t for t in world.posted(channel))
    # The slow answer landed as well: a trigger twice is still one alert, on one dedup_key.
    await asyncio.sleep(1.0)
    assert len(pagerduty.alerts) == 1
    assert 'outcome="unreachable"} 1.0' in await metrics(world)


# paging a person -------------------------------------------------------------------------------
async def test_paging_a_person_sends_a_dm_with_join_and_join_invites_them(world):
    channel = await world.declare()
    response = await world.incident("page <@U0DAVE|dave> can you check replication?",
                                    channel=channel, user=BOB)
    assert response.json["text"] == f"Paging <@{DAVE}> by DM, with a button to join the channel."
    await world.delivered()
    dms = world.slack.direct_messages(DAVE)
    assert len(dms) == 1
    assert dms[0].shown.startswith(":pager: *bob* is paging you about INC-1 "
                                   f"(<#{channel}>) · SEV1 · Primary DB down: can you check "
                                   "replication?")
    assert DAVE not in world.slack.channels[channel].members
    assert any(t == f":pager: *bob* paged <@{DAVE}> by DM: can you check replication?"
               for t in world.posted(channel))

    await click_join(world, DAVE, dms[0])

    async def invited() -> bool:
        await world.delivered()
        return DAVE in world.slack.channels[channel].members

    await eventually(invited)
    invites = [c for c in world.slack.calls_to("conversations.invite") if c.params["users"] == DAVE]
    assert len(invites) == 1 and invites[0].params["channel"] == channel
    assert [e.data for e in (await world.record()).events if e.action == "paged"] == [{"user": DAVE}]


async def test_page_needs_a_target(world):
    channel = await world.declare()
    response = await world.incident("page", channel=channel)
    assert "Say whom to page" in response.json["text"]
    assert "/incident page <service|@user> [message]" in response.json["text"]


# acknowledgement deadlines and escalation ----------------------------------------------------------
async def escalated_world(make_world, pagerduty, clock, **settings):
    world = await paging_world(make_world, pagerduty, clock=clock, **settings)
    world.pagerduty = pagerduty
    return world


async def until_escalated(world, channel: str) -> None:
    async def escalated() -> bool:
        await world.delivered()
        return (any("Not acknowledged" in t for t in world.posted(channel))
                and len(world.slack.direct_messages(DAVE)) == 1
                and len(world.slack.direct_messages(CAROL)) == 1
                and len(world.pagerduty.events) >= 1)

    await eventually(escalated, timeout=10)


async def test_an_unacknowledged_sev1_is_escalated_once_at_its_deadline(pagerduty, make_world):
    clock = ShiftedClock()
    world = await escalated_world(make_world, pagerduty, clock)
    channel = await world.declare()
    await world.delivered()
    web_calls, pd_calls = len(world.slack.calls), len(pagerduty.received)
    clock.advance(minutes=5, seconds=1)
    await until_escalated(world, channel)
    await asyncio.sleep(0.6)  # a few more ticks: nothing fires again
    await world.delivered()

    assert sum("Not acknowledged" in t for t in world.posted(channel)) == 1
    overdue = next(t for t in world.posted(channel) if "Not acknowledged" in t)
    assert overdue == (":alarm_clock: *Not acknowledged* within 5m: escalated (paged on "
                       f"PagerDuty, DM to <@{CAROL}> <@{DAVE}>). Acknowledge with "
                       "`/incident status acknowledged`.")
    assert [(e["routing_key"], e["event_action"], e["dedup_key"]) for e in pagerduty.events] == [
        (ESCALATION_KEY, "trigger", "INC-1")]
    assert pagerduty.events[0]["payload"]["custom_details"]["reason"] == \
        "not acknowledged within 5m"
    for person in (CAROL, DAVE):
        dm = world.slack.direct_messages(person)[0]
        assert "has not been acknowledged within 5m" in dm.shown
        assert any(b["type"] == "actions" for b in dm.blocks)
    record = await world.record()
    assert [e.action for e in record.events].count("escalated") == 1

    # What one escalation costs: Web API calls and PagerDuty calls.
    calls = [c.method for c in world.slack.calls[web_calls:]]
    assert sorted(calls) == sorted(["chat.postMessage"]  # the overdue notice
                                   + ["conversations.open", "chat.postMessage"] * 2)
    assert len(pagerduty.received) - pd_calls == 1

    # Join from the escalation DM.
    await click_join(world, CAROL, world.slack.direct_messages(CAROL)[0])

    async def joined() -> bool:
        await world.delivered()
        return CAROL in world.slack.channels[channel].members

    await eventually(joined)

    # Acknowledging acknowledges the alert; resolving resolves it.
    await world.incident("status acknowledged", channel=channel)
    await world.incident("resolve connection leak in the pooler", channel=channel)

    async def resolved() -> bool:
        await world.delivered()
        return pagerduty.alert(ESCALATION_KEY, "INC-1").status == "resolved"

    await eventually(resolved)
    assert [e["event_action"] for e in pagerduty.events] == ["trigger", "acknowledge", "resolve"]


async def test_acknowledging_in_time_acknowledges_the_page_and_cancels_the_escalation(
        pagerduty, make_world):
    clock = ShiftedClock()
    world = await escalated_world(make_world, pagerduty, clock)
    channel = await world.declare()
    await world.incident("page db", channel=channel)
    await world.incident("status acknowledged", channel=channel, user=BOB)
    await world.delivered()
    assert [(e["routing_key"], e["event_action"]) for e in pagerduty.events] == [
        (DB_KEY, "trigger"), (DB_KEY, "acknowledge")]
    assert pagerduty.alert(DB_KEY, "INC-1").status == "acknowledged"
    clock.advance(minutes=30)
    await asyncio.sleep(0.6)
    await world.delivered()
    assert not any("Not acknowledged" in t for t in world.posted(channel))
    assert world.slack.direct_messages(CAROL) == []
    assert len(pagerduty.events) == 2


async def test_a_severity_change_re_plans_the_deadline(pagerduty, make_world):
    clock = ShiftedClock()
    world = await escalated_world(make_world, pagerduty, clock)
    channel = await world.declare("sev3 slow-api API slow")  # 2h to acknowledge
    clock.advance(minutes=6)
    await asyncio.sleep(0.5)
    await world.delivered()
    assert not any("Not acknowledged" in t for t in world.posted(channel))
    await world.incident("severity sev1 checkout is failing", channel=channel)
    # A SEV1's 5 minutes from the declare have passed: escalated at the next tick.
    await until_escalated(world, channel)
    assert pagerduty.events[0]["payload"]["severity"] == "critical"


async def test_an_escalation_planned_before_a_restart_fires_once_after_it(pagerduty, make_world):
    clock = ShiftedClock()
    first = await escalated_world(make_world, pagerduty, clock)
    channel = await first.declare()
    await first.stop()  # gone between planning and firing
    clock.advance(minutes=10)
    second = await escalated_world(make_world, pagerduty, clock, slack=first.slack)
    await until_escalated(second, channel)
    await asyncio.sleep(0.6)
    await second.delivered()
    assert sum("Not acknowledged" in t for t in second.posted(channel)) == 1
    assert len(pagerduty.events) == 1


async def test_two_replicas_escalate_once(pagerduty, make_world):
    clock = ShiftedClock()
    one = await escalated_world(make_world, pagerduty, clock)
    two = await escalated_world(make_world, pagerduty, clock, slack=one.slack)
    channels = [await one.declare(f"sev1 outage-{n} Outage {n}") for n in range(3)]
    clock.advance(minutes=5, seconds=1)

    async def all_escalated() -> bool:
        await asyncio.gather(one.delivered(), two.delivered())
        return all(any("Not acknowledged" in t for t in one.posted(c)) for c in channels) \
            and len(pagerduty.events) == 3

    await eventually(all_escalated, timeout=15)
    await asyncio.sleep(0.6)
    await asyncio.gather(one.delivered(), two.delivered())
    for channel in channels:
        assert sum("Not acknowledged" in t for t in one.posted(channel)) == 1
    assert sorted(e["dedup_key"] for e in pagerduty.events) == ["INC-1", "INC-2", "INC-3"]
    assert len(one.slack.direct_messages(CAROL)) == 3 and len(one.slack.direct_messages(DAVE)) == 3
    for incident_id in (1, 2, 3):
        events = (await one.record(incident_id)).events
        assert [e.action for e in events].count("escalated") == 1


async def test_real_short_deadlines_escalate_and_tell_executives_once(pagerduty, make_world):
    world = await escalated_world(make_world, pagerduty, None,
                                  ack_deadline_sev1="1s", escalate_after_sev1="2s")
    channel = await world.declare()
    await until_escalated(world, channel)
    exec_channel = world.slack.channel_by_name("exec").id

    async def executives_told() -> bool:
        await world.delivered()
        return bool(world.slack.messages(exec_channel))

    await eventually(executives_told, timeout=10)
    await asyncio.sleep(1.0)
    await world.delivered()
    told = [m.shown for m in world.slack.messages(exec_channel)]
    assert told == [f":rotating_light: *INC-1* (SEV1) Primary DB down is still *new* 2s after "
                    f"it was declared. Commander: _not assigned_. Follow it in <#{channel}>."]
    assert len(pagerduty.events) == 1


# settings ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("setting", "value"), [
    ("pagerduty_routing_key", "not-a-key"),
    ("pagerduty_services", "db"),
    ("pagerduty_services", f"db={'x' * 31}"),
    ("pagerduty_services", f"db={DB_KEY},DB={NETWORK_KEY}"),
    ("ack_deadline_sev1", "soon"),
    ("escalate_after_sev2", "0m"),
])
def test_malformed_paging_settings_stop_start_up(setting, value):
    with pytest.raises(ConfigError, match=f"^{setting.upper()} is malformed: "):
        load_settings(**{setting: value})


def test_paging_settings_become_the_policy():
    policy = load_settings(pagerduty_services=f"DB={DB_KEY}", pagerduty_routing_key="",
                           ack_deadline_sev4="1d", escalation_users="U1, U2",
                           exec_channel="").policy()
    assert policy.paging_services == ("db",) and policy.paging_service("Db") == "db"
    assert not policy.page_on_escalation and not policy.tell_executives
    assert policy.ack_deadlines == {1: timedelta(minutes=5), 2: timedelta(minutes=30),
                                    3: timedelta(hours=2), 4: timedelta(days=1)}
    assert policy.escalate_after == {1: timedelta(hours=1), 2: timedelta(hours=4)}
    assert policy.escalation_users == ("U1", "U2")
    every_level = load_settings(escalate_after_sev3="1d", escalate_after_sev4="").policy()
    assert every_level.escalate_after[3] == timedelta(days=1) and 4 not in every_level.escalate_after


@pytest.mark.parametrize(("text", "expected"), [
    ("page db", parsing.Page("db", None, "", "")),
    ("page db  pool is  exhausted", parsing.Page("db", None, "", "pool is  exhausted")),
    ("page <@U0DAVE|dave> look at replication", parsing.Page(None, DAVE, "dave", "look at replication")),
    ("page <@U0DAVE>", parsing.Page(None, DAVE, "", "")),
])
def test_page_parses_a_service_or_a_person(text, expected):
    assert parsing.parse(text) == expected


@pytest.mark.parametrize("text", ["page", "page @dave help", "page <!here> now"])
def test_page_without_a_service_or_a_linked_person_is_a_usage_error(text):
    with pytest.raises(parsing.UsageError) as caught:
        parsing.parse(text)
    assert "/incident page <service|@user> [message]" in caught.value.message()


async def test_a_slow_pagerduty_never_holds_up_the_channel(world, pagerduty):
    channel = await world.declare()
    pagerduty.fault(delay=3.0)  # PagerDuty takes its time to answer this page
    await world.incident("page db replica lag", channel=channel)
    await asyncio.sleep(0.5)  # the page is on its way, its answer not yet
    await world.incident("log failing over to the replica", user=BOB, channel=channel)

    async def shown() -> bool:
        return any("failing over to the replica" in line for line in world.posted(channel))

    # Well before PagerDuty answers, the log line is in the channel.
    await eventually(shown, timeout=1.5)
    assert not pagerduty.events

    async def accepted() -> bool:
        return bool(pagerduty.events)

    await eventually(accepted, timeout=10)
