"""What is owed to Slack and the other systems: a call the bot cannot make for a reason of its
own never holds up the rest; calls owed by the release before still go out; and after a bad
spell, what waited goes out as soon as Slack answers again."""

import logging
from datetime import timedelta

import aiohttp
from sqlalchemy import insert

from bot.domain.notices import StatusChanged
from bot.outbound.loop import FAULT_LIMIT
from bot.slack.render.summary import STATUS_EMOJI
from bot.storage.tables import OutboxRow, table_of
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB

OUTBOX = table_of(OutboxRow)


async def owe(world, *notices) -> None:
    async with world.bot.store.transaction() as tx:
        tx.notify(*notices)


async def metrics(world) -> str:
    async with aiohttp.ClientSession() as session, session.get(f"{world.bot.url}/metrics") as got:
        return await got.text()


async def test_a_line_that_cannot_be_rendered_is_parked_and_the_incident_goes_on(
        world, caplog, monkeypatch):
    channel = await world.declare()
    # A status the renderer has no emoji for: rendering it raises, as a bug would.
    await owe(world, StatusChanged(incident_id=1, user=ALICE, old="new", new="exploded"))
    await world.incident("log said after the broken line", channel=channel, user=BOB)
    await world.incident("status acknowledged", channel=channel)
    with caplog.at_level(logging.ERROR, logger="bot.outbound.loop"):
        await world.delivered()

    shown = "\n".join(world.posted(channel))
    assert "said after the broken line" in shown and "to *acknowledged*" in shown
    assert "exploded" not in shown
    parked = await world.bot.delivery.outbox.parked()
    assert [(p.kind, p.attempts) for p in parked] == [("status_changed", FAULT_LIMIT)]
    assert "KeyError" in parked[0].error
    [line] = [r.getMessage() for r in caplog.records if "parked" in r.getMessage()]
    assert "INC-1" in line and "status_changed" in line and "KeyError" in line
    assert 'incident_bot_outbox_failed{kind="status_changed"} 1.0' in await metrics(world)

    # The fix ships (here: the missing emoji), and the operator sends it again.
    monkeypatch.setitem(STATUS_EMOJI, "exploded", ":boom:")
    assert await world.bot.delivery.outbox.unpark([parked[0].id]) == 1
    await world.delivered()
    assert len([t for t in world.posted(channel) if "to *exploded*" in t]) == 1
    assert await world.bot.delivery.outbox.parked() == []


async def test_a_row_that_fits_no_notice_is_parked_not_retried_for_ever(world):
    channel = await world.declare()
    async with world.bot.store.writing() as session:
        await session.execute(insert(OUTBOX), [{
            "lane": "INC-1", "kind": "log", "payload": {"v": 2, "incident_id": 1, "user": ALICE},
            "created_at": world.bot.store.clock(), "due_at": world.bot.store.clock()}])
    await world.incident("log the line behind it", channel=channel)
    await world.delivered()
    assert any("the line behind it" in t for t in world.posted(channel))
    [parked] = await world.bot.delivery.outbox.parked()
    assert parked.kind == "log" and "text" in parked.error


async def test_calls_owed_by_the_release_before_still_go_out_after_an_upgrade(world):
    """Rows written before notices had versions name how they were sent ("post", "dm",
    "announce") and carry what was said as `message`."""
    channel = await world.declare()
    now = world.bot.store.clock()
    old_rows = [
        ("INC-1", "post", {"message": "log", "user": BOB, "text": "written by the old release",
                           "at": now.isoformat()}),
        ("INC-1", "post", {"message": "access_warning", "request": 7, "what": "prod db",
                           "requester": BOB, "approver": ALICE, "expires": now.isoformat()}),
        (f"INC-1:dm:{BOB}", "dm", {"message": "page", "user": BOB, "by": ALICE, "text": "help",
                                   "incident": "INC-1", "join": 1, "title": "Primary DB down",
                                   "severity": "SEV1", "channel": channel}),
        ("INC-1:summary", "refresh_summary", {}),
    ]
    async with world.bot.store.writing() as session:
        await session.execute(insert(OUTBOX), [
            {"lane": lane, "kind": kind, "payload": payload, "created_at": now, "due_at": now}
            for lane, kind, payload in old_rows])
    await world.delivered()

    shown = world.posted(channel)
    assert any(t.startswith(":memo: `") and "*U0BOB*: written by the old release" in t
               for t in shown)
    assert any("AR-7 *prod db* expires at" in t for t in shown)
    [page] = world.slack.direct_messages(BOB)
    assert "is paging you about INC-1" in page.shown and "*Join*" in page.shown
    assert await world.bot.delivery.outbox.parked() == []


async def test_a_line_deferred_by_slack_goes_out_when_slack_next_answers_not_after_its_backoff(
        world):
    world.bot.delivery.max_backoff = timedelta(minutes=2)
    channel = await world.declare()
    # Slack answers, with a passing error, four times in a row (the next wait: 6 s or more): the line's backoff grows.
    world.slack.fault("chat.postMessage", error="internal_error", times=4)
    await world.incident("log through a bad spell", channel=channel)

    async def refused() -> bool:
        return sum(c.error == "internal_error" for c in world.slack.calls) == 4

    await eventually(refused, timeout=60)
    # The next call Slack takes (here: a DM, in a lane of its own) releases the line at once.
    await world.incident(f"page <@{BOB}|bob> are you there?", channel=channel)

    async def shown() -> bool:
        return any("through a bad spell" in t for t in world.posted(channel))

    await eventually(shown, timeout=3)
