"""Failing a step with a reason and aborting a runbook, as use cases: no Slack, a real database."""

import pytest

from bot.domain.errors import IncidentError
from bot.domain.notices import StepFailed
from bot.domain.runbook_progress import ABORT_REASON_LIMIT
from bot.export.render import Renderer
from bot.runbooks.parse import parse_runbook
from bot.services import incidents, runbooks
from bot.services.exporter import Exporter
from tests.services.support import POLICY, actions, by, channel_posts

RUNBOOK = """---
id: RUN-301
title: Queue backlog
match: [queue-*]
checks:
  depth: {run: "echo depth=1200", timeout: 5s}
---
## Procedure
### Step 1: Measure the backlog
risk: low
check: depth
### Step 2: Purge poison messages
risk: high

## Escalation
page @queue-oncall after 10 minutes
"""


async def attached_runbook(store) -> int:
    runbook, problems = parse_runbook(RUNBOOK, "runbooks/queue.md")
    assert runbook is not None, problems
    incident = await incidents.declare(store, caller=by("U0ALICE", "C0OPS"), severity=2,
                                       slug="queue-backlog", title="Orders queue backlog",
                                       policy=POLICY, runbooks=[runbook])
    async with store.transaction() as tx:
        opened = await tx.incident(incident.id, lock=True)
        opened.channel_id, opened.channel_name = "C0INC1", "inc-1-queue-backlog"
        await tx.save_incident(opened)
        return (await tx.attached_runbooks(incident.id))[0].id


async def test_a_failure_keeps_its_reason_and_the_channel_hears_the_escalation_path(store):
    attached = await attached_runbook(store)
    await runbooks.mark_step(store, caller=by("U0BOB"), attached_id=attached, number=1,
                             status="failed", reason="  consumer lag metric is missing  ")
    async with store.reading() as tx:
        failed = (await tx.events(1))[-1]
    assert (failed.action, failed.step, failed.details, failed.data) == (
        "step_failed", "RUN-301#1", "RUN-301 step 1: Measure the backlog; reason: consumer lag "
        "metric is missing", {"reason": "consumer lag metric is missing"})
    post = (await channel_posts(store))[-1]
    assert isinstance(post, StepFailed)
    assert (post.reason, post.escalation) == (
        "consumer lag metric is missing", "page @queue-oncall after 10 minutes")

    with pytest.raises(IncidentError, match="Step 1 is already failed"):
        await runbooks.step_to_fail(store, caller=by("U0CAROL"), attached_id=attached, number=1)


async def test_an_aborted_runbook_refuses_every_step_action_and_records_nothing(store):
    attached = await attached_runbook(store)
    runbook = await runbooks.abort(store, caller=by("U0BOB"), attached_id=attached,
                                   reason=" wrong runbook: the broker is down ")
    assert runbook.id == "RUN-301"
    async with store.reading() as tx:
        aborted = (await tx.events(1))[-1]
    assert (aborted.action, aborted.step, aborted.details, aborted.data) == (
        "runbook_aborted", None, "RUN-301 Queue backlog: wrong runbook: the broker is down",
        {"runbook": "RUN-301", "reason": "wrong runbook: the broker is down"})
    recorded = await actions(store)

    refusal = "RUN-301 was aborted: wrong runbook: the broker is down. Its steps are closed."
    attempts = [
        runbooks.mark_step(store, caller=by("U0CAROL"), attached_id=attached, number=1,
                           status="started"),
        runbooks.step_to_fail(store, caller=by("U0CAROL"), attached_id=attached, number=1),
        runbooks.check(store, caller=by("U0CAROL"), attached_id=attached, number=1,
                       snapshot=True, allow_commands=True),
        runbooks.request_step_access(store, caller=by("U0CAROL"), attached_id=attached,
                                     number=2, policy=POLICY),
    ]
    for attempt in attempts:
        with pytest.raises(IncidentError) as refused:
            await attempt
        assert str(refused.value) == refusal
    with pytest.raises(IncidentError, match="RUN-301 was already aborted"):
        await runbooks.runbook_to_abort(store, caller=by("U0CAROL"), attached_id=attached)
    assert await actions(store) == recorded


@pytest.mark.parametrize(("reason", "refusal"), [
    ("   ", "Say why."),
    ("x" * (ABORT_REASON_LIMIT + 1), f"Keep the reason within {ABORT_REASON_LIMIT} characters"),
])
async def test_aborting_needs_a_reason_that_fits(store, reason, refusal):
    attached = await attached_runbook(store)
    with pytest.raises(IncidentError, match=refusal):
        await runbooks.abort(store, caller=by("U0BOB"), attached_id=attached, reason=reason)
    assert "runbook_aborted" not in await actions(store)


async def test_a_resolved_incidents_runbook_can_no_longer_be_aborted(store, tmp_path):
    attached = await attached_runbook(store)
    await incidents.resolve(store, caller=by("U0BOB"), root_cause="broker disk full",
                            exporter=Exporter(export_dir=tmp_path, renderer=Renderer()),
                            policy=POLICY)
    with pytest.raises(IncidentError, match="INC-1 is resolved; its runbook steps are closed"):
        await runbooks.runbook_to_abort(store, caller=by("U0BOB"), attached_id=attached)
