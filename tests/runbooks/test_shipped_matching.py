"""The shipped runbooks a team reaches for at 3 AM attach themselves: to the slugs people
declare, and to alerts once their names are in kebab case (`KubePodCrashLooping` →
`kube-pod-crash-looping`)."""

import pytest

from bot.domain.alerts import alert_slug
from bot.runbooks.library import Library
from tests.runbooks.test_parse_and_lint import SHIPPED

# Each runbook, slugs an on-call engineer would type, and alert names as Prometheus rules
# and kube-prometheus spell them.
ATTACHED_BY = {
    "RUN-005": (["evidence-writes-slow", "storage-latency-high"], ["StorageLatencyHigh"]),
    "RUN-016": (["service-down", "checkout-crash-looping", "pod-crash-looping"],
                ["KubePodCrashLooping", "ServiceDown"]),
    "RUN-017": (["hotfix", "hotfix-checkout", "emergency-deploy"], []),
    "RUN-018": (["data-loss-orders", "restore-orders", "bad-migration-2-14"],
                ["PostgresBackupFailed"]),
    "RUN-019": (["checkout-slow", "high-request-latency", "api-latency"],
                ["HighRequestLatency", "HighApiLatency"]),
    "RUN-020": (["flag-new-checkout", "bad-flag", "kill-switch"], ["FeatureFlagErrorRate"]),
    "RUN-021": (["scale-out", "traffic-spike", "api-saturated"], ["KubeHpaMaxedOut"]),
    "RUN-022": (["capacity-cpu", "capacity-eu-west", "quota-exceeded"],
                ["KubeQuotaAlmostFull", "KubeCPUOvercommit", "KubeMemoryOvercommit"]),
}


@pytest.fixture(scope="module")
def library() -> Library:
    library, problems = Library.load(SHIPPED)
    assert problems == []
    return library


@pytest.mark.parametrize(("runbook_id", "slugs", "alerts"),
                         [(key, *value) for key, value in ATTACHED_BY.items()])
def test_each_runbook_is_attached_by_what_people_declare_and_alerts_fire(
        library, runbook_id, slugs, alerts):
    for name in slugs + [alert_slug(alert) for alert in alerts]:
        assert runbook_id in [r.id for r in library.matching(name)], name


def test_the_new_runbooks_leave_the_older_matches_alone(library):
    # Incidents that attached one runbook before still attach that one alone.
    assert [r.id for r in library.matching("db-outage")] == ["RUN-001"]
    assert [r.id for r in library.matching("disk-full")] == ["RUN-006"]
    assert [r.id for r in library.matching("app-down")] == ["RUN-004"]
    assert [r.id for r in library.matching("storage-latency-high")] == ["RUN-005"]


def test_every_new_runbook_has_the_whole_format(library):
    for runbook_id in ATTACHED_BY:
        runbook = library.find(runbook_id)
        assert runbook.owner and runbook.trigger and runbook.match, runbook_id
        assert runbook.scope and runbook.prerequisites and runbook.escalation, runbook_id
        assert runbook.rollback and runbook.steps, runbook_id
        assert all(step.verification for step in runbook.steps), runbook_id
