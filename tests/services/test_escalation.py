"""Reaching people on an injected clock: an unacknowledged incident is escalated once, at its
deadline; acknowledging and resolving follow it to PagerDuty; executives hear once."""

import asyncio
from dataclasses import replace
from datetime import timedelta

from bot.domain import notices as n
from bot.domain.lifecycle import Status
from bot.export.render import Renderer
from bot.services import incidents, paging
from bot.services.exporter import Exporter
from bot.services.reminders import fire_due
from bot.storage.store import Store
from tests.services.support import POLICY, actions, by, channel_posts, open_incident, owed

BOB, CAROL, ERIN = "U0BOB", "U0CAROL", "U0ERIN"
# Nudges every 30 days: out of the way of the deadlines under test.
ESCALATING = replace(POLICY, escalation_users=(CAROL, ERIN), page_on_escalation=True,
                     paging_services=("db",), tell_executives=True,
                     status_update_intervals={n: POLICY.status_update_intervals[4] * 180
                                              for n in range(1, 5)})


async def events(store):
    async with store.reading() as tx:
        return await tx.events(1)


async def pages(store) -> list[tuple[str, str]]:
    return [(p.action, p.service) for p in await owed(store, n.PagerDutyEvent)]


async def set_status(store, status: Status, tmp_path, rationale: str = "") -> None:
    await incidents.set_status(store, caller=by(BOB), target=status, rationale=rationale,
                               exporter=Exporter(export_dir=tmp_path, renderer=Renderer()),
                               policy=ESCALATING)


async def test_a_sev1_still_new_at_five_minutes_is_escalated_once(store, clock):
    await open_incident(store, severity=1, policy=ESCALATING)
    clock.advance(minutes=4, seconds=59)
    assert await fire_due(store, ESCALATING) == 0
    clock.advance(seconds=1)
    assert await fire_due(store, ESCALATING) == 1
    assert await fire_due(store, ESCALATING) == 0
    assert (await actions(store)).count("escalated") == 1
    overdue = await owed(store, n.AckOverdue)
    assert overdue == [n.AckOverdue(incident_id=1, deadline="5m", paged=True,
                                    users=[CAROL, ERIN])]
    assert await pages(store) == [("trigger", "")]
    assert (await owed(store, n.PagerDutyEvent))[0].lane == "INC-1:pagerduty"
    dms = await owed(store, n.DirectMessage)
    assert [(d.user, d.kind, d.lane) for d in dms] == [
        (CAROL, "escalation", f"INC-1:dm:{CAROL}"), (ERIN, "escalation", f"INC-1:dm:{ERIN}")]


async def test_acknowledging_in_time_cancels_the_escalation_and_pages_nobody(store, clock, tmp_path):
    await open_incident(store, severity=1, policy=ESCALATING)
    clock.advance(minutes=3)
    await set_status(store, Status.ACKNOWLEDGED, tmp_path)
    clock.advance(minutes=10)
    assert await fire_due(store, ESCALATING) == 0
    assert "escalated" not in await actions(store)
    assert await pages(store) == []  # nothing was triggered, so nothing to acknowledge


async def test_acknowledge_and_resolve_follow_every_alert_the_incident_triggered(store, clock, tmp_path):
    await open_incident(store, severity=1, policy=ESCALATING)
    await paging.page_service(store, caller=by(BOB), service="DB", message="pool exhausted",
                              policy=ESCALATING)
    clock.advance(minutes=5)
    await fire_due(store, ESCALATING)
    await set_status(store, Status.ACKNOWLEDGED, tmp_path)
    await set_status(store, Status.MITIGATING, tmp_path)
    await set_status(store, Status.RESOLVED, tmp_path)
    assert await pages(store) == [("trigger", "db"), ("trigger", ""), ("acknowledge", "db"),
                                  ("acknowledge", ""), ("resolve", "db"), ("resolve", "")]


async def test_resolving_straight_from_new_resolves_without_acknowledging(store, clock, tmp_path):
    await open_incident(store, severity=2, policy=ESCALATING)
    await paging.page_service(store, caller=by(BOB), service="db", message="", policy=ESCALATING)
    await set_status(store, Status.RESOLVED, tmp_path, rationale="false alarm")
    assert await pages(store) == [("trigger", "db"), ("resolve", "db")]
    clock.advance(hours=5)
    assert await fire_due(store, ESCALATING) == 0  # neither the deadline nor the executives


async def test_a_severity_change_re_plans_both_from_the_declare_time(store, clock):
    await open_incident(store, severity=3, policy=ESCALATING)  # 2h to acknowledge, no executives
    clock.advance(minutes=20)
    await incidents.set_severity(store, caller=by(BOB), severity=2, rationale="worse",
                                 policy=ESCALATING)
    clock.advance(minutes=9, seconds=59)  # 29m59s after declare: a SEV2's 30m is not up yet
    assert await fire_due(store, ESCALATING) == 0
    clock.advance(seconds=1)
    assert await fire_due(store, ESCALATING) == 1
    assert (await actions(store)).count("escalated") == 1
    clock.advance(hours=3, minutes=30)  # 4h after declare: a SEV2 still open reaches executives
    assert await fire_due(store, ESCALATING) == 1
    assert len(await owed(store, n.ToExecutives)) == 1


async def test_a_severity_change_after_an_escalation_never_repeats_it(store, clock):
    await open_incident(store, severity=2, policy=ESCALATING)
    clock.advance(minutes=30)
    assert await fire_due(store, ESCALATING) == 1
    await incidents.set_severity(store, caller=by(BOB), severity=1, rationale="worse",
                                 policy=ESCALATING)
    assert await fire_due(store, ESCALATING) == 0  # the SEV1 deadline passed too: fired already
    clock.advance(minutes=31)  # 1h01m after declare: a SEV1's executive notice is due
    assert await fire_due(store, ESCALATING) == 1
    await incidents.set_severity(store, caller=by(BOB), severity=2, rationale="contained",
                                 policy=ESCALATING)
    clock.advance(hours=4)
    assert await fire_due(store, ESCALATING) == 0
    assert (await actions(store)).count("escalated") == 2  # the deadline, the executives: once each


async def test_executives_hear_of_a_sev1_still_open_after_an_hour_once(store, clock, tmp_path):
    await open_incident(store, severity=1, policy=ESCALATING)
    await set_status(store, Status.MITIGATING, tmp_path)
    clock.advance(minutes=59)
    assert await fire_due(store, ESCALATING) == 0
    clock.advance(minutes=1)
    assert await fire_due(store, ESCALATING) == 1
    clock.advance(hours=5)
    assert await fire_due(store, ESCALATING) == 0
    assert [p.kind for p in await owed(store, n.ToExecutives)] == ["still_open"]


async def test_without_exec_channel_or_escalation_settings_only_the_channel_hears(store, clock):
    quiet = replace(ESCALATING, escalation_users=(), page_on_escalation=False, tell_executives=False)
    await open_incident(store, severity=1, policy=quiet)
    clock.advance(hours=2)
    assert await fire_due(store, quiet) == 2
    assert [p.kind for p in await channel_posts(store)
            if p.kind == "ack_overdue"] == ["ack_overdue"]
    assert await pages(store) == [] and await owed(store, n.DirectMessage) == []
    assert await owed(store, n.ToExecutives) == []


async def test_the_deadline_fires_once_after_a_restart(database_url, clock):
    before = Store.from_url(database_url, clock=clock.now)
    await open_incident(before, severity=1, policy=ESCALATING)
    await before.close()  # gone between planning and firing
    clock.advance(minutes=6)
    after = Store.from_url(database_url, clock=clock.now)
    try:
        assert await fire_due(after, ESCALATING) == 1
        assert await fire_due(after, ESCALATING) == 0
        assert await pages(after) == [("trigger", "")]
    finally:
        await after.close()


async def test_two_replicas_escalate_each_incident_once(database_url, clock):
    replicas = [Store.from_url(database_url, clock=clock.now) for _ in range(2)]
    try:
        for number in range(6):
            await open_incident(replicas[number % 2], channel=f"C0ESC{number}", severity=1,
                                policy=ESCALATING)
        clock.advance(minutes=5)
        fired = await asyncio.gather(*(fire_due(r, ESCALATING) for r in replicas * 3))
        assert sum(fired) == 6
        assert len(await pages(replicas[0])) == 6
        assert len(await owed(replicas[0], n.DirectMessage)) == 12
        for incident_id in range(1, 7):
            assert (await actions(replicas[1], incident_id)).count("escalated") == 1
    finally:
        for replica in replicas:
            await replica.close()


async def test_a_drill_is_escalated_as_practice_and_pages_or_tells_nobody(store, clock):
    await open_incident(store, severity=1, policy=ESCALATING, drill=True)
    clock.advance(hours=2)
    assert await fire_due(store, ESCALATING) == 2  # the deadline and the executives' hour
    escalated = [e for e in await events(store) if e.action == "escalated"]
    # Executives are told of real incidents only.
    assert [e.details for e in escalated] == [
        "not acknowledged within 5m (drill: would page PagerDuty, "
        "a DM to 2 escalation contacts)"]
    overdue = await owed(store, n.AckOverdue)
    assert overdue == [n.AckOverdue(incident_id=1, deadline="5m", paged=False, users=[],
                                    would=["PagerDuty", "a DM to 2 escalation contacts"])]
    assert await owed(store, n.PagerDutyEvent) == [] and await owed(store, n.DirectMessage) == []
    assert await owed(store, n.ToExecutives) == []


async def test_paging_from_a_drill_is_recorded_as_what_it_would_have_done(store, tmp_path):
    await open_incident(store, severity=2, policy=ESCALATING, drill=True)
    await paging.page_service(store, caller=by(BOB), service="db", message="practice",
                              policy=ESCALATING)
    await paging.page_person(store, caller=by(BOB), user_id=CAROL, name="carol", message="")
    recorded = [(e.action, e.details) for e in await events(store) if "page" in e.action]
    assert recorded == [("would_page", "db (PagerDuty): practice"), ("would_page", "carol")]
    assert await owed(store, n.PagerDutyEvent) == [] and await owed(store, n.DirectMessage) == []
    await incidents.set_status(store, caller=by(BOB), target=Status.RESOLVED, rationale="done",
                               exporter=Exporter(export_dir=tmp_path, renderer=Renderer()),
                               policy=ESCALATING)
    assert await owed(store, n.PagerDutyEvent) == []  # nothing was triggered, nothing to resolve


async def test_a_sev3_is_taken_to_executives_only_when_its_escalate_after_is_set(store, clock):
    with_sev3 = replace(ESCALATING, escalate_after={**ESCALATING.escalate_after,
                                                    3: timedelta(days=1)})
    await open_incident(store, severity=3, policy=with_sev3)
    clock.advance(hours=23)
    await fire_due(store, with_sev3)
    assert await owed(store, n.ToExecutives) == []
    clock.advance(hours=1)
    await fire_due(store, with_sev3)
    assert [p.kind for p in await owed(store, n.ToExecutives)] == ["still_open"]


async def test_a_sev4_with_no_escalate_after_never_reaches_executives(store, clock):
    await open_incident(store, severity=4, policy=ESCALATING)
    clock.advance(days=60)
    await fire_due(store, ESCALATING)
    assert await owed(store, n.ToExecutives) == []
