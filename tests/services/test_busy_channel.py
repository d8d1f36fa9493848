"""A busy channel: lines that arrive while the incident is being written are stored together,
in one transaction, in the order they came, each once; one bad command in the batch is refused
alone, and a command given up on never strands those waiting with it."""

import asyncio
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import event

from bot.domain.errors import DuplicateDelivery
from bot.services import incidents, records
from tests.services.support import CHANNEL, by, open_incident

BOB = "U0BOB"


def commits(store) -> list[int]:
    """One entry per transaction committed from now on."""
    engine = getattr(store.database.engine, "sync_engine", store.database.engine)
    seen: list[int] = []
    event.listen(engine, "commit", lambda _connection: seen.append(1))
    return seen


@asynccontextmanager
async def another_command_being_written(store, queue: str = CHANNEL):
    """Until the block ends, a command for the incident is being written and holds its turn."""
    gate = asyncio.Event()

    async def slow(tx) -> None:
        await tx.incident_by_channel(queue, lock=True)
        await gate.wait()

    holding = asyncio.create_task(store.together(queue, slow))
    await asyncio.sleep(0.05)
    try:
        yield
    finally:
        gate.set()
        await holding


async def queued_behind_a_busy_incident(store, commands) -> list:
    """Run `commands` while another is being written, and let them go once all are waiting."""
    async with another_command_being_written(store):
        tasks = [asyncio.create_task(command) for command in commands]
        await asyncio.sleep(0.05)
    return await asyncio.gather(*tasks, return_exceptions=True)


async def logged(store, incident_id: int) -> list[str]:
    checked = await records.verify(store, incident_id)
    assert checked.broken is None
    return [e.details for e in checked.events if e.action == "log"]


async def test_lines_sent_together_are_stored_in_one_transaction_in_order(store):
    incident_id = await open_incident(store)
    lines = [f"line {n:02d}" for n in range(20)]
    committed = commits(store)

    answers = await queued_behind_a_busy_incident(
        store, [incidents.log(store, caller=by(BOB), text=line) for line in lines])

    assert answers == [None] * len(lines)
    assert len(committed) == 2  # the one that held the incident, then all twenty lines
    assert await logged(store, incident_id) == lines


async def test_a_repeated_command_in_a_batch_is_refused_alone(store):
    incident_id = await open_incident(store)
    repeated = by(BOB)
    await incidents.log(store, caller=repeated, text="first delivery")

    answers = await queued_behind_a_busy_incident(store, [
        incidents.log(store, caller=by(BOB), text="before"),
        incidents.log(store, caller=repeated, text="first delivery"),
        incidents.log(store, caller=by(BOB), text="after"),
    ])

    assert answers[0] is None and answers[2] is None
    assert isinstance(answers[1], DuplicateDelivery)
    assert await logged(store, incident_id) == ["first delivery", "before", "after"]


async def test_lines_waiting_behind_a_command_given_up_on_are_still_stored(store):
    incident_id = await open_incident(store)
    async with another_command_being_written(store):
        given_up = asyncio.create_task(incidents.log(store, caller=by(BOB), text="given up"))
        waiting = [asyncio.create_task(incidents.log(store, caller=by(BOB), text=f"waiting {n}"))
                   for n in range(3)]
        await asyncio.sleep(0.05)
        given_up.cancel()

    await asyncio.wait_for(asyncio.gather(*waiting), timeout=5)
    assert given_up.cancelled()
    assert await logged(store, incident_id) == ["waiting 0", "waiting 1", "waiting 2"]


async def test_a_batch_whose_leader_is_cancelled_midway_still_serves_the_rest(store):
    gate = asyncio.Event()
    written: list[str] = []

    def work(name: str, *, held: bool = False):
        async def run(tx) -> str:
            if held:
                await gate.wait()
            written.append(name)
            return name.upper()
        return run

    async with another_command_being_written(store, "C0BUSY"):
        leader = asyncio.create_task(store.together("C0BUSY", work("leader", held=True)))
        followers = [asyncio.create_task(store.together("C0BUSY", work(f"follower {n}")))
                     for n in range(2)]
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.05)  # the leader has taken the others along and waits on the gate
    leader.cancel()
    gate.set()

    assert await asyncio.wait_for(asyncio.gather(*followers), timeout=5) == ["FOLLOWER 0",
                                                                              "FOLLOWER 1"]
    with pytest.raises(asyncio.CancelledError):
        await leader
    assert written == ["leader", "follower 0", "follower 1"]


async def test_lines_for_two_incidents_at_once_each_land_in_their_own_timeline(store):
    first = await open_incident(store)
    second = await open_incident(store, channel="C0INC2")
    lines = [(CHANNEL if n % 2 else "C0INC2", f"line {n:02d}") for n in range(20)]

    await queued_behind_a_busy_incident(
        store, [incidents.log(store, caller=by(BOB, channel), text=text) for channel, text in lines])

    assert await logged(store, first) == [text for channel, text in lines if channel == CHANNEL]
    assert await logged(store, second) == [text for channel, text in lines if channel != CHANNEL]
