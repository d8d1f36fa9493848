"""The incident use cases on a real database, with no Slack in sight."""

from pathlib import Path

import pytest

from bot.domain.errors import DuplicateDelivery, IncidentError
from bot.domain.lifecycle import Status
from bot.domain.policy import Policy
from bot.domain.timeline import verify_chain
from bot.export.render import Renderer
from bot.services import incidents
from bot.services.caller import Caller
from bot.services.exporter import Exporter
from tests.support.judges import default_judge

CHANNEL = "C0INC1"
POLICY = Policy(approvers=("U9",))
_trigger = iter(range(10**6))


def by(user: str, name: str, channel: str = CHANNEL, text: str = "") -> Caller:
    return Caller(user_id=user, user_name=name, channel_id=channel,
                  trigger_id=f"trigger-{next(_trigger)}", judge=default_judge(POLICY.approvers), text=text)


async def open_incident(store, clock) -> int:
    incident = await incidents.declare(store, caller=by("U1", "alice", "C0OPS"), severity=1,
                                       slug="db-outage", title="Primary DB down", policy=POLICY)
    async with store.transaction() as tx:
        opened = await tx.incident(incident.id, lock=True)
        opened.channel_id, opened.channel_name = CHANNEL, "inc-1-db-outage"
        await tx.save_incident(opened)
    return incident.id


@pytest.fixture
def exporter(tmp_path: Path) -> Exporter:
    return Exporter(export_dir=tmp_path / "incidents", renderer=Renderer())


async def actions(store, incident_id: int) -> list[str]:
    async with store.transaction() as tx:
        return [e.action for e in await tx.events(incident_id)]


async def test_an_incident_from_declare_to_resolve_is_recorded_in_order(store, clock, exporter):
    number = await open_incident(store, clock)
    clock.advance(minutes=2)
    await incidents.set_status(store, caller=by("U2", "bob"), target=Status.ACKNOWLEDGED,
                               rationale="", exporter=exporter, policy=POLICY)
    await incidents.log(store, caller=by("U2", "bob"), text="pool at 100%")
    await incidents.assign_commander(store, caller=by("U1", "alice"), user_id="U2", name="bob")
    await incidents.set_severity(store, caller=by("U2", "bob"), severity=2, rationale="contained",
        policy=POLICY)
    await incidents.post_update(store, caller=by("U2", "bob"), text="ETA 10 minutes", policy=POLICY)
    await incidents.add_action_item(store, caller=by("U1", "alice"), text="alert on pool",
                                    owner_id="U2", owner_name="bob")
    assert await incidents.participant_joined(store, event_id="Ev1", channel_id=CHANNEL,
                                              user_id="U3")
    clock.advance(minutes=30)
    result = await incidents.resolve(store, caller=by("U2", "bob"), root_cause="leak",
                                     exporter=exporter, policy=POLICY)

    assert await actions(store, number) == [
        "declared", "status_changed", "log", "commander_assigned", "severity_changed",
        "status_update", "action_item", "participant_joined", "status_changed", "resolved",
    ]
    async with store.transaction() as tx:
        record = await tx.record(number)
    incident = record.incident
    assert (incident.status, incident.severity, incident.commander_id) == (Status.RESOLVED, 2, "U2")
    assert (incident.acknowledged_at - incident.declared_at).total_seconds() == 120
    assert (incident.resolved_at - incident.declared_at).total_seconds() == 32 * 60
    assert verify_chain(record.events) is None
    assert result is not None and result.export.path.exists()


async def test_going_back_without_a_reason_is_refused_and_changes_nothing(store, clock, exporter):
    number = await open_incident(store, clock)
    await incidents.set_status(store, caller=by("U2", "bob"), target=Status.MONITORING,
                               rationale="", exporter=exporter, policy=POLICY)
    with pytest.raises(IncidentError, match="rationale"):
        await incidents.set_status(store, caller=by("U2", "bob"), target=Status.MITIGATING,
                                   rationale="", exporter=exporter, policy=POLICY)
    assert await actions(store, number) == ["declared", "status_changed"]


async def test_commands_outside_an_incident_channel_are_refused(store, clock):
    await open_incident(store, clock)
    with pytest.raises(IncidentError, match="not an incident channel"):
        await incidents.log(store, caller=by("U1", "alice", channel="C0RANDOM"), text="hi")


async def test_the_same_delivery_twice_records_once(store, clock):
    number = await open_incident(store, clock)
    caller = by("U1", "alice")
    await incidents.log(store, caller=caller, text="once")
    with pytest.raises(DuplicateDelivery):
        await incidents.log(store, caller=caller, text="once")
    assert await actions(store, number) == ["declared", "log"]


async def test_a_person_joining_twice_is_one_participant(store, clock):
    number = await open_incident(store, clock)
    assert await incidents.participant_joined(store, event_id="Ev1", channel_id=CHANNEL, user_id="U3")
    assert not await incidents.participant_joined(store, event_id="Ev1", channel_id=CHANNEL,
                                                  user_id="U3")
    assert not await incidents.participant_joined(store, event_id="Ev2", channel_id=CHANNEL,
                                                  user_id="U3")
    assert await actions(store, number) == ["declared", "participant_joined"]


async def test_resolving_twice_is_refused(store, clock, exporter):
    await open_incident(store, clock)
    await incidents.resolve(store, caller=by("U1", "alice"), root_cause="leak", exporter=exporter, policy=POLICY)
    with pytest.raises(IncidentError, match="already resolved"):
        await incidents.resolve(store, caller=by("U1", "alice"), root_cause="", exporter=exporter,
            policy=POLICY)


async def test_an_unwritable_export_folder_does_not_block_resolve(store, clock, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the export folder should be")
    exporter = Exporter(export_dir=blocker, renderer=Renderer())
    await open_incident(store, clock)
    result = await incidents.resolve(store, caller=by("U1", "alice"), root_cause="x",
                                     exporter=exporter, policy=POLICY)
    assert result is not None and result.export.error
    async with store.transaction() as tx:
        assert (await tx.incident(1)).status is Status.RESOLVED
