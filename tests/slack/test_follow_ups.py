"""After the incident: the root cause set or replaced at any time, action items ticked and
dated, and an overdue item's owner told once. Driven by signed Slack requests."""

import asyncio
from datetime import timedelta

from bot.services import records
from tests.support.clock import ShiftedClock
from tests.support.waiting import eventually
from tests.support.world import ALICE, BOB, CAROL


def answer(response) -> str:
    assert response.status == 200, response.body
    return response.json["text"]


async def export(world) -> str:
    result = await records.export_again(world.bot.store, world.bot.deps.exporter, 1)
    return result.path.read_text()


async def test_the_root_cause_is_set_during_and_replaced_after_resolve(world):
    channel = await world.declare("sev2 login-errors Logins fail")
    assert answer(await world.incident("rootcause expired cert on <!here> lb", channel=channel)) \
        == "Root cause of INC-1 recorded."
    await world.incident("status mitigating", channel=channel)
    await world.incident("resolve", channel=channel)
    assert (await world.record()).incident.root_cause == "expired cert on <!here> lb"

    # The postmortem finds the real cause a day later; the channel hears, the export follows.
    await world.incident("rootcause cert renewal job silently failed", user=BOB, channel=channel)
    await world.delivered()
    record = await world.record()
    assert record.incident.root_cause == "cert renewal job silently failed"
    assert [(e.action, e.data.get("replaced")) for e in record.events
            if e.action == "root_cause"] == [("root_cause", False), ("root_cause", True)]
    assert any("replaced the root cause: cert renewal job" in line
               for line in world.posted(channel))
    assert "> cert renewal job silently failed" in await export(world)
    assert "Say the root cause." in answer(await world.incident("rootcause", channel=channel))


async def test_action_items_are_ticked_and_dated_and_the_export_shows_both(world):
    channel = await world.declare("sev2 login-errors Logins fail")
    await world.incident(f"action Alert on cert expiry <@{BOB}|bob>", channel=channel)
    await world.incident("action Document the renewal", channel=channel)
    today = world.bot.store.clock().date()
    due = (today + timedelta(days=7)).isoformat()

    assert answer(await world.incident(f"action due 1 {due}", channel=channel)) == (
        f"Action item #1 is due {due}. <@{BOB}> hears once if it is not done by then.")
    await world.incident("resolve renewal job failed", channel=channel)
    assert answer(await world.incident("action done 2", user=CAROL, channel=channel)) == \
        "Action item #2 ticked."
    await world.delivered()

    document = await export(world)
    assert f"- [ ] Alert on cert expiry @bob (due {due})" in document
    assert "- [x] Document the renewal" in document
    assert "| action_done | #2 Document the renewal | carol |" in document
    assert any("ticked action item #2" in line for line in world.posted(channel))

    refusals = {
        "action done 2": "already done",
        "action done 9": "has no action item #9",
        "action due 2 2030-01-01": "already done",
        f"action due 1 {(today - timedelta(days=1)).isoformat()}": "already past",
        "action due 1 01/12/2026": "is not a date",
        "action due 1": "Say the due date",
    }
    before = len((await world.record()).events)
    for text, refusal in refusals.items():
        assert refusal in answer(await world.incident(text, channel=channel)), text
    assert len((await world.record()).events) == before


async def test_an_overdue_item_nudges_its_owner_once_by_dm(make_world):
    clock = ShiftedClock()
    world = await make_world(clock=clock)
    channel = await world.declare("sev3 slow-search Search is slow")
    await world.incident(f"action Add an index <@{BOB}|bob>", channel=channel)
    await world.incident("action Nobody owns this", channel=channel)
    tomorrow = (clock.now() + timedelta(days=1)).date().isoformat()
    await world.incident(f"action due 1 {tomorrow}", channel=channel)
    await world.incident(f"action due 2 {tomorrow}", channel=channel)
    await world.incident("resolve missing index", channel=channel)

    clock.advance(days=2)

    async def told() -> bool:
        return any("was due" in m.shown for m in world.slack.direct_messages(BOB))

    await eventually(told, timeout=10)
    await world.delivered()
    clock.advance(days=3)
    await asyncio.sleep(1)  # five reminder ticks: nothing else is due
    await world.delivered()
    dms = [m.shown for m in world.slack.direct_messages(BOB) if "was due" in m.shown]
    assert len(dms) == 1 and "#1 from INC-1" in dms[0] and "Add an index" in dms[0]
    unowned = [line for line in world.posted(channel) if "has no owner" in line]
    assert len(unowned) == 1 and f"<@{ALICE}>" in unowned[0]
