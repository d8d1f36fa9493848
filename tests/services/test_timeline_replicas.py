"""Two replicas writing one incident's timeline keep one unbroken hash chain."""

import asyncio

from bot.services import incidents, records
from bot.storage.store import Store
from tests.services.support import by, open_incident

BOB = "U0BOB"


async def test_replicas_taking_turns_on_one_incident_keep_one_unbroken_chain(database_url, clock):
    one, two = (Store.from_url(database_url, clock=clock.now) for _ in range(2))
    try:
        incident_id = await open_incident(one)
        # Each replica remembers the last event it wrote; every turn the other has moved on.
        for n in range(8):
            await incidents.log(one if n % 2 else two, caller=by(BOB), text=f"turn {n}")
        await asyncio.gather(*(incidents.log(store, caller=by(BOB), text=f"together {n}")
                               for n, store in enumerate([one, two] * 4)))
        checked = await records.verify(one, incident_id)
        assert checked.broken is None
        assert [e.seq for e in checked.events] == list(range(1, len(checked.events) + 1))
        logged = [e.details for e in checked.events if e.action == "log"]
        assert sorted(logged) == sorted([f"turn {n}" for n in range(8)]
                                        + [f"together {n}" for n in range(8)])
    finally:
        await one.close()
        await two.close()
