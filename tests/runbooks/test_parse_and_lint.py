"""The runbook format: what authors write, and every mistake named with its file and line."""

import os
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.runbooks.library import Library
from bot.runbooks.lint import lint, warnings_of
from bot.runbooks.parse import parse_runbook
from tests.runbooks.samples import GOOD

SHIPPED = Path(__file__).resolve().parents[2] / "runbooks"
STALE_AFTER = timedelta(days=180)  # RUNBOOK_STALE_AFTER's default
TESTED_RECENTLY = date(2025, 2, 1)  # two weeks after GOOD's last_tested


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
    assert [str(p) for p in Library.load(tmp_path)[1]] == [
        f"{tmp_path / 'b.md'}:2: duplicate id RUN-042 (also in {tmp_path / 'a.md'})"]


def test_a_missing_folder_is_one_problem(tmp_path):
    assert [str(p) for p in Library.load(tmp_path / "nope")[1]] == [f"{tmp_path / 'nope'}:0: no such folder"]


def test_the_shipped_runbooks_lint_clean_of_warnings_too():
    # Pinned to the day their last_tested dates were brought up to date: they age, the rest not.
    library, found = lint(SHIPPED, today=date(2026, 11, 25), stale_after=STALE_AFTER)
    assert found == []
    assert len(library.runbooks) >= 8


def test_evidence_storage_triage_follows_the_storage_latency_playbook():
    runbook = Library.load(SHIPPED)[0].find("RUN-005")
    assert [(step.title, step.risk) for step in runbook.steps] == [
        ("Confirm write latency", "low"),
        ("Find the slow shard and its cause", "low"),
        ("Reroute ingestion to standby shard", "high"),
        ("Warm the standby's cache", "medium"),
        ("Monitor for 30 minutes", "low"),
        ("Assemble the evidence bundle", "low")]
    assert "30 minutes" in " ".join(runbook.step(5).verification)
    bundle = " ".join(runbook.step(6).commands)
    assert "logs export" in bundle and "incident-bot export INC-<n>" in bundle
    assert "route set --from <standby-shard> --to <slow-shard>" in runbook.rollback
    assert runbook.matches("storage-latency-high")


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


def run_lint(*args: str, stale_after: str = "180d") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", "runbooks", "lint", *args],
                          env={**os.environ, "RUNBOOK_STALE_AFTER": stale_after},
                          capture_output=True, text=True, timeout=60, check=False)


def test_lint_command_exits_1_with_file_line_messages(tmp_path):
    (tmp_path / "broken.md").write_text(GOOD.replace("risk: high", "risk: spicy"))
    result = run_lint(str(tmp_path))
    assert result.returncode == 1
    assert result.stdout.strip() == f"{tmp_path / 'broken.md'}:32: unknown risk 'spicy' (use low, medium or high)"


def test_lint_command_on_a_clean_folder_prints_one_line_even_when_strict():
    # Ten years, so the shipped files' dates do not age this test; the test above pins the day.
    result = run_lint(str(SHIPPED), "--strict", stale_after="3650d")
    assert result.returncode == 0
    assert result.stdout.strip() == f"{SHIPPED}: {len(list(SHIPPED.glob('*.md')))} runbooks, no problems"


def test_warnings_alone_are_printed_and_exit_0(tmp_path):
    (tmp_path / "cache.md").write_text(GOOD.replace("owner: platform-team\n", ""))
    result = run_lint(str(tmp_path))
    assert result.returncode == 0
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'cache.md'}:1: warning: 'owner' is missing: name the team that keeps this runbook",
        f"{tmp_path / 'cache.md'}:6: warning: last tested 2025-01-15, more than 180d ago (RUNBOOK_STALE_AFTER)",
        f"{tmp_path}: 1 runbooks, no problems, 2 warnings"]


def test_strict_makes_a_warning_fail_the_lint(tmp_path):
    (tmp_path / "cache.md").write_text(GOOD)
    result = run_lint(str(tmp_path), "--strict", stale_after="3650d")
    assert result.returncode == 0
    result = run_lint(str(tmp_path), "--strict")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'cache.md'}:7: warning: last tested 2025-01-15, more than 180d ago (RUNBOOK_STALE_AFTER)"]


def test_errors_and_warnings_come_file_by_file_and_errors_exit_1(tmp_path):
    (tmp_path / "a.md").write_text(GOOD.replace("risk: high", "risk: spicy"))
    (tmp_path / "b.md").write_text(GOOD.replace("RUN-042", "RUN-043").replace("owner: platform-team", "owner:"))
    result = run_lint(str(tmp_path), stale_after="3650d")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{tmp_path / 'a.md'}:32: unknown risk 'spicy' (use low, medium or high)",
        f"{tmp_path / 'b.md'}:6: warning: 'owner' is missing: name the team that keeps this runbook"]


def warnings_of_text(text: str, today: date = TESTED_RECENTLY) -> list[str]:
    runbook, problems = parse_runbook(text, "rb.md")
    assert problems == []
    return [str(w) for w in warnings_of(runbook, today=today, stale_after=STALE_AFTER)]


def test_a_complete_recently_tested_runbook_has_no_warnings():
    assert warnings_of_text(GOOD) == []


@pytest.mark.parametrize(("lacking", "expected"), [
    (GOOD.replace("owner: platform-team\n", ""),
     "rb.md:1: warning: 'owner' is missing: name the team that keeps this runbook"),
    (GOOD.replace("owner: platform-team", "owner: ''"),
     "rb.md:6: warning: 'owner' is missing: name the team that keeps this runbook"),
    (GOOD.replace("last_tested: 2025-01-15\n", ""), "rb.md:1: warning: 'last_tested' is missing"),
    (GOOD.replace("## Escalation\nPage the platform on-call.\n", ""),
     "rb.md:1: warning: no '## Escalation' section"),
    (GOOD.replace("Page the platform on-call.\n", ""),
     "rb.md:40: warning: the '## Escalation' section is empty"),
    (GOOD.replace("Verification:\n- [ ] hit ratio back above 90%\n", ""),
     "rb.md:31: warning: step 2 has no 'Verification:' checklist ('- [ ] …')"),
    (GOOD.replace("- [ ] hit ratio back above 90%", "- hit ratio back above 90%"),
     "rb.md:31: warning: step 2 has no 'Verification:' checklist ('- [ ] …')"),
    (GOOD[:GOOD.index("\n## Rollback")],
     "rb.md:31: warning: step 2 is risk: high but there is no '## Rollback' section: say how to "
     "undo it"),
    (GOOD[:GOOD.index("The key is rebuilt")],
     "rb.md:31: warning: step 2 is risk: high but the '## Rollback' section is empty: say how to "
     "undo it"),
])
def test_each_warning_points_at_its_line_or_line_1_when_absent(lacking, expected):
    assert warnings_of_text(lacking) == [expected]


def test_a_runbook_tested_longer_ago_than_runbook_stale_after_is_stale():
    day_180 = date(2025, 1, 15) + STALE_AFTER
    assert warnings_of_text(GOOD, today=day_180) == []
    assert warnings_of_text(GOOD, today=day_180 + timedelta(days=1)) == [
        "rb.md:7: warning: last tested 2025-01-15, more than 180d ago (RUNBOOK_STALE_AFTER)"]


def test_stale_is_a_plain_rule_on_a_date():
    runbook = parse_runbook(GOOD, "rb.md")[0]
    assert not runbook.stale(date(2025, 7, 14), timedelta(days=180))
    assert runbook.stale(date(2025, 7, 15), timedelta(days=180))
    assert replace(runbook, last_tested=None).stale(date(2025, 1, 15), timedelta(days=180))


def test_more_than_50_steps_is_one_warning_at_step_51():
    procedure = "".join(f"### Step {n}: Do thing {n}\nVerification:\n- [ ] done\n" for n in range(1, 53))
    long = GOOD.split("### Step 1")[0] + procedure + GOOD[GOOD.index("## Escalation"):]
    step_51 = 19 + 50 * 3 + 1
    assert warnings_of_text(long) == [f"rb.md:{step_51}: warning: 52 steps, more than 50: split the runbook"]
