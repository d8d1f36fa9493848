"""How a runbook's age is shown: judged on the day given, against the operator's setting."""

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.config import load_settings
from bot.domain.runbook_progress import AttachedRunbook, StepState
from bot.runbooks.copies import RunbookView, StepView
from bot.runbooks.parse import parse_runbook
from bot.slack.render.runbook import runbook_message

SOURCE = """---
id: RUN-401
title: Disk full
owner: storage-team
last_tested: 2026-01-10
---
## Procedure
### Step 1: Find the largest directories
risk: low
"""


def view() -> RunbookView:
    runbook, problems = parse_runbook(SOURCE, "runbooks/disk.md")
    assert runbook is not None, problems
    attached = AttachedRunbook(id=41, incident_id=1, runbook_id=runbook.id, path=runbook.path,
                               source=SOURCE, sha256=runbook.sha256,
                               attached_at=datetime(2026, 3, 1, tzinfo=UTC), attached_by="U1")
    return RunbookView(attached, runbook, [StepView(s, StepState()) for s in runbook.steps])


@pytest.mark.parametrize(("today", "after", "shown"), [
    (date(2026, 2, 9), timedelta(days=30), "Last tested 2026-01-10"),
    (date(2026, 2, 10), timedelta(days=30), ":warning: last tested 2026-01-10, over 30 days ago"),
    (date(2026, 1, 12), timedelta(days=1), ":warning: last tested 2026-01-10, over 1 day ago"),
    (date(2026, 1, 12), timedelta(hours=36), ":warning: last tested 2026-01-10, over 1d12h ago"),
])
def test_the_last_test_is_flagged_once_it_is_older_than_the_setting(today, after, shown):
    _, blocks = runbook_message(view(), 0, {}, today=today, stale_after=after)
    assert [e["text"] for e in blocks[1]["elements"]] == [
        "0/1 steps done", "Owner: storage-team", shown, ":warning: no escalation path"]


def test_runbook_stale_after_reaches_the_policy():
    assert load_settings(runbook_stale_after="90d").policy().runbook_stale_after == timedelta(days=90)
    assert load_settings().policy().runbook_stale_after == timedelta(days=180)
