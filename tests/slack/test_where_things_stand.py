"""Where things stand: `/incident timeline`, `/incident list`, the App Home, and drills, driven
by signed Slack requests against the Slack stand-in."""

import pytest

from bot.slack import ids
from bot.standin.pagerduty import FakePagerDuty
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB, CAROL, DAVE, MALLORY


@pytest.fixture
async def pagerduty():
    async with FakePagerDuty() as api:
        yield api


def answer(response) -> str:
    assert response.status == 200, response.body
    return response.json["text"]


def home_text(world, user: str) -> str:
    view = world.slack.homes[user]
    return "\n".join(b["text"]["text"] for b in view["blocks"] if b["type"] == "section")


async def open_home(world, user: str) -> str:
    """The person opens the bot's Home tab; Slack acks first, the bot publishes after."""
    world.slack.homes.pop(user, None)
    await world.sender.event({"type": "app_home_opened", "user": user, "channel": f"D{user}",
                              "tab": "home"})

    async def published() -> bool:
        return user in world.slack.homes

    await eventually(published)
    return home_text(world, user)


async def click_on_home(world, user: str, **action: str) -> str:
    world.slack.homes.pop(user, None)
    response = await world.sender.home_action(user=user, **action)
    assert response.status == 200

    async def published() -> bool:
        return user in world.slack.homes

    await eventually(published)
    return home_text(world, user)


async def test_the_commander_reads_the_last_events_of_the_timeline_without_leaving_slack(world):
    channel = await world.declare("sev2 checkout-errors Checkout fails")
    for n in range(1, 6):
        await world.incident(f"log step {n} <!channel> & done", user=BOB, channel=channel)

    shown = answer(await world.incident("timeline 3", user=CAROL, channel=channel))
    lines = shown.splitlines()
    assert lines[0] == "INC-1: the last 3 of 6 events (UTC):"
    assert [line.split("* ", 1)[1] for line in lines[1:]] == [
        f"step {n} &lt;!channel&gt; &amp; done — bob" for n in (3, 4, 5)]
    assert all(" *log* " in line for line in lines[1:])

    everything = answer(await world.incident("timeline", channel=channel))
    assert everything.startswith("INC-1: all 6 events") and "*declared*" in everything
    # Reading changes nothing.
    assert len((await world.record()).events) == 6

    assert "not a number of events" in answer(await world.incident("timeline 0", channel=channel))
    assert "not an incident channel" in answer(await world.incident("timeline"))


async def test_anyone_lists_the_open_incidents_from_any_channel_private_ones_only_to_members(
        world):
    public = await world.declare("sev1 db-outage Primary DB down")
    await world.incident(f"commander <@{BOB}|bob>", channel=public)
    secret = await world.declare("sev2 token-leak Leaked token --private")
    drill = await world.declare("sev3 failover Practice failover --drill")
    done = await world.declare("sev4 typo Typo on the status page")
    await world.incident("resolve fixed the typo", channel=done)

    everyone = answer(await world.incident("list", user=MALLORY))
    assert everyone.startswith("Open incidents (1):")
    assert "*INC-1* SEV1 · new · 1m · commander bob" in everyone and f"<#{public}>" in everyone
    assert "Primary DB down" in everyone
    assert "INC-2" not in everyone and "INC-3" not in everyone and "INC-4" not in everyone

    alice = answer(await world.incident("list", user=ALICE))
    assert alice.index("*INC-2*") < alice.index("*INC-1*")  # newest first
    assert f"<#{secret}> · _private_" in alice and "INC-3" not in alice

    with_drills = answer(await world.incident("list --drills", user=MALLORY))
    assert "*INC-3* SEV3 · new" in with_drills and f"<#{drill}> · _drill_" in with_drills
    assert "not an option" in answer(await world.incident("list everything"))


async def test_the_app_home_shows_open_incidents_my_action_items_and_approvals_waiting_for_me(
        world):
    channel = await world.declare("sev1 db-outage Primary DB down")
    await world.incident(f"action Add a pool alert <@{BOB}|bob>", channel=channel)
    await world.incident("access request prod DB write for 1h because failover", user=BOB,
                         channel=channel)

    bob, dave = await open_home(world, BOB), await open_home(world, DAVE)
    assert "*INC-1* SEV1" in bob and "*#1* Add a pool alert · INC-1" in bob
    assert "AR-1" not in bob  # bob is no approver, and it is his own request
    assert "*AR-1* prod DB write for 1h, asked by bob · INC-1" in dave
    assert "Add a pool alert" not in dave

    # Dave approves from his Home; the page is published again without the request.
    buttons = next(b for b in world.slack.homes[DAVE]["blocks"] if b["type"] == "actions")
    approve = next(e for e in buttons["elements"] if e["action_id"] == ids.ACCESS_APPROVE)
    after = await click_on_home(world, DAVE, action_id=ids.ACCESS_APPROVE, value=approve["value"],
                                block_id=buttons["block_id"])
    assert "AR-1" not in after
    await world.delivered()
    assert "access_approved" in [e.action for e in (await world.record()).events]
    assert any("approved" in line and "prod DB write" in line for line in world.posted(channel))

    # An item ticked done leaves its owner's page; one dated shows its date.
    await world.incident("action Second follow-up <@U0BOB|bob>", channel=channel)
    await world.incident("action due 2 2099-01-31", channel=channel)
    await world.incident("action done 1", channel=channel)
    bob = await open_home(world, BOB)
    assert "Add a pool alert" not in bob and "*#2* Second follow-up" in bob
    assert "due 2099-01-31" in bob


async def test_a_refused_click_on_the_app_home_is_shown_on_the_page(world):
    channel = await world.declare("sev2 cache-miss Cache misses")
    await world.incident("access request cache flush for 15m", user=CAROL, channel=channel)
    # Carol is an approver too, but nobody approves their own request: the page says so.
    assert "own request" in await click_on_home(world, CAROL, action_id=ids.ACCESS_APPROVE,
                                                value="1")
    assert "access_approved" not in [e.action for e in (await world.record()).events]


async def test_a_drill_runs_in_its_own_channel_and_nobody_outside_hears_of_it(pagerduty, make_world):
    world = await make_world(announce_channel="ops", pagerduty_events_url=pagerduty.url,
                             pagerduty_services="db=" + "d" * 32,
                             statuspage_page_id="p1", statuspage_api_key="k",
                             statuspage_api_url="http://127.0.0.1:9")
    reply = answer(await world.incident("declare sev1 db-outage Failover drill --drill"))
    assert reply == ("INC-1 declared (SEV1, db-outage). Opening its drill channel now; "
                     "you will be invited.")
    await world.delivered()
    incident = (await world.incidents())[0]
    assert incident.drill and incident.channel_name == "drill-1-db-outage"
    channel = incident.channel_id

    assert "Paging `db`" in answer(await world.incident("page db practice run", channel=channel))
    refused = answer(await world.incident("statuspage investigating Slow", channel=channel))
    assert "is a drill" in refused
    await world.incident("resolve practised the failover", channel=channel)
    await world.delivered()

    assert pagerduty.events == []
    assert world.posted(world.ops) == []  # the announce channel heard nothing
    assert any("would have paged db (PagerDuty): practice run" in line
               for line in world.posted(channel))
    record = await world.record()
    assert [e.action for e in record.events if "page" in e.action] == ["would_page"]
    # Practice leaves nothing among the real incidents: its export is kept apart.
    assert list(world.export_dir.glob("*.md")) == []
    export = next((world.export_dir / "drills").glob("*.md")).read_text()
    assert "\ndrill: true\n" in export
