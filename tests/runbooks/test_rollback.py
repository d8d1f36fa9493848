"""A runbook says how to undo its risky steps: the `## Rollback` section is kept with the
runbook, shown in Slack beside scope and escalation, and its absence is a lint warning."""

from datetime import date, timedelta

from bot.runbooks.lint import warnings_of
from bot.runbooks.parse import parse_runbook
from tests.runbooks.samples import GOOD
from tests.runbooks.test_parse_and_lint import SHIPPED, run_lint
from tests.support.world import SHIPPED_RUNBOOKS

WITHOUT_ROLLBACK = GOOD[:GOOD.index("\n## Rollback")]


def warnings_about(text: str) -> list[str]:
    runbook, problems = parse_runbook(text, "rb.md")
    assert problems == []
    return [str(w) for w in warnings_of(runbook, today=date(2025, 2, 1),
                                        stale_after=timedelta(days=180))]


def test_the_rollback_section_is_kept_with_the_runbook_and_is_not_a_step():
    runbook, _ = parse_runbook(GOOD, "rb.md")
    assert runbook.rollback == ("The key is rebuilt from the database on its next read:\n"
                                "```\nredis-cli get hot-key\n```")
    assert [step.title for step in runbook.steps] == ["Verify alert", "Flush the hot key"]
    assert runbook.escalation == "Page the platform on-call."


def test_a_runbook_without_rollback_parses_with_an_empty_one():
    runbook, problems = parse_runbook(WITHOUT_ROLLBACK, "rb.md")
    assert problems == [] and runbook.rollback == ""


def test_only_a_high_risk_step_asks_for_a_rollback():
    assert warnings_about(WITHOUT_ROLLBACK.replace("risk: high", "risk: medium")) == []
    assert warnings_about(GOOD) == []


def test_the_warning_points_at_the_first_high_risk_step():
    two_risky = WITHOUT_ROLLBACK.replace("risk: low", "risk: high")
    assert warnings_about(two_risky) == [
        "rb.md:20: warning: step 1 is risk: high but there is no '## Rollback' section: say how "
        "to undo it"]


def test_lint_warns_and_exits_0_but_strict_fails(tmp_path):
    (tmp_path / "cache.md").write_text(WITHOUT_ROLLBACK)
    warning = (f"{tmp_path / 'cache.md'}:31: warning: step 2 is risk: high but there is no "
               "'## Rollback' section: say how to undo it")
    relaxed = run_lint(str(tmp_path), stale_after="3650d")
    printed = relaxed.stdout.splitlines()
    assert (relaxed.returncode, printed[0], len(printed)) == (0, warning, 2)  # then the summary
    strict = run_lint(str(tmp_path), "--strict", stale_after="3650d")
    assert (strict.returncode, strict.stdout.splitlines()) == (1, [warning])


def test_every_shipped_runbook_with_a_high_risk_step_says_how_to_roll_it_back():
    for path in sorted(SHIPPED.glob("*.md")):
        runbook, problems = parse_runbook(path.read_text(), str(path))
        assert problems == [], problems
        if any(step.risk == "high" for step in runbook.steps):
            assert runbook.rollback.strip(), path.name


async def test_slack_shows_the_rollback_with_scope_prerequisites_and_escalation(make_world):
    world = await make_world(runbooks_dir=SHIPPED_RUNBOOKS)
    channel = await world.declare("sev2 storage-latency-high Evidence writes slow")
    # The golden path's runbook fits one message, context and all six steps.
    [first] = [m for m in world.slack.messages(channel) if m.blocks
               and m.blocks[0]["type"] == "header"
               and m.blocks[0]["text"]["text"].startswith("RUN-005")]
    sections = [b["text"]["text"] for b in first.blocks if b["type"] == "section"]
    headed = [text.split("\n", 1)[0] for text in sections[:4]]
    assert headed == ["*Scope*", "*Prerequisites*", "*Rollback*", "*Escalation*"]
    assert "evidencectl route set --from &lt;standby-shard&gt; --to &lt;slow-shard&gt;" in sections[2]
    assert sections[4].startswith("*Step 1: Confirm write latency*")
