"""Who may see an incident listed, and what a private incident keeps to itself: use cases on
a real database, with no Slack in sight."""

from datetime import UTC, datetime

from sqlalchemy import select

from bot.domain.incident import Incident, IncidentRecord, Participant
from bot.domain.timeline import TimelineEvent
from bot.services import incidents, listing, people
from bot.storage.tables import OutboxRow
from tests.services.support import POLICY, by

T0 = datetime(2026, 3, 14, 14, 30, tzinfo=UTC)


def _record(private: bool) -> IncidentRecord:
    incident = Incident(id=1, slug="leak", title="leak", severity=1, declared_at=T0,
                        declared_by="U0ALICE", private=private)
    return IncidentRecord(
        incident=incident,
        participants=[Participant(1, "U0BOB", T0)],
        events=[TimelineEvent(incident_id=1, seq=n, at=T0, actor_id="U0ALICE", action=action,
                              data=data)
                for n, (action, data) in enumerate([
                    ("invited", {"users": ["U0CAROL"], "groups": ["S0SEC"]}),
                    ("role_assigned", {"role": "comms", "user": "U0DAVE"}),
                    ("commander_assigned", {"commander": "U0ERIN"})], start=1)])


def test_a_private_incident_is_listed_only_to_the_members_the_record_knows():
    record = _record(private=True)
    assert record.members() == {"U0ALICE", "U0BOB", "U0CAROL", "U0DAVE", "U0ERIN"}
    for member in record.members():
        assert record.may_be_listed_to(member)
    assert not record.may_be_listed_to("U0MALLORY")
    assert not record.incident.announced


def test_a_public_incident_is_listed_to_everyone_and_announced():
    record = _record(private=False)
    assert record.may_be_listed_to("U0MALLORY") and record.incident.announced


async def _declare(store, slug: str, private: bool, channel: str) -> int:
    incident = await incidents.declare(store, caller=by("U0ALICE", "C0OPS"), severity=2,
                                       slug=slug, title=slug, policy=POLICY, private=private)
    async with store.transaction() as tx:
        opened = await tx.incident(incident.id, lock=True)
        opened.channel_id, opened.channel_name = channel, f"inc-{incident.id}-{slug}"
        await tx.save_incident(opened)
    return incident.id


async def test_listing_hides_a_private_incident_from_those_outside_it(store):
    public = await _declare(store, "web", private=False, channel="C0WEB")
    private = await _declare(store, "leak", private=True, channel="C0LEAK")
    await people.invite(store, caller=by("U0ALICE", "C0LEAK"),
                        people=[people.Person("U0CAROL", "carol")])

    def ids(shown: listing.Listing) -> list[int]:
        return sorted(i.id for i in shown.incidents)

    assert ids(await listing.listed_to(store, caller=by("U0ALICE"))) == [public, private]
    assert ids(await listing.listed_to(store, caller=by("U0CAROL"))) == [public, private]
    assert ids(await listing.listed_to(store, caller=by("U0MALLORY"))) == [public]
    await incidents.participant_joined(store, event_id="Ev1", channel_id="C0LEAK",
                                       user_id="U0MALLORY")
    assert ids(await listing.listed_to(store, caller=by("U0MALLORY"))) == [public, private]


async def test_a_private_incident_owes_no_announcement_at_any_turn(store):
    await _declare(store, "leak", private=True, channel="C0LEAK")
    caller = by("U0ALICE", "C0LEAK")
    await incidents.set_severity(store, caller=caller, severity=1, rationale="wider",
                                 policy=POLICY)
    await incidents.post_update(store, caller=by("U0ALICE", "C0LEAK"), text="rotating",
                                policy=POLICY)
    async with store.transaction() as tx:
        kinds = (await tx.session.execute(select(OutboxRow.kind))).scalars().all()
    assert not [kind for kind in kinds if kind.startswith("announce")] and "status_update" in kinds
