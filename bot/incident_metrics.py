"""The incident figures on /metrics, read from the database at each scrape: every replica
reports the same figures, so a dashboard takes one replica's (max), never their sum.

Drills are left out of the incident figures, as `stats` leaves them out; runbook runs and
access count them, since a drill runs real runbooks and asks for real access."""

import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from bot.domain.alerts import detected_at
from bot.domain.incident import Incident
from bot.domain.runbook_progress import (
    StepState,
    aborts,
    all_ended,
    completions,
    step_key,
    step_states,
)
from bot.domain.severity import parse_severity
from bot.domain.stats import Figures
from bot.domain.timeline import TimelineEvent
from bot.outbound.lanes import Outbox
from bot.runbooks.copies import runbook_of
from bot.services.incidents import Source, declared_source
from bot.storage.store import Store, Tx
from bot.storage.tx.tallies import AccessTally, AttachedRun

log = logging.getLogger(__name__)

SEVERITIES = ("1", "2", "3", "4")
OUTCOMES = ("completed", "aborted", "running")
MINUTE, HOUR, DAY = 60, 3600, 86400
# From a page answered at once to an incident that took a week.
MTTA_MTTR_BUCKETS = (MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR, 4 * HOUR,
                     8 * HOUR, DAY, 3 * DAY, 7 * DAY)
# A runbook is worked through in minutes to hours; one left a day is forgotten.
RUN_BUCKETS = (MINUTE, 5 * MINUTE, 10 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 2 * HOUR,
               4 * HOUR, 8 * HOUR, DAY)


@dataclass
class Runs:
    outcomes: Counter[str] = field(default_factory=Counter)
    durations: list[timedelta] = field(default_factory=list)  # of the runs that ended


class IncidentFigures:
    """A Prometheus collector: `read()` (awaited by the /metrics handler) takes the figures
    from the database, `collect()` hands out the last ones read."""

    def __init__(self, store: Store, outbox: Outbox) -> None:
        self.store, self.outbox = store, outbox
        self._families: list[Metric] = []
        # Step numbers of each runbook copy, by its sha256: a copy never changes.
        self._steps: dict[str, tuple[int, ...] | None] = {}

    def collect(self) -> Iterator[Metric]:
        yield from self._families

    async def read(self) -> None:
        async with self.store.reading() as tx:
            incidents = [i for i in await tx.incidents() if not i.drill]
            events = await tx.tallied_events()
            attached = await tx.attached_runs()
            completion_events = await tx.completion_events()
            await self._learn_steps(tx, attached)
            access = await tx.access_tally()
        oldest = await self.outbox.oldest_owed()
        owed_for = self.store.clock() - oldest if oldest else timedelta(0)
        by_incident: dict[int, list[TimelineEvent]] = defaultdict(list)
        for event in events:
            by_incident[event.incident_id].append(event)
        turned: dict[int, list[TimelineEvent]] = defaultdict(list)
        for event in completion_events:
            turned[event.incident_id].append(event)
        self._families = [
            *_incident_families(incidents, by_incident),
            *_runbook_families(self._runs(attached, by_incident, turned), events, access),
            GaugeMetricFamily("incident_bot_access_grants_live",
                              "Access grants in force now: approved, not expired, not revoked",
                              value=access.live),
            GaugeMetricFamily("incident_bot_outbox_oldest_owed_seconds",
                              "Age of the oldest outbound call still owed; 0 when none is",
                              value=max(owed_for.total_seconds(), 0.0)),
        ]

    async def _learn_steps(self, tx: Tx, attached: Iterable[AttachedRun]) -> None:
        unknown = {run.sha256 for run in attached} - self._steps.keys()
        for copy in await tx.runbook_copies(unknown):
            try:
                self._steps[copy.sha256] = tuple(s.number for s in runbook_of(copy).steps)
            except ValueError as exc:  # its runs are running until aborted: nothing says done
                log.warning("runbook %s attached to INC-%s: %s", copy.runbook_id,
                            copy.incident_id, exc)
                self._steps[copy.sha256] = None

    def _runs(self, attached: Iterable[AttachedRun], by_incident: dict[int, list[TimelineEvent]],
              turned: dict[int, list[TimelineEvent]]) -> Runs:
        """A run is completed as its runbook_completed says (and running again after a
        runbook_reopened), so this figure, the summary and the export agree."""
        runs = Runs()
        marks: dict[int, dict[str, StepState]] = {}
        for run in attached:
            events = by_incident.get(run.incident_id, [])
            if run.incident_id not in marks:
                marks[run.incident_id] = step_states(events)
            abort = aborts(events).get(run.runbook_id)
            completion = completions(turned.get(run.incident_id, [])).get(run.runbook_id)
            if abort:
                ended: datetime | None = abort.at
            elif completion is not None:
                ended = completion.at if completion.completed else None
            else:  # a run from before runbook_completed was recorded: its steps tell
                ended = _completed_at(run, self._steps.get(run.sha256), marks[run.incident_id])
            runs.outcomes["aborted" if abort else "completed" if ended else "running"] += 1
            if ended:
                runs.durations.append(ended - run.attached_at)
        return runs


def _completed_at(run: AttachedRun, numbers: Sequence[int] | None,
                  marks: dict[str, StepState]) -> datetime | None:
    """When the run's last step was marked, if every step is done or skipped."""
    if numbers is None:
        return None
    if not all_ended(run.runbook_id, numbers, marks):
        return None
    states = [marks.get(step_key(run.runbook_id, n)) for n in numbers]
    return max((s.at for s in states if s is not None and s.at), default=run.attached_at)


def _incident_families(incidents: Sequence[Incident],
                       by_incident: dict[int, list[TimelineEvent]]) -> Iterator[Metric]:
    open_now = Counter(str(i.severity) for i in incidents if i.status.is_open)
    gauge = GaugeMetricFamily("incident_bot_open_incidents", "Incidents open now, by severity",
                              labels=["severity"])
    for severity in SEVERITIES:
        gauge.add_metric([severity], open_now[severity])
    yield gauge

    declared: Counter[tuple[str, str]] = Counter()
    figures = Figures()
    for incident in incidents:
        events = by_incident.get(incident.id, [])
        declared[_declared_as(incident, events)] += 1
        figures.add(incident, detected=detected_at(events), missed_ack=False)
    counter = CounterMetricFamily(
        "incident_bot_incidents_declared",
        "Incidents declared, by their severity when declared and where from",
        labels=["severity", "source"])
    for severity in SEVERITIES:
        for source in Source:
            counter.add_metric([severity, str(source)], declared[(severity, str(source))])
    yield counter
    yield _histogram("incident_bot_mtta_seconds",
                     "Time to acknowledge: from the first alert's start (or the declare) "
                     "to the acknowledgement", MTTA_MTTR_BUCKETS, figures.to_acknowledge)
    yield _histogram("incident_bot_mttr_seconds",
                     "Time to resolve: from the declare to the resolve", MTTA_MTTR_BUCKETS,
                     figures.to_resolve)


def _declared_as(incident: Incident, events: Sequence[TimelineEvent]) -> tuple[str, str]:
    """(severity when declared, source). A later change keeps what it changed from."""
    changed = next((e for e in events if e.action == "severity_changed" and "from" in e.data),
                   None)
    severity = parse_severity(changed.data["from"]) if changed else incident.severity
    declare = next((e for e in events if e.action == "declared"), None)
    source = declared_source(incident.declared_by, declare.data if declare else {})
    return str(severity), str(source)


def _runbook_families(runs: Runs, events: Sequence[TimelineEvent],
                      access: AccessTally) -> Iterator[Metric]:
    outcomes = CounterMetricFamily("incident_bot_runbook_runs",
                                   "Runbooks attached to incidents, by how their run stands",
                                   labels=["outcome"])
    for outcome in OUTCOMES:
        outcomes.add_metric([outcome], runs.outcomes[outcome])
    yield outcomes
    yield CounterMetricFamily("incident_bot_runbook_step_failures",
                              "Runbook steps marked failed",
                              value=sum(e.action == "step_failed" for e in events))
    high_risk = CounterMetricFamily("incident_bot_high_risk_steps",
                                    "Access requested for runbook steps, and approved",
                                    labels=["state"])
    high_risk.add_metric(["requested"], access.step_requested)
    high_risk.add_metric(["approved"], access.step_approved)
    yield high_risk
    yield _histogram("incident_bot_runbook_run_duration_seconds",
                     "Runbook runs that ended: from the attach to the last step or the abort",
                     RUN_BUCKETS, runs.durations)


def _histogram(name: str, documentation: str, bounds: Sequence[int],
               values: Sequence[timedelta]) -> HistogramMetricFamily:
    seconds = [v.total_seconds() for v in values]
    buckets = [(floatToGoString(bound), sum(s <= bound for s in seconds)) for bound in bounds]
    return HistogramMetricFamily(name, documentation, sum_value=sum(seconds),
                                 buckets=[*buckets, ("+Inf", len(seconds))])
