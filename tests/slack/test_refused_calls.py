"""Slack's answers a person must fix (a scope the app lacks, a channel the bot is not in, or that
is archived or gone, a token Slack no longer takes) are said once, with the fix; the calls are
counted, kept, and tried again every five minutes, never hammered; once fixed, they go out."""

import logging
from datetime import UTC
from urllib.parse import urlencode

import aiohttp
import pytest
from sqlalchemy import select

from bot.slack.refusals import FIX_WAIT
from bot.storage.tables import OutboxRow, table_of
from tests.support.clock import ShiftedClock
from tests.support.waiting import eventually


def fixes(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "bot.slack.refusals"]


async def scrape(world) -> str:
    async with aiohttp.ClientSession() as session, \
            session.get(f"{world.bot.url}/metrics") as answer:
        return await answer.text()


async def waiting_out(world, kind: str) -> None:
    """The owed calls of `kind` were refused and now wait their five minutes: none is being
    tried, and none is due before then."""
    rows = table_of(OutboxRow)

    async def deferred() -> bool:
        async with world.bot.store.reading() as tx:
            owed = (await tx.session.execute(
                select(rows.c.lease_until, rows.c.due_at).where(
                    rows.c.kind == kind, rows.c.delivered_at.is_(None),
                    rows.c.failed_at.is_(None)))).all()
        soon = world.bot.store.clock() + FIX_WAIT / 2
        return bool(owed) and all(lease is None and _aware(due) > soon for lease, due in owed)

    await eventually(deferred)


def _aware(at):
    return at if at.tzinfo else at.replace(tzinfo=UTC)


async def passes(world, count: int = 3) -> None:
    """The delivery loop looks at the outbox again: nothing due is left waiting."""
    for _ in range(count):
        await world.bot.delivery.deliver_due()


async def test_a_scope_the_app_lacks_is_named_once_and_the_call_goes_out_once_it_is_added(
        make_world, caplog):
    caplog.set_level(logging.INFO)
    clock = ShiftedClock()
    world = await make_world(clock=clock)
    world.slack.scopes.discard("pins:write")

    await world.incident("declare sev2 replica-lag Reads are stale")
    await waiting_out(world, "post_summary")
    await passes(world)
    assert fixes(caplog) == [
        "Slack refuses pins.add with missing_scope (pins:write): add the scope pins:write to "
        "the app (oauth_config.scopes.bot in manifest.yml) and reinstall it to the workspace; "
        "what is owed is kept and tried again every 5 minutes"]

    clock.advance(seconds=FIX_WAIT.total_seconds())
    await waiting_out(world, "post_summary")
    await passes(world)
    assert len(world.slack.calls_to("pins.add")) == 2  # once each five minutes
    assert len(fixes(caplog)) == 1
    assert await world.bot.delivery.outbox.failed_by_kind() == {}

    world.slack.scopes.add("pins:write")
    clock.advance(seconds=FIX_WAIT.total_seconds())
    await world.delivered()
    channel = (await world.incidents())[-1].channel_id
    assert world.slack.pins[channel]
    calls = world.bot.outbound_calls
    assert (calls.count("slack", "pins.add", "refused"), calls.count("slack", "pins.add", "ok")) \
        == (2, 1)
    assert 'incident_bot_outbound_calls_total{method="pins.add",outcome="refused",system="slack"} ' \
           '2.0' in await scrape(world)


@pytest.mark.parametrize("trouble", ["private, without the bot", "archived"])
async def test_an_announce_channel_the_bot_cannot_post_in_is_named_with_the_fix(
        make_world, caplog, trouble):
    caplog.set_level(logging.INFO)
    clock = ShiftedClock()
    world = await make_world(clock=clock, announce_channel="announce")
    private = trouble.startswith("private")
    announce = world.slack.add_channel("announce", creator="U0ALICE", is_private=private,
                                       members=[] if private else [world.slack.bot_user_id])
    world.slack.channels[announce].is_archived = not private

    await world.incident("declare sev2 checkout Payments fail")
    await waiting_out(world, "announce_declared")
    await passes(world)
    assert fixes(caplog) == [{
        "private, without the bot": (
            "Slack refuses conversations.join with method_not_supported_for_channel_type "
            "(announce): invite the bot to ANNOUNCE_CHANNEL (announce) (`/invite` it there), or "
            "set ANNOUNCE_CHANNEL to another channel"),
        "archived": (
            "Slack refuses chat.postMessage with is_archived (announce): ANNOUNCE_CHANNEL "
            "(announce) is archived: unarchive it, or set ANNOUNCE_CHANNEL to another channel"),
    }[trouble] + "; what is owed is kept and tried again every 5 minutes"]
    assert world.posted(announce) == []

    # Someone invites the bot, or unarchives the channel.
    world.slack.channels[announce].members.add(world.slack.bot_user_id)
    world.slack.channels[announce].is_archived = False
    clock.advance(seconds=FIX_WAIT.total_seconds())
    await world.delivered()
    assert "declared" in world.posted(announce)[0]
    assert len(fixes(caplog)) == 1


async def test_a_channel_setting_that_names_no_channel_is_named_and_nothing_is_lost(
        make_world, caplog):
    caplog.set_level(logging.INFO)
    world = await make_world(announce_channel="C0GONE")

    await world.incident("declare sev3 search Results are slow")
    await waiting_out(world, "announce_declared")
    await passes(world)

    assert fixes(caplog) == [
        "Slack refuses chat.postMessage with channel_not_found (C0GONE): ANNOUNCE_CHANNEL "
        "(C0GONE) does not exist, or is private and the bot is not in it: invite the bot, or "
        "set ANNOUNCE_CHANNEL to another channel; what is owed is kept and tried again every "
        "5 minutes"]
    assert await world.bot.delivery.outbox.pending() >= 1
    assert await world.bot.delivery.outbox.failed_by_kind() == {}


async def test_an_incident_channel_archived_on_purpose_holds_nothing_up(world, caplog):
    caplog.set_level(logging.INFO)
    channel = await world.declare()
    world.slack.channels[channel].is_archived = True

    await world.incident("log the channel was archived after the review", channel=channel)
    await world.delivered()

    assert fixes(caplog) == []
    assert await world.bot.delivery.outbox.failed_by_kind() == {"log": 1}


async def test_a_token_revoked_while_running_is_named_shown_and_its_calls_kept(make_world, caplog):
    caplog.set_level(logging.INFO)
    world = await make_world()
    assert world.bot.slack_status() == {"reachable": True, "token_ok": True}
    world.slack.revoke(world.slack.bot_token)

    await world.incident("declare sev1 outage Everything is down")
    await waiting_out(world, "create_channel")
    await passes(world)

    assert fixes(caplog) == [
        "Slack refuses conversations.create with token_revoked: set SLACK_BOT_TOKEN to the "
        "app's Bot User OAuth Token (reinstall the app to the workspace if it was removed) and "
        "restart the bot; what is owed is kept and tried again every 5 minutes"]
    assert len(world.slack.calls_to("conversations.create")) == 1
    assert world.bot.slack_status() == {
        "reachable": True, "token_ok": False, "token_error": "token_revoked",
        "fix": "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (reinstall the app to the "
               "workspace if it was removed) and restart the bot"}
    shown = await scrape(world)
    assert "incident_bot_slack_token_ok 0.0" in shown
    assert "incident_bot_slack_reachable 1.0" in shown
    assert await world.bot.delivery.outbox.failed_by_kind() == {}


# signatures ------------------------------------------------------------------------------------
SLASH = urlencode({
    "token": "legacy", "team_id": "T0001", "channel_id": "C0OPS", "user_id": "U0MALLORY",
    "user_name": "mallory", "command": "/incident", "text": "declare sev1 forged",
    "trigger_id": "1.2.forged", "response_url": "http://127.0.0.1:9/none",
}).encode()
FORM = "application/x-www-form-urlencoded"


def hints(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "SLACK_SIGNING_SECRET" in r.getMessage()]


@pytest.mark.over_http
async def test_requests_refused_for_their_signature_are_told_once_a_minute_naming_the_secret(
        make_world, caplog):
    caplog.set_level(logging.INFO)
    world = await make_world()
    now = [1000.0]
    world.bot.signatures.clock = lambda: now[0]

    for _ in range(3):
        response = await world.sender.post(SLASH, FORM, signature="v0=" + "0" * 64)
        assert response.status == 401
    assert hints(caplog) == [
        "1 request(s) to /slack/events refused with 401 since the last such line: their "
        "signature does not match SLACK_SIGNING_SECRET, or they are more than 5 minutes old: "
        "check that SLACK_SIGNING_SECRET is the app's Signing Secret (Basic Information in the "
        "app's settings), and the clock"]

    now[0] += 60
    await world.sender.post(SLASH, FORM, signature="v0=" + "0" * 64)
    assert len(hints(caplog)) == 2
    assert hints(caplog)[1].startswith("3 request(s) to /slack/events refused")
    assert await world.incidents() == []


async def test_socket_mode_needs_no_signing_secret_and_refuses_what_comes_over_http(
        make_world, caplog):
    caplog.set_level(logging.INFO)
    world = await make_world(slack_app_token="xapp-standin", slack_signing_secret="")

    response = await world.sender.post(SLASH, FORM)
    assert response.status == 401
    assert hints(caplog) == [
        "1 request(s) to /slack/events refused with 401 since the last such line: "
        "SLACK_SIGNING_SECRET is not set (Socket Mode needs none), so requests over HTTP cannot "
        "be checked: set it, or leave the app's Request URLs unset"]

    ack = await world.slack.socket_request("slash_commands", {
        "token": "x", "team_id": "T0001", "channel_id": world.ops, "channel_name": "ops",
        "user_id": "U0ALICE", "user_name": "alice", "command": "/incident",
        "text": "declare sev2 socket-only Over the socket", "api_app_id": "A0001",
        "response_url": world.slack.response_url("s1"), "trigger_id": "1.2.socket"})
    assert ack["payload"]["text"].startswith("INC-1 declared (SEV2, socket-only).")
