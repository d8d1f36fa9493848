from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.domain.timeline import GENESIS, TimelineEvent, chain, verify_chain

T0 = datetime(2026, 3, 14, 14, 30, tzinfo=UTC)


def a_chain(length: int = 4) -> list[TimelineEvent]:
    events: list[TimelineEvent] = []
    for n in range(length):
        event = TimelineEvent(incident_id=1, seq=0, at=T0 + timedelta(minutes=n), actor_id="U1",
                              action="log", details=f"entry {n}")
        events.append(chain(event, events[-1] if events else None))
    return events


def test_each_event_links_to_the_one_before():
    events = a_chain()
    assert events[0].prev_hash == GENESIS
    assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert verify_chain(events) is None


def test_an_edited_entry_is_found():
    events = a_chain()
    events[2] = replace(events[2], details="entry 2, rewritten")
    broken = verify_chain(events)
    assert broken is not None and broken.event.seq == 3
    assert "no longer matches" in broken.reason


def test_a_deleted_entry_is_found():
    events = a_chain()
    del events[1]
    broken = verify_chain(events)
    assert broken is not None and broken.event.seq == 3
