"""What is owed to Slack and the other systems: a call the bot cannot make for a reason of its
own never holds up the rest; calls owed by the release before still go out; and after a bad
spell, what waited goes out as soon as Slack answers again."""

import asyncio
import logging
import time
from datetime import timedelta

import aiohttp
from sqlalchemy import insert, select
from sqlalchemy.exc import OperationalError

from bot.domain import notices as n
from bot.outbound.loop import FAULT_LIMIT
from bot.slack.deliveries.workspace import Workspace
from bot.slack.render import said as said_lines
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
    # A release whose root cause line has a bug: rendering it raises.
    def broken(said, names):
        return said.text + names["nobody"]

    fixed = said_lines.LINES[n.RootCause]
    monkeypatch.setitem(said_lines.LINES, n.RootCause, broken)
    await world.incident("rootcause pool too small", channel=channel)
    await world.incident("log said after the broken line", channel=channel, user=BOB)
    await world.incident("status acknowledged", channel=channel)
    with caplog.at_level(logging.ERROR, logger="bot.outbound.loop"):
        await world.delivered()

    shown = "\n".join(world.posted(channel))
    assert "said after the broken line" in shown and "to *acknowledged*" in shown
    assert "set the root cause" not in shown
    [parked] = await world.bot.delivery.outbox.given_up()
    assert (parked.kind, parked.attempts, parked.parked) == ("root_cause", FAULT_LIMIT, True)
    assert "KeyError" in parked.error
    [line] = [r.getMessage() for r in caplog.records if "parked" in r.getMessage()]
    assert "INC-1" in line and "root_cause" in line and "KeyError" in line
    assert 'incident_bot_outbox_failed{kind="root_cause"} 1.0' in await metrics(world)

    # The fix ships, and the operator sends it again.
    monkeypatch.setitem(said_lines.LINES, n.RootCause, fixed)
    assert await world.bot.delivery.outbox.send_again([parked.id]) == 1
    await world.delivered()
    assert len([t for t in world.posted(channel) if "set the root cause: pool too small" in t]) == 1
    assert await world.bot.delivery.outbox.given_up() == []


async def test_a_row_that_fits_no_notice_is_parked_not_retried_for_ever(world):
    channel = await world.declare()
    async with world.bot.store.writing() as session:
        await session.execute(insert(OUTBOX), [{
            "lane": "INC-1", "kind": "log", "payload": {"v": 2, "incident_id": 1, "user": ALICE},
            "created_at": world.bot.store.clock(), "due_at": world.bot.store.clock()}])
    await world.incident("log the line behind it", channel=channel)
    await world.delivered()
    assert any("the line behind it" in t for t in world.posted(channel))
    [parked] = await world.bot.delivery.outbox.given_up()
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
    assert await world.bot.delivery.outbox.given_up() == []


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


def failing(times: int, error: Exception):
    """Reading the record for a post fails `times` times with `error`."""
    real = Workspace.for_posting
    failures = iter(range(times))

    async def for_posting(self, batch):
        if next(failures, None) is not None:
            raise error
        return await real(self, batch)

    return for_posting


def database_away(times: int):
    """As when PostgreSQL fails over."""
    return failing(times, OperationalError("SELECT", {}, Exception("server closed the connection")))


async def test_the_database_away_for_a_moment_defers_a_line_and_parks_nothing(world, monkeypatch):
    channel = await world.declare()
    monkeypatch.setattr(Workspace, "for_posting", database_away(FAULT_LIMIT + 2))
    await world.incident("log said while the database failed over", channel=channel)
    await world.delivered()
    assert any("while the database failed over" in t for t in world.posted(channel))
    assert await world.bot.delivery.outbox.given_up() == []


async def test_lines_that_may_have_landed_are_looked_for_even_after_a_failed_attempt(
        world, monkeypatch):
    channel = await world.declare()
    # Two lines go out in one post that lands after the bot stopped waiting (1 s); the next
    # attempt fails on a bug of ours, and each line's next attempt must still look first.
    world.slack.fault("chat.postMessage", delay=1.5)
    now = world.bot.store.clock()
    await owe(world, n.Logged(incident_id=1, user=ALICE, text="line A", at=now),
              n.Logged(incident_id=1, user=BOB, text="line B", at=now))

    async def sent() -> bool:
        return bool(world.slack.calls_to("chat.postMessage")[1:])

    await eventually(sent)
    monkeypatch.setattr(Workspace, "for_posting", failing(1, RuntimeError("a bug")))
    await world.delivered()
    shown = "\n".join(world.posted(channel))
    assert (shown.count("line A"), shown.count("line B")) == (1, 1)


async def test_a_row_written_by_a_newer_release_waits_for_it_and_is_never_parked(world):
    await world.declare()
    now = world.bot.store.clock()
    async with world.bot.store.writing() as session:
        await session.execute(insert(OUTBOX), [{
            "lane": "INC-1:carrier", "kind": "carrier_pigeon", "payload": {"v": 3},
            "created_at": now, "due_at": now}])

    async def left_for_later() -> bool:
        async with world.bot.store.reading() as tx:
            error = await tx.session.scalar(select(OUTBOX.c.last_error).where(
                OUTBOX.c.kind == "carrier_pigeon"))
        return bool(error) and "newer release" in error

    await eventually(left_for_later)
    assert await world.bot.delivery.outbox.given_up() == []
    assert await world.bot.delivery.outbox.pending() == 1


async def test_a_post_that_lands_after_the_first_look_is_not_posted_again(world):
    """The bot looks for a post it got no answer to twice SLACK_TIMEOUT after sending it (1 s
    here); one that lands later still, yet within three times, is found by a second look."""
    channel = await world.declare()
    world.slack.fault("chat.postMessage", delay=2.6)
    sent = time.monotonic()
    await world.incident("log a slow landing", channel=channel)
    await world.delivered()
    await asyncio.sleep(max(0.0, sent + 3.0 - time.monotonic()))  # the slow post has landed
    assert len([t for t in world.posted(channel) if "a slow landing" in t]) == 1
    assert len(world.slack.calls_to("conversations.history")) >= 2  # it looked again
