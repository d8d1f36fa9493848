"""The runbook format: what authors write, and every mistake named with its file and line."""

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.runbooks.library import Library, lint
from bot.runbooks.parse import parse_runbook

SHIPPED = Path(__file__).resolve().parents[2] / "runbooks"

GOOD = """---
id: RUN-042
title: Cache stampede
category: incident
trigger: cache hit ratio < 50%
owner: platform-team
last_tested: 2025-01-15
match: [cache-*, stampede]
checks:
  hit-ratio: {run: "echo 42", timeout: 3s}
  health: {http: "http://127.0.0.1:9/health"}
---
## Scope
The shared cache tier.

## Prerequisites
- redis-cli

## Procedure
### Step 1: Verify alert
risk: low
check: hit-ratio
Look at the dashboard.
```
redis-cli info stats
```
Verification:
- [ ] ratio below 50%
- [ ] alert is real

### Step 2: Flush the hot key
risk: high
```
# not a heading
redis-cli del hot-key
```

## Escalation
Page the platform on-call.
"""


def problems_of(text: str) -> list[str]:
    return [str(p) for p in parse_runbook(text, "rb.md")[1]]


def test_a_well_formed_runbook_is_read_whole():
    runbook, problems = parse_runbook(GOOD, "rb.md")
    assert problems == []
    assert (runbook.id, runbook.title, runbook.category, runbook.owner) == \
        ("RUN-042", "Cache stampede", "incident", "platform-team")
    assert runbook.match == ("cache-*", "stampede") and runbook.matches("cache-eu")
    assert runbook.checks["hit-ratio"].timeout.total_seconds() == 3
    assert runbook.checks["health"].timeout.total_seconds() == 10
    first, second = runbook.steps
    assert (first.number, first.title, first.risk, first.check, first.line) == \
        (1, "Verify alert", "low", "hit-ratio", 20)
    assert first.commands == ("redis-cli info stats",)
    assert first.verification == ("ratio below 50%", "alert is real")
    assert first.text.startswith("Look at the dashboard.")
    assert (second.risk, second.commands) == ("high", ("# not a heading\nredis-cli del hot-key",))
    assert runbook.scope == "The shared cache tier."
    assert runbook.escalation == "Page the platform on-call."


@pytest.mark.parametrize(("broken", "expected"), [
    (GOOD.replace("---\nid", "id", 1), ["rb.md:1: no front matter: the file must start with a '---' line"]),
    (GOOD.replace("\n---\n## Scope", "\n## Scope"), ["rb.md:1: front matter is not closed with a '---' line"]),
    (GOOD.replace("owner: platform-team", "owner: [platform"),
     ["rb.md:7: front matter is not valid YAML: expected ',' or ']', but got ':'"]),
    (GOOD.replace("id: RUN-042\n", ""), ["rb.md:2: 'id' is missing"]),
    (GOOD.replace("title: Cache stampede", "title:"), ["rb.md:3: 'title' is missing"]),
    (GOOD.replace("id: RUN-042", "id: cache-1"), ["rb.md:2: id 'cache-1' must look like RUN-001"]),
    (GOOD.replace("category: incident", "category: fun"),
     ["rb.md:4: unknown category 'fun' (use one of incident, deployment, maintenance, recovery, escalation)"]),
    (GOOD.replace("risk: high", "risk: spicy"), ["rb.md:32: unknown risk 'spicy' (use low, medium or high)"]),
    (GOOD.replace("check: hit-ratio", "check: nope"),
     ["rb.md:22: step 1 names check 'nope', which the front matter does not declare"]),
    (GOOD.replace('  health: {http: "http://127.0.0.1:9/health"}', "  health: {timeout: 3s}"),
     ["rb.md:11: check 'health' needs exactly one of run: or http:"]),
    (GOOD.replace("timeout: 3s", "timeout: soon"),
     ["rb.md:10: check 'hit-ratio': timeout 'soon' is not a duration (use e.g. 30s, 15m, 2h, 1d or 1h30m)"]),
    (GOOD.replace("match: [cache-*, stampede]", "match: {a: 1}"), ["rb.md:8: match must be a list of slug patterns"]),
    (GOOD.replace("last_tested: 2025-01-15", "last_tested: someday"),
     ["rb.md:7: last_tested must be a date like 2025-01-15"]),
    (GOOD.replace("## Procedure", "## Steps"), ["rb.md:13: no '## Procedure' section"]),
    (GOOD.replace("### Step 1", "#### Step 1").replace("### Step 2", "#### Step 2"),
     ["rb.md:19: the procedure has no steps ('### Step 1: …')"]),
    (GOOD.replace("### Step 2: Flush", "### Step 1: Flush"), ["rb.md:31: step 1 appears twice"]),
    (GOOD.replace("### Step 2: Flush", "### Step 3: Flush"),
     ["rb.md:31: step 3 is out of order (expected step 2)"]),
])
def test_every_problem_is_reported_at_its_line(broken, expected):
    assert problems_of(broken) == expected


def test_all_problems_are_reported_not_just_the_first():
    broken = GOOD.replace("category: incident", "category: fun").replace("risk: high", "risk: spicy")
    assert len(problems_of(broken)) == 2


def test_duplicate_ids_across_files_are_reported_on_the_second(tmp_path):
    (tmp_path / "a.md").write_text(GOOD)
    (tmp_path / "b.md").write_text(GOOD)
    assert [str(p) for p in lint(tmp_path)] == [
        f"{tmp_path / 'b.md'}:2: duplicate id RUN-042 (also in {tmp_path / 'a.md'})"]


def test_a_missing_folder_is_one_problem(tmp_path):
    assert [str(p) for p in lint(tmp_path / "nope")] == [f"{tmp_path / 'nope'}:0: no such folder"]


def test_the_shipped_runbooks_lint_clean():
    library, problems = Library.load(SHIPPED)
    assert problems == []
    assert len(library.runbooks) >= 8


def test_evidence_storage_triage_has_six_steps_and_a_high_risk_reroute():
    runbook = Library.load(SHIPPED)[0].find("RUN-005")
    assert len(runbook.steps) == 6
    assert (runbook.steps[2].title, runbook.steps[2].risk) == ("Reroute ingestion to standby shard", "high")


def test_finding_matching_and_suggesting():
    library = Library.load(SHIPPED)[0]
    assert [r.id for r in library.matching("db-outage")] == ["RUN-001"]
    assert library.find("run-001").id == library.find("Database connection pool exhaustion").id
    assert library.find("pool") is None
    assert library.suggest("pool")[0].id == "RUN-001"


@given(st.text(max_size=400))
def test_any_text_gives_problems_not_exceptions(text):
    runbook, problems = parse_runbook(text, "x.md")
    assert (runbook is None) == bool(problems)


@given(st.text(max_size=200))
def test_any_text_after_valid_front_matter_gives_problems_not_exceptions(text):
    parse_runbook(GOOD.split("## Scope")[0] + text, "x.md")


def run_lint(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "runbooks", "lint", *args],
                          capture_output=True, text=True, timeout=60, check=False)


def test_lint_command_exits_1_with_file_line_messages(tmp_path):
    (tmp_path / "broken.md").write_text(GOOD.replace("risk: high", "risk: spicy"))
    result = run_lint(str(tmp_path))
    assert result.returncode == 1
    assert result.stdout.strip() == f"{tmp_path / 'broken.md'}:32: unknown risk 'spicy' (use low, medium or high)"


def test_lint_command_on_a_clean_folder_prints_one_line():
    result = run_lint(str(SHIPPED))
    assert result.returncode == 0
    assert result.stdout.strip() == f"{SHIPPED}: 8 runbooks, no problems"
