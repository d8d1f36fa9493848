"""The outbox's own rules: what is released when a system answers again."""

from datetime import timedelta

from sqlalchemy import insert, select

from bot.outbound.lanes import Outbox
from bot.storage.tables import OutboxRow, table_of

OUTBOX = table_of(OutboxRow)


async def held_rows(store, *rows: tuple[str, str, int]) -> None:
    """(lane, kind, attempts) rows held a minute for their system's trouble."""
    now = store.clock()
    async with store.writing() as session:
        await session.execute(insert(OUTBOX), [
            {"lane": lane, "kind": kind, "payload": {}, "attempts": attempts, "held": True,
             "created_at": now, "due_at": now + timedelta(minutes=1)}
            for lane, kind, attempts in rows])


async def due_now(store) -> list[str]:
    async with store.reading() as tx:
        rows = await tx.session.execute(select(OUTBOX.c.lane).where(
            OUTBOX.c.due_at <= store.clock()).order_by(OUTBOX.c.id))
    return [lane for (lane,) in rows]


async def test_another_call_going_through_releases_the_held_rows_of_its_system_only(store):
    await held_rows(store, ("INC-1", "log", 2), ("INC-1:pagerduty", "pagerduty", 2))
    assert await Outbox(store).release_held({"log"}, tried_under=20) == 1
    assert await due_now(store) == ["INC-1"]


async def test_a_row_that_keeps_failing_while_others_go_through_is_released_only_so_often(store):
    await held_rows(store, ("INC-1", "log", 2), ("INC-2", "log", 20))
    assert await Outbox(store).release_held({"log"}, tried_under=20) == 1
    assert await due_now(store) == ["INC-1"]
    # A probe answered after an outage releases everything held, however often it was tried.
    assert await Outbox(store).release_held({"log"}) == 1
    assert await due_now(store) == ["INC-1", "INC-2"]
