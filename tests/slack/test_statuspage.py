"""Statuspage in a running bot, over signed HTTP, against the Slack and Statuspage stand-ins:
`/incident statuspage`, retries, a create whose answer is lost, refusals, the resolve button."""

import asyncio
from datetime import timedelta

import aiohttp
import pytest

from bot.config import ConfigError, load_settings
from bot.slack import ids, parsing
from bot.standin.statuspage import FakeStatuspage
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB

PAGE, KEY = "pg0incidentbot", "sp-api-key-0123"


@pytest.fixture
async def statuspage():
    async with FakeStatuspage(page_id=PAGE, api_key=KEY) as api:
        yield api


@pytest.fixture
async def world(statuspage, make_world):
    return await make_world(statuspage_api_url=statuspage.url, statuspage_page_id=PAGE,
                            statuspage_api_key=KEY)


async def metrics(world) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"{world.bot.url}/metrics") as answer:
        return await answer.text()


def public(statuspage: FakeStatuspage):
    return list(statuspage.incidents.values())


async def resolve_offer(world, channel: str):
    for message in world.slack.messages(channel):
        for block in message.blocks or []:
            if block["type"] == "actions" and any(
                    e["action_id"] == ids.STATUSPAGE_RESOLVE for e in block["elements"]):
                return message, block
    return None, None


async def click(world, channel: str, action_id: str, *, user: str = BOB):
    message, actions = await resolve_offer(world, channel)
    assert message is not None
    button = next(e for e in actions["elements"] if e["action_id"] == action_id)
    response = await world.sender.block_action(
        user=user, channel=channel, message_ts=message.ts, action_id=action_id,
        value=button["value"], block_id=actions["block_id"])
    assert response.status == 200
    return button


# creating and updating ---------------------------------------------------------------------------
async def test_first_use_creates_and_later_updates_patch_the_same_incident(world, statuspage):
    channel = await world.declare("sev1 checkout-down Checkout is failing")
    response = await world.incident("statuspage investigating Some payments fail; we are on it.",
                                    channel=channel, user=BOB)
    assert response.json["text"] == "Opening the public incident on Statuspage (investigating)."
    await world.delivered()
    [incident] = public(statuspage)
    assert incident.name == "Checkout is failing"  # the title, no internal ids
    assert incident.status == "investigating"
    assert incident.updates[0]["body"] == "Some payments fail; we are on it."
    create = statuspage.calls("POST")[0]
    assert create.path == f"/v1/pages/{PAGE}/incidents"
    assert create.body["incident"]["metadata"]["incident_bot"]["incident"].startswith("INC-1@")

    response = await world.incident("statuspage identified A bad deploy; rolling back.",
                                    channel=channel)
    assert response.json["text"] == "Updating the public incident on Statuspage (identified)."
    await world.incident("statuspage monitoring Rolled back; watching.", channel=channel)
    await world.delivered()
    assert len(public(statuspage)) == 1
    assert [(u["status"], u["body"]) for u in incident.updates] == [
        ("investigating", "Some payments fail; we are on it."),
        ("identified", "A bad deploy; rolling back."), ("monitoring", "Rolled back; watching.")]
    assert [r.path for r in statuspage.calls("PATCH")] == [
        f"/v1/pages/{PAGE}/incidents/{incident.id}"] * 2
    record = await world.record()
    assert [(e.details, e.data) for e in record.events if e.action == "statuspage_update"] == [
        ("investigating: Some payments fail; we are on it.", {"status": "investigating"}),
        ("identified: A bad deploy; rolling back.", {"status": "identified"}),
        ("monitoring: Rolled back; watching.", {"status": "monitoring"})]
    assert any(t == ":globe_with_meridians: *bob* posted on Statuspage (*investigating*): "
               "Some payments fail; we are on it." for t in world.posted(channel))
    shown = await metrics(world)
    assert 'incident_bot_statuspage_calls_total{call="create",outcome="accepted"} 1.0' in shown
    assert 'incident_bot_statuspage_calls_total{call="update",outcome="accepted"} 2.0' in shown


async def test_429_then_500_then_success_delivers_once(world, statuspage):
    channel = await world.declare()
    statuspage.fault(status=429, retry_after=1)
    statuspage.fault(status=500)
    await world.incident("statuspage investigating Looking into it.", channel=channel)
    await world.incident("log Slack keeps pace meanwhile", channel=channel)

    async def created() -> bool:
        return len(statuspage.incidents) == 1

    await eventually(created, timeout=10)
    await world.delivered()
    await asyncio.sleep(0.3)
    assert [r.status for r in statuspage.received if r.method == "POST"] == [429, 500, 201]
    posts = statuspage.calls("POST")
    assert posts[1].at - posts[0].at >= 0.9  # Retry-After honoured
    assert len(public(statuspage)) == 1
    assert world.bot.slack_api.failing_since is None
    assert any("Slack keeps pace meanwhile" in t for t in world.posted(channel))
    shown = await metrics(world)
    for outcome in ("rate_limited", "server_error", "accepted"):
        assert f'incident_bot_statuspage_calls_total{{call="create",outcome="{outcome}"}} 1.0' in shown


async def test_a_create_whose_answer_is_lost_never_opens_a_second_public_incident(world, statuspage):
    world.bot.statuspage.timeout = timedelta(seconds=0.3)
    channel = await world.declare()
    statuspage.fault(delay=1.0)  # carried out, but answered after the bot stopped waiting
    await world.incident("statuspage investigating Looking into it.", channel=channel)

    async def known() -> bool:
        async with world.bot.store.reading() as tx:
            return await tx.statuspage_id(1) is not None

    await eventually(known, timeout=15)
    await world.delivered()
    [incident] = public(statuspage)
    async with world.bot.store.reading() as tx:
        assert await tx.statuspage_id(1) == incident.id
    assert len(statuspage.calls("POST")) == 1  # looked up, not created again
    assert statuspage.calls("GET")
    await world.incident("statuspage identified Found it.", channel=channel)
    await world.delivered()
    assert len(public(statuspage)) == 1 and incident.status == "identified"
    assert 'call="create",outcome="unreachable"} 1.0' in await metrics(world)


async def test_an_update_whose_answer_is_lost_is_shown_once_on_the_public_page(world, statuspage):
    world.bot.statuspage.timeout = timedelta(seconds=0.3)
    channel = await world.declare()
    await world.incident("statuspage investigating Looking into it.", channel=channel)

    async def opened() -> bool:
        return len(public(statuspage)) == 1

    await eventually(opened, timeout=10)
    [incident] = public(statuspage)
    statuspage.fault(delay=1.0)  # carried out, but answered after the bot stopped waiting
    await world.incident("statuspage identified Found it.", channel=channel)
    await world.delivered()
    assert statuspage.calls("GET") and len(statuspage.calls("PATCH")) == 1  # found, not resent
    assert [(u["status"], u["body"]) for u in incident.updates] == [
        ("investigating", "Looking into it."), ("identified", "Found it.")]
    assert 'call="update",outcome="unreachable"} 1.0' in await metrics(world)


async def test_a_refused_update_is_given_up_with_a_notice_in_the_channel(world, statuspage):
    channel = await world.declare()
    statuspage.fault(status=422)
    await world.incident("statuspage investigating Looking into it.", channel=channel)
    await world.delivered()
    await asyncio.sleep(0.3)
    assert [r.status for r in statuspage.received] == [422]
    assert any(":warning: Statuspage refused the *investigating* update; it was not published: "
               "Statuspage create: HTTP 422 scripted refusal" in t for t in world.posted(channel))
    shown = await metrics(world)
    assert 'incident_bot_statuspage_calls_total{call="create",outcome="rejected"} 1.0' in shown
    assert 'incident_bot_outbox_failed{kind="statuspage"} 1.0' in shown
    # The next update opens the public incident: the refused one never did.
    await world.incident("statuspage identified Found it.", channel=channel)
    await world.delivered()
    assert [i.status for i in public(statuspage)] == ["identified"]


async def test_a_wrong_api_key_is_refused_and_told(statuspage, make_world):
    world = await make_world(statuspage_api_url=statuspage.url, statuspage_page_id=PAGE,
                             statuspage_api_key="not-the-key")
    channel = await world.declare()
    await world.incident("statuspage investigating Looking into it.", channel=channel)
    await world.delivered()
    assert [r.status for r in statuspage.received] == [401]
    assert any("HTTP 401" in t for t in world.posted(channel))
    assert not statuspage.incidents


# not set up ---------------------------------------------------------------------------------------
async def test_without_statuspage_the_command_refuses_and_records_nothing(make_world):
    world = await make_world()  # no Statuspage settings
    channel = await world.declare()
    before = len((await world.record()).events)
    response = await world.incident("statuspage investigating Looking into it.",
                                    channel=channel)
    assert response.json["response_type"] == "ephemeral"
    assert response.json["text"].startswith("Statuspage is not set up here")
    await world.delivered()
    assert len((await world.record()).events) == before
    assert "statuspage" not in await metrics(world)


def test_a_page_id_without_a_key_or_a_key_without_a_page_stops_start_up():
    with pytest.raises(ConfigError, match="^STATUSPAGE_API_KEY is not set"):
        load_settings(statuspage_page_id=PAGE)
    with pytest.raises(ConfigError, match="^STATUSPAGE_PAGE_ID is not set"):
        load_settings(statuspage_api_key=KEY)
    settings = load_settings(statuspage_page_id=PAGE, statuspage_api_key=KEY)
    assert settings.policy().statuspage and settings.statuspage_api_url == "https://api.statuspage.io/v1"
    assert not load_settings().policy().statuspage


@pytest.mark.parametrize(("text", "problem"), [
    ("statuspage", "Say the public status"),
    ("statuspage fixed All good", "`fixed` is not a Statuspage status."),
    ("statuspage resolved", "Say what the public should read"),
])
def test_statuspage_needs_a_status_and_text(text, problem):
    with pytest.raises(parsing.UsageError) as error:
        parsing.parse(text)
    assert error.value.message().startswith(problem)
    assert "/incident statuspage <investigating|identified|monitoring|resolved>" in error.value.message()


# resolving ------------------------------------------------------------------------------------------
async def test_resolve_offers_the_button_and_only_the_click_resolves_publicly(world, statuspage):
    channel = await world.declare()
    await world.incident("statuspage investigating Looking into it.", channel=channel)
    await world.incident("status mitigating rolled back", channel=channel)
    await world.delivered()
    response = await world.incident("resolve bad deploy", channel=channel)
    assert response.json["text"].startswith("Resolved.")
    await world.delivered()
    [incident] = public(statuspage)
    assert incident.status == "investigating"  # nothing public without the click
    message, actions = await resolve_offer(world, channel)
    assert message is not None
    # The offer goes out with the resolve message, in the same post when Slack's limits allow.
    assert ":large_green_circle: *alice* resolved the incident." in message.shown
    assert "The public incident on Statuspage is still *investigating*. Resolve it there too?" \
        in message.shown
    assert [e["text"]["text"] for e in actions["elements"]] == ["Resolve on Statuspage",
                                                                "Keep it open"]

    await click(world, channel, ids.STATUSPAGE_KEEP_OPEN)
    await world.delivered()
    assert incident.status == "investigating" and len(statuspage.calls("PATCH")) == 0

    await click(world, channel, ids.STATUSPAGE_RESOLVE)

    async def resolved() -> bool:
        await world.delivered()
        return incident.status == "resolved"

    await eventually(resolved)
    assert incident.updates[-1]["body"] == "This incident has been resolved."
    events = [e for e in (await world.record()).events if e.action == "statuspage_update"]
    assert events[-1].actor_id == BOB and events[-1].data == {"status": "resolved"}
    # A second click (or a stale message) resolves nothing twice.
    await click(world, channel, ids.STATUSPAGE_RESOLVE, user=ALICE)

    async def refused() -> bool:
        return any("already resolved on Statuspage" in r["text"] for r in world.slack.responses)

    await eventually(refused)
    await world.delivered()
    assert len(statuspage.calls("PATCH")) == 1


async def test_no_button_without_an_open_public_incident(world, statuspage):
    channel = await world.declare()
    await world.incident("status mitigating rolled back", channel=channel)
    await world.incident("resolve bad deploy", channel=channel)
    await world.delivered()
    assert (await resolve_offer(world, channel))[0] is None
    # Already resolved in public: nothing to offer either.
    await world.incident("status mitigating it came back", channel=channel)
    await world.incident("statuspage resolved Fixed.", channel=channel)
    await world.incident("resolve bad deploy, again", channel=channel)
    await world.delivered()
    assert (await resolve_offer(world, channel))[0] is None
    assert [i.status for i in public(statuspage)] == ["resolved"]
