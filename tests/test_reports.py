"""Figures and lists across incidents, as a manager or an operator asks for them."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.domain.alerts import Alert, AlertGroup
from bot.domain.lifecycle import Status
from bot.domain.policy import Policy
from bot.domain.stats import nearest_rank, short_duration
from bot.export.render import Renderer
from bot.runbooks.library import Library
from bot.services import alerts, incidents, records
from bot.services.exporter import Exporter
from tests.services.support import by
from tests.support.judges import default_judge

POLICY = Policy()  # acknowledgement deadlines: SEV1 5m, SEV2 30m, SEV3 2h, SEV4 7d
M = timedelta(minutes=1)


@pytest.mark.parametrize(("minutes", "percent", "expected"), [
    (list(range(1, 11)), 50, 5),
    (list(range(1, 11)), 90, 9),
    (list(range(1, 11)), 100, 10),
    ([7, 1, 4, 2, 9], 90, 9),  # the p90 of five is the slowest of them
    ([7, 1, 4, 2, 9], 50, 4),
    ([3, 10], 50, 3),
    ([3], 1, 3),
])
def test_percentiles_are_nearest_rank(minutes, percent, expected):
    assert nearest_rank([m * M for m in minutes], percent) == expected * M


def test_no_values_have_no_percentile():
    assert nearest_rank([], 50) is None


@pytest.mark.parametrize(("value", "shown"), [
    (timedelta(0), "0s"),
    (timedelta(seconds=45), "45s"),
    (timedelta(minutes=4), "4m"),
    (timedelta(minutes=4, seconds=30.9), "4m 30s"),
    (timedelta(hours=1, minutes=5, seconds=59), "1h 05m"),
    (timedelta(hours=2), "2h"),
    (timedelta(days=2, hours=3, minutes=7), "2d 03h"),
])
def test_durations_read_like_people_write_them(value, shown):
    assert short_duration(value) == shown


class Story:
    """Incidents played through the real use cases, each in its own channel."""

    def __init__(self, store, clock, export_dir) -> None:
        self.store, self.clock = store, clock
        self.exporter = Exporter(export_dir=export_dir, renderer=Renderer())
        self.channels = iter(f"C0INC{n}" for n in range(1, 100))

    async def declare(self, severity: int, slug: str, *, drill: bool = False,
                      private: bool = False) -> str:
        incident = await incidents.declare(self.store, caller=by("U0ALICE", "C0OPS"),
                                           severity=severity, slug=slug, title=f"{slug} title",
                                           policy=POLICY, drill=drill, private=private)
        return await self._open_channel(incident.id, slug)

    async def from_alert(self, slug: str, *, firing_since: timedelta) -> str:
        """An incident Alertmanager opened, its alert firing since `firing_since` ago."""
        alert = Alert(status="firing", labels={"alertname": slug, "severity": "critical"},
                      annotations={}, starts_at=self.clock.now() - firing_since, ends_at=None,
                      generator_url="", fingerprint=slug)
        received = await alerts.receive(
            self.store, group=AlertGroup(group_key=slug, status="firing", alerts=[alert]),
            body_sha256=slug, severities={"critical": 1}, policy=POLICY, library=Library(),
            judge=default_judge())
        assert received.incident_id is not None
        return await self._open_channel(received.incident_id, slug)

    async def _open_channel(self, incident_id: int, slug: str) -> str:
        channel = next(self.channels)
        async with self.store.transaction() as tx:
            opened = await tx.incident(incident_id, lock=True)
            opened.channel_id, opened.channel_name = channel, f"inc-{incident_id}-{slug}"
            await tx.save_incident(opened)
        return channel

    async def acknowledge(self, channel: str, *, after: timedelta) -> None:
        self.clock.advance(seconds=after.total_seconds())
        await incidents.set_status(self.store, caller=by("U0BOB", channel),
                                   target=Status.ACKNOWLEDGED, rationale="",
                                   exporter=self.exporter, policy=POLICY)

    async def resolve(self, channel: str, *, after: timedelta) -> None:
        self.clock.advance(seconds=after.total_seconds())
        await incidents.resolve(self.store, caller=by("U0BOB", channel), root_cause="fixed",
                                exporter=self.exporter, policy=POLICY)

    def move_to(self, when: datetime) -> None:
        self.clock.current = when


async def play_quarter(store, clock, export_dir) -> None:
    """March and April: five incidents and a drill.

    | ref | declared (UTC)   | sev  | acknowledged          | resolved      |
    | 1   | 03-14 14:30      | SEV1 | +3m                   | +40m          |
    | 2   | 03-15 09:00      | SEV1 | +10m (late)           | +2h           |
    | 3   | 03-16 12:00      | SEV2 | never (late)          | open          |
    | 4   | 04-02 08:00      | SEV1 | +2m, alert from -10m  | +1h           |
    | 5   | 04-03 10:00      | SEV1 | +20m (late), a drill  | open          |
    | 6   | 04-05 16:00      | SEV3 | not yet, private      | open          |
    The clock stops at 04-05 17:00: INC-6's two hours are not up.
    """
    story = Story(store, clock, export_dir)
    story.move_to(datetime(2026, 3, 14, 14, 30, tzinfo=UTC))
    first = await story.declare(1, "db-outage")
    await story.acknowledge(first, after=3 * M)
    await story.resolve(first, after=37 * M)
    story.move_to(datetime(2026, 3, 15, 9, 0, tzinfo=UTC))
    late = await story.declare(1, "api-errors")
    await story.acknowledge(late, after=10 * M)
    await story.resolve(late, after=110 * M)
    story.move_to(datetime(2026, 3, 16, 12, 0, tzinfo=UTC))
    await story.declare(2, "slow-search")
    story.move_to(datetime(2026, 4, 2, 8, 0, tzinfo=UTC))
    alerted = await story.from_alert("disk-full", firing_since=10 * M)
    await story.acknowledge(alerted, after=2 * M)
    await story.resolve(alerted, after=58 * M)
    story.move_to(datetime(2026, 4, 3, 10, 0, tzinfo=UTC))
    drill = await story.declare(1, "failover", drill=True)
    await story.acknowledge(drill, after=20 * M)
    story.move_to(datetime(2026, 4, 5, 16, 0, tzinfo=UTC))
    await story.declare(3, "payroll-export", private=True)
    story.move_to(datetime(2026, 4, 5, 17, 0, tzinfo=UTC))


@pytest.fixture
async def quarter(store, clock, tmp_path):
    await play_quarter(store, clock, tmp_path)
    return store


def table(groups) -> dict[tuple[str, str], tuple]:
    """Each group's count, missed deadlines, and times in minutes (mean, p50, p90 of each)."""
    def minutes(value):
        return None if value is None else value / M
    return {key: (f.count, f.missed_ack, *(minutes(v) for v in f.times().values()))
            for key, f in groups.items()}


async def test_stats_by_month_and_severity_with_totals(quarter):
    groups = await records.stats(quarter, None, policy=POLICY)
    assert table(groups) == {
        #                   count missed mtta  p50  p90  mttr  p50  p90
        ("2026-03", "SEV1"): (2, 1, 6.5, 3, 10, 80, 40, 120),
        ("2026-03", "SEV2"): (1, 1, None, None, None, None, None, None),
        ("2026-03", "all"): (3, 2, 6.5, 3, 10, 80, 40, 120),
        # INC-4's alert fired ten minutes before the declare: MTTA counts from then, while
        # its deadline runs from the declare, which it met.
        ("2026-04", "SEV1"): (1, 0, 12, 12, 12, 60, 60, 60),
        ("2026-04", "SEV3"): (1, 0, None, None, None, None, None, None),
        ("2026-04", "all"): (2, 0, 12, 12, 12, 60, 60, 60),
        ("all", "SEV1"): (3, 1, 25 / 3, 10, 12, 220 / 3, 60, 120),
        ("all", "SEV2"): (1, 1, None, None, None, None, None, None),
        ("all", "SEV3"): (1, 0, None, None, None, None, None, None),
        ("all", "all"): (5, 2, 25 / 3, 10, 12, 220 / 3, 60, 120),
    }
    assert list(groups) == list(table(groups))  # months in order, each one's total last


async def test_drills_count_only_when_asked_for(quarter):
    groups = await records.stats(quarter, None, policy=POLICY, drills=True)
    assert table(groups)[("2026-04", "SEV1")] == (2, 1, 16, 12, 20, 60, 60, 60)
    assert groups[("all", "all")].count == 6


async def test_an_unacknowledged_incident_misses_its_deadline_once_it_passes(quarter, clock):
    assert (await records.stats(quarter, None, policy=POLICY))[("all", "SEV3")].missed_ack == 0
    clock.advance(hours=1, seconds=1)
    assert (await records.stats(quarter, None, policy=POLICY))[("all", "SEV3")].missed_ack == 1


async def test_deadlines_come_from_the_policy(quarter):
    patient = Policy(ack_deadlines={1: timedelta(hours=1), 2: timedelta(days=30),
                                    3: timedelta(hours=2), 4: timedelta(days=7)})
    assert (await records.stats(quarter, None, policy=patient))[("all", "all")].missed_ack == 0


async def test_stats_since_a_day(quarter):
    groups = await records.stats(quarter, date(2026, 4, 1), policy=POLICY)
    assert [key for key in groups if key[0] != "all"] == [
        ("2026-04", "SEV1"), ("2026-04", "SEV3"), ("2026-04", "all")]
    assert groups[("all", "all")].count == 2


async def test_list_is_newest_first_with_private_ones_and_no_drills(quarter):
    listed = await records.list_incidents(quarter, open_only=False, since=None, drills=False)
    assert [(e.incident.ref, e.incident.private, e.commander) for e in listed] == [
        ("INC-6", True, "-"), ("INC-4", False, "-"), ("INC-3", False, "-"),
        ("INC-2", False, "-"), ("INC-1", False, "-")]


async def test_list_open_drills_and_since(quarter):
    await incidents.assign_commander(quarter, caller=by("U0ALICE", "C0INC3"), user_id="U0BOB",
                                     name="bob")
    listed = await records.list_incidents(quarter, open_only=True, since=None, drills=True)
    assert [(e.incident.ref, e.commander) for e in listed] == [
        ("INC-6", "-"), ("INC-5", "-"), ("INC-3", "bob")]
    since = await records.list_incidents(quarter, open_only=False, since=date(2026, 4, 3),
                                         drills=False)
    assert [e.incident.ref for e in since] == ["INC-6"]
