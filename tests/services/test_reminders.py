"""Scheduled messages on an injected clock: each fires once, at its time, and never when cancelled."""

import asyncio
from dataclasses import replace
from datetime import timedelta

from freezegun import freeze_time

from bot.domain import notices as n
from bot.domain.access import AccessRequest, AccessState
from bot.domain.clock import SystemClock
from bot.export.render import Renderer
from bot.services import access, incidents
from bot.services.exporter import Exporter
from bot.services.reminders import fire_due
from bot.storage.store import Store
from tests.services.support import APPROVER, POLICY, actions, by, channel_posts, open_incident, owed

BOB = "U0BOB"
# Nudges alone: acknowledgement deadlines and escalations out of the way.
NUDGES = replace(POLICY, ack_deadlines={}, escalate_after={})


async def approved_for(store, duration: timedelta, step: str | None = None) -> AccessRequest:
    request = await access.request_access(store, caller=by(BOB), what="prod DB write",
                                          duration=duration, reason="", step=step, policy=POLICY)
    return await access.approve(store, caller=by(APPROVER), ref=request.ref, duration=None,
                                policy=POLICY)


async def kinds_posted(store) -> list[str]:
    return [p.kind for p in await channel_posts(store)]


async def test_the_warning_comes_fifteen_minutes_before_expiry_and_only_once(store, clock):
    await open_incident(store, severity=4)  # a 4h nudge interval keeps nudges out of the way
    await approved_for(store, timedelta(hours=1))
    clock.advance(minutes=44)
    assert await fire_due(store, POLICY) == 0
    clock.advance(minutes=1)
    assert await fire_due(store, POLICY) == 1
    assert await fire_due(store, POLICY) == 0
    warning = (await channel_posts(store))[-1]
    assert isinstance(warning, n.AccessWarning)
    assert (warning.requester, warning.approver) == (BOB, APPROVER)
    assert (await actions(store))[-1] == "access_expiry_warning"


async def test_at_expiry_the_access_is_expired_recorded_and_announced(store, clock):
    await open_incident(store, severity=4)
    request = await approved_for(store, timedelta(hours=1))
    clock.advance(hours=1)
    assert await fire_due(store, POLICY) == 2  # the warning, late, and the expiry
    async with store.transaction() as tx:
        expired = await tx.access_request(request.id)
    assert expired.state is AccessState.EXPIRED and expired.expired_at == clock.now()
    assert (await actions(store))[-1] == "access_expired"
    assert (await kinds_posted(store))[-1] == "access_expired"


async def test_a_short_grant_gets_no_warning_only_the_expiry(store, clock):
    await open_incident(store, severity=4)
    await approved_for(store, timedelta(minutes=10))
    clock.advance(minutes=10)
    assert await fire_due(store, POLICY) == 1
    assert (await kinds_posted(store))[-1] == "access_expired"


async def test_revoking_early_cancels_the_warning_and_the_expiry(store, clock):
    await open_incident(store, severity=4)
    request = await approved_for(store, timedelta(hours=1))
    clock.advance(minutes=5)
    await access.revoke(store, caller=by(BOB), ref=request.ref, policy=POLICY)
    clock.advance(hours=2)
    assert await fire_due(store, POLICY) == 0
    assert "access_expired" not in await actions(store)


async def test_extending_moves_the_warning_and_the_expiry(store, clock):
    await open_incident(store, severity=4)
    request = await approved_for(store, timedelta(hours=1))
    clock.advance(minutes=50)
    await access.extend(store, caller=by(APPROVER), ref=request.ref, policy=POLICY)
    clock.advance(minutes=15)
    assert await fire_due(store, POLICY) == 0
    clock.advance(minutes=40)  # 1h45m after approval: 15 minutes before the new expiry
    assert await fire_due(store, POLICY) == 1


async def test_sev1_nudges_every_ten_minutes_mentioning_the_commander(store, clock):
    await open_incident(store, severity=1, policy=NUDGES)
    await incidents.assign_commander(store, caller=by("U0ALICE"), user_id=BOB, name="bob")
    clock.advance(minutes=9, seconds=59)
    assert await fire_due(store, NUDGES) == 0
    clock.advance(seconds=1)
    assert await fire_due(store, NUDGES) == 1
    clock.advance(minutes=10)
    assert await fire_due(store, NUDGES) == 1
    nudges = await owed(store, n.StatusNudge)
    assert [nudge.commander for nudge in nudges] == [BOB, BOB]


async def test_a_status_update_resets_the_nudge_clock(store, clock):
    await open_incident(store, severity=1, policy=NUDGES)
    clock.advance(minutes=8)
    await incidents.post_update(store, caller=by(BOB), text="ETA 10m", policy=NUDGES)
    clock.advance(minutes=9)
    assert await fire_due(store, NUDGES) == 0
    clock.advance(minutes=1)
    assert await fire_due(store, NUDGES) == 1


async def test_a_severity_change_re_plans_the_nudge(store, clock):
    await open_incident(store, severity=3, policy=NUDGES)  # hourly
    clock.advance(minutes=20)
    await incidents.set_severity(store, caller=by(BOB), severity=1, rationale="worse",
                                 policy=NUDGES)
    assert await fire_due(store, NUDGES) == 1  # 20 minutes without update is past a SEV1's 10
    clock.advance(minutes=9)
    assert await fire_due(store, NUDGES) == 0
    clock.advance(minutes=1)
    assert await fire_due(store, NUDGES) == 1


async def test_resolving_stops_the_nudges(store, clock, tmp_path):
    await open_incident(store, severity=1)
    await incidents.resolve(store, caller=by(BOB), root_cause="leak", policy=POLICY,
                            exporter=Exporter(export_dir=tmp_path, renderer=Renderer()))
    clock.advance(hours=5)
    assert await fire_due(store, POLICY) == 0


async def test_a_due_reminder_fires_once_after_a_restart(database_url, clock):
    before = Store.from_url(database_url, clock=clock.now)
    await open_incident(before, severity=4)
    await approved_for(before, timedelta(minutes=10))
    await before.close()  # the process goes away before the reminder is due

    clock.advance(minutes=30)
    after = Store.from_url(database_url, clock=clock.now)
    try:
        assert await fire_due(after, POLICY) == 1
        assert await fire_due(after, POLICY) == 0
        assert (await kinds_posted(after)).count("access_expired") == 1
    finally:
        await after.close()


async def test_two_replicas_fire_each_reminder_exactly_once(database_url, clock):
    replicas = [Store.from_url(database_url, clock=clock.now) for _ in range(2)]
    try:
        await open_incident(replicas[0], severity=4)
        for _ in range(12):
            await approved_for(replicas[0], timedelta(minutes=10))
        clock.advance(minutes=10)
        fired = await asyncio.gather(*(fire_due(r, POLICY) for r in replicas * 3))
        assert sum(fired) == 12
        assert (await kinds_posted(replicas[0])).count("access_expired") == 12
        assert (await actions(replicas[0])).count("access_expired") == 12
    finally:
        for replica in replicas:
            await replica.close()


def test_access_is_live_until_its_expiry_on_the_wall_clock():
    clock = SystemClock()
    with freeze_time("2026-03-14 14:00:00"):
        request = AccessRequest(id=1, incident_id=1, what="x", duration=timedelta(hours=1),
                                requester_id=BOB, requested_at=clock.now())
        request.approve(APPROVER, [APPROVER], clock.now(), None)
    with freeze_time("2026-03-14 14:59:59"):
        assert request.active(clock.now())
    with freeze_time("2026-03-14 15:00:00"):
        assert not request.active(clock.now())


async def test_a_burst_across_many_incidents_fires_every_reminder_once_in_one_pass(database_url, clock):
    replicas = [Store.from_url(database_url, clock=clock.now) for _ in range(2)]
    first = replicas[0]
    try:
        for number in range(20):
            channel = f"C0BURST{number:02d}"
            await open_incident(first, channel=channel, severity=4)
            for _ in range(5):
                request = await access.request_access(first, caller=by(BOB, channel), what="db write",
                                                      duration=timedelta(hours=1), reason="",
                                                      policy=POLICY)
                await access.approve(first, caller=by(APPROVER, channel), ref=request.ref,
                                     duration=None, policy=POLICY)
        clock.advance(hours=1)  # 100 warnings and 100 expiries are due at once
        fired = await asyncio.gather(*(fire_due(r, POLICY) for r in replicas * 2))
        assert sum(fired) == 200
        assert await fire_due(first, POLICY) == 0
        expired = await owed(first, n.AccessExpired)
        assert len(expired) == 100 and len({p.request for p in expired}) == 100
    finally:
        for replica in replicas:
            await replica.close()
