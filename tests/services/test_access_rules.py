"""Who may grant what, and when: the rules that never bend, without Slack."""

import asyncio
from datetime import timedelta

import pytest

from bot.domain.access import AccessState
from bot.domain.errors import IncidentError
from bot.export.render import Renderer
from bot.services import access, incidents
from bot.services.exporter import Exporter
from tests.services.support import (
    APPROVER,
    CHANNEL,
    OTHER_APPROVER,
    POLICY,
    actions,
    by,
    open_incident,
)

BOB = "U0BOB"


async def requested(store, *, user: str = BOB, duration=timedelta(hours=2), step=None):
    return await access.request_access(store, caller=by(user), what="prod DB write",
                                       duration=duration, reason="kill sessions", step=step,
                                       policy=POLICY)


async def test_an_approver_grants_access_until_now_plus_the_requested_duration(store, clock):
    await open_incident(store)
    request = await requested(store)
    clock.advance(minutes=3)
    approved = await access.approve(store, caller=by(APPROVER), ref=request.ref, duration=None,
                                    policy=POLICY)
    assert approved.state is AccessState.APPROVED
    assert approved.expires_at == clock.now() + timedelta(hours=2)
    assert await actions(store) == ["declared", "access_request", "access_approved"]


async def test_the_approver_may_grant_a_shorter_time(store, clock):
    await open_incident(store)
    request = await requested(store)
    approved = await access.approve(store, caller=by(APPROVER), ref=request.ref,
                                    duration=timedelta(minutes=30), policy=POLICY)
    assert approved.expires_at == clock.now() + timedelta(minutes=30)


@pytest.mark.parametrize(("who", "refusal"), [
    ("U0MALLORY", "Only approvers"),
    (APPROVER, "your own request"),
])
async def test_only_approvers_and_never_for_themselves(store, who, refusal):
    await open_incident(store)
    request = await requested(store, user=APPROVER if who == APPROVER else BOB)
    with pytest.raises(IncidentError, match=refusal):
        await access.approve(store, caller=by(who), ref=request.ref, duration=None, policy=POLICY)
    with pytest.raises(IncidentError, match=refusal):
        await access.deny(store, caller=by(who), ref=request.ref, note="", policy=POLICY)
    assert await actions(store) == ["declared", "access_request"]


async def test_decisions_are_final(store):
    await open_incident(store)
    request = await requested(store)
    await access.deny(store, caller=by(APPROVER), ref=request.ref, note="use the runbook",
                      policy=POLICY)
    with pytest.raises(IncidentError, match="already denied"):
        await access.approve(store, caller=by(OTHER_APPROVER), ref=request.ref, duration=None,
                             policy=POLICY)


async def test_two_approvers_clicking_at_once_approve_once(store):
    await open_incident(store)
    request = await requested(store)
    results = await asyncio.gather(
        access.approve(store, caller=by(APPROVER), ref=request.ref, duration=None, policy=POLICY),
        access.approve(store, caller=by(OTHER_APPROVER), ref=request.ref, duration=None,
                       policy=POLICY),
        return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["AccessRequest", "IncidentError"]
    assert (await actions(store)).count("access_approved") == 1


async def test_unknown_ids_and_other_incidents_requests_are_refused(store):
    await open_incident(store)
    await open_incident(store, channel="C0INC2")
    elsewhere = await access.request_access(store, caller=by(BOB, "C0INC2"), what="x",
                                            duration=timedelta(hours=1), reason="", policy=POLICY)
    with pytest.raises(IncidentError, match="no access request AR-99"):
        await access.approve(store, caller=by(APPROVER), ref="AR-99", duration=None, policy=POLICY)
    with pytest.raises(IncidentError, match="belongs to INC-2"):
        await access.approve(store, caller=by(APPROVER, CHANNEL), ref=elsewhere.ref, duration=None,
                             policy=POLICY)


async def test_approve_without_an_id_takes_the_only_pending_request_or_asks_which(store):
    await open_incident(store)
    with pytest.raises(IncidentError, match="no pending access request"):
        await access.approve(store, caller=by(APPROVER), ref=None, duration=None, policy=POLICY)
    first = await requested(store)
    assert (await access.approve(store, caller=by(APPROVER), ref=None, duration=None,
                                 policy=POLICY)).id == first.id
    await requested(store)
    await requested(store)
    with pytest.raises(IncidentError, match="Several requests are pending: AR-2 .*, AR-3"):
        await access.approve(store, caller=by(APPROVER), ref=None, duration=None, policy=POLICY)


async def test_revoking_is_for_the_requester_or_an_approver_and_happens_once(store):
    await open_incident(store)
    request = await requested(store)
    with pytest.raises(IncidentError, match="no access to revoke"):
        await access.revoke(store, caller=by(BOB), ref=request.ref, policy=POLICY)
    await access.approve(store, caller=by(APPROVER), ref=request.ref, duration=None, policy=POLICY)
    with pytest.raises(IncidentError, match="Only the requester or an approver"):
        await access.revoke(store, caller=by("U0MALLORY"), ref=request.ref, policy=POLICY)
    revoked = await access.revoke(store, caller=by(BOB), ref=request.ref, policy=POLICY)
    assert revoked.state is AccessState.REVOKED and revoked.revoked_by == BOB
    with pytest.raises(IncidentError, match="already revoked"):
        await access.revoke(store, caller=by(APPROVER), ref=request.ref, policy=POLICY)


async def test_a_high_risk_step_unlocks_only_under_live_access_for_that_step(store, clock):
    await open_incident(store)

    async def unlocked() -> bool:
        async with store.transaction() as tx:
            return await access.step_unlocked(tx, 1, "RUN-005#3")

    other_step = await requested(store, step="RUN-005#2")
    await access.approve(store, caller=by(APPROVER), ref=other_step.ref, duration=None, policy=POLICY)
    assert not await unlocked()
    request = await requested(store, step="RUN-005#3", duration=timedelta(minutes=30))
    assert not await unlocked()
    await access.approve(store, caller=by(APPROVER), ref=request.ref, duration=None, policy=POLICY)
    assert await unlocked()
    clock.advance(minutes=31)
    assert not await unlocked()


async def test_the_export_step_column_names_the_step_access_was_for(store):
    await open_incident(store)
    await requested(store, step="RUN-005#3")
    async with store.transaction() as tx:
        assert (await tx.events(1))[-1].step == "RUN-005#3"


async def test_no_new_access_on_a_resolved_incident(store, tmp_path):
    await open_incident(store)
    await incidents.resolve(store, caller=by(BOB), root_cause="pool leak", policy=POLICY,
                            exporter=Exporter(export_dir=tmp_path, renderer=Renderer()))
    with pytest.raises(IncidentError, match="no new access"):
        await requested(store)
