from dataclasses import dataclass, field
from datetime import timedelta

from bot.domain.roles import BUILT_IN


@dataclass(frozen=True)
class Policy:
    """The operator's rules the use cases follow (from settings). The defaults here are the
    settings' defaults too (bot/config.py reads them from a Policy())."""

    approvers: tuple[str, ...] = ()
    access_expiry_warning: timedelta = timedelta(minutes=15)
    status_update_intervals: dict[int, timedelta] = field(default_factory=lambda: {
        1: timedelta(minutes=10), 2: timedelta(minutes=30), 3: timedelta(hours=1),
        4: timedelta(hours=4)})
    roles: tuple[str, ...] = BUILT_IN
    # Slack user (U…/W…) and user group (S…) ids invited to each new incident, by severity.
    invite_on_declare: dict[int, tuple[str, ...]] = field(default_factory=dict)
    # Reaching people: how long an incident may stay `new`, and when executives hear of one
    # still open (only the severities listed).
    ack_deadlines: dict[int, timedelta] = field(default_factory=lambda: {
        1: timedelta(minutes=5), 2: timedelta(minutes=30), 3: timedelta(hours=2),
        4: timedelta(days=7)})
    escalate_after: dict[int, timedelta] = field(default_factory=lambda: {
        1: timedelta(hours=1), 2: timedelta(hours=4)})
    escalation_users: tuple[str, ...] = ()
    # An overdue acknowledgement pages PagerDuty (PAGERDUTY_ROUTING_KEY is set).
    page_on_escalation: bool = False
    # The PagerDuty services `/incident page` knows by name (their routing keys stay at the edge).
    paging_services: tuple[str, ...] = ()
    # EXEC_CHANNEL is set: executives hear of incidents still open after `escalate_after`.
    tell_executives: bool = False
    # STATUSPAGE_PAGE_ID and STATUSPAGE_API_KEY are set: `/incident statuspage` works.
    statuspage: bool = False
    # A runbook last tested longer ago than this is flagged where it is shown.
    runbook_stale_after: timedelta = timedelta(days=180)
    # Resolved this long and not closed: the commander is reminded of the postmortem, once.
    postmortem_due: timedelta = timedelta(hours=24)
    # After resolve, a burst of changes rewrites the export once, this long after the first.
    export_debounce: timedelta = timedelta(seconds=30)

    def status_update_interval(self, severity: int) -> timedelta:
        return self.status_update_intervals[severity]

    def paging_service(self, name: str) -> str | None:
        """The configured service of that name, any case."""
        return next((s for s in self.paging_services if s.lower() == name.lower()), None)
