"""An operator trying a policy before deploying it: lint, test, check against the record,
and the refusals kept for review."""

import asyncio
import json
from pathlib import Path

import pytest

from bot.authz.judge import PolicyJudge
from bot.authz.policy_files import compile_policy
from bot.domain.authz import Denied
from bot.services import incidents, people
from bot.services.caller import Caller
from bot.storage.store import Store
from tests.services.support import POLICY as SETTINGS
from tests.services.support import by, open_incident
from tests.support.clock import ManualClock
from tests.test_cli import run

POLICY = Path(__file__).resolve().parents[2] / "policy"
BROKEN = "package incident.authz\nimport rego.v1\n\nallow if {\n  input.user.id = \n}\n"


def test_the_shipped_policies_pass_their_own_tests():
    for policy in ("default.rego", "strict.rego"):
        result = run("policy", "test", str(POLICY / policy))
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.splitlines()[-1].endswith("passed, 0 failed")
        assert "FAIL" not in result.stdout and "ERROR" not in result.stdout


def test_a_policy_that_allows_everything_fails_the_strict_tests(tmp_path):
    (tmp_path / "open.rego").write_text("package incident.authz\nimport rego.v1\n"
                                        "default allow := true\n")
    (tmp_path / "open_test.rego").write_text((POLICY / "strict_test.rego").read_text())

    result = run("policy", "test", str(tmp_path / "open.rego"))

    assert result.returncode == 1
    assert "FAIL data.incident.authz.test_someone_else_does_not_resolve_and_is_told_why" \
        in result.stdout
    assert "PASS data.incident.authz.test_the_commander_resolves" in result.stdout


def test_lint_says_where_a_policy_does_not_compile(tmp_path):
    (tmp_path / "broken.rego").write_text(BROKEN)

    result = run("policy", "lint", str(tmp_path / "broken.rego"))

    assert result.returncode == 1
    assert result.stdout.strip() == f"{tmp_path / 'broken.rego'}:5: Invalid assignment operator"
    assert run("policy", "lint", str(POLICY / "strict.rego")).returncode == 0


def test_a_policy_that_does_not_compile_stops_serve_with_file_and_line(tmp_path):
    (tmp_path / "broken.rego").write_text(BROKEN)

    result = run("serve", env={"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s",
                               "POLICY_FILE": str(tmp_path / "broken.rego"),
                               "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}"})

    assert result.returncode != 0
    assert f"POLICY_FILE: {tmp_path / 'broken.rego'}:5: Invalid assignment operator" \
        in result.stderr
    assert "Traceback" not in result.stderr


def test_a_function_that_does_not_exist_is_found_before_the_first_decision(tmp_path):
    (tmp_path / "typo.rego").write_text("package incident.authz\nimport rego.v1\n\n"
                                        "allow if is_commandr(input.user)\n")

    result = run("policy", "lint", str(tmp_path / "typo.rego"))

    assert result.returncode == 1
    assert result.stdout.strip() == f"{tmp_path / 'typo.rego'}:4: Function not found: is_commandr"


def _incident_led_by_alice(database_url: str) -> None:
    async def play() -> None:
        store = Store.from_url(database_url, clock=ManualClock().now)
        await open_incident(store)
        await incidents.assign_commander(store, caller=by("U0ALICE"), user_id="U0ALICE",
                                         name="alice")
        await people.assign_role(store, caller=by("U0ALICE"), role="comms", user_id="U0CAROL",
                                 name="carol", policy=SETTINGS)
        await store.close()

    asyncio.run(play())


def test_check_agrees_with_the_bot_about_the_record(database_url):
    _incident_led_by_alice(database_url)
    env = {"DATABASE_URL": database_url, "POLICY_FILE": str(POLICY / "strict.rego")}

    bob = run("policy", "check", "--user", "U0BOB", "--action", "resolve", "--incident", "INC-1",
              env=env)
    alice = run("policy", "check", "--user", "U0ALICE", "--action", "resolve",
                "--incident", "INC-1", env=env)
    carol = run("policy", "check", "--user", "U0CAROL", "--action", "statuspage",
                "--incident", "INC-1", "--arg", "status=investigating", env=env)

    assert bob.returncode == 1
    assert bob.stdout.startswith("denied: U0BOB may not resolve on INC-1: Only the incident")
    assert alice.returncode == 0 and alice.stdout.strip() == "allowed: U0ALICE may resolve on INC-1"
    assert carol.returncode == 0, carol.stdout  # comms, read from the timeline


def test_check_refuses_bad_input_in_one_line(database_url):
    env = {"DATABASE_URL": database_url}
    for args, line in ((["--user", "bob", "--action", "resolve"], "is not a Slack user id"),
                       (["--user", "U0BOB", "--action", "reboot"], "is not an action"),
                       (["--user", "U0BOB", "--action", "resolve", "--incident", "INC-9"],
                        "INC-9 does not exist")):
        result = run("policy", "check", *args, env=env)
        assert result.returncode == 2 and line in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_audit_denials_lists_who_what_where_why_and_when(database_url):
    _incident_led_by_alice(database_url)
    strict = {"DATABASE_URL": database_url, "POLICY_FILE": str(POLICY / "strict.rego")}

    async def refused() -> None:
        store = Store.from_url(database_url, clock=ManualClock().now)
        judge = PolicyJudge(compile_policy(POLICY / "strict.rego", []), approvers=[])
        bob = Caller(user_id="U0BOB", user_name="bob", channel_id="C0INC1", trigger_id="t-1",
                     judge=judge)
        with pytest.raises(Denied):
            await incidents.set_severity(store, caller=bob, severity=4, rationale="small",
                                         policy=SETTINGS)
        await store.close()

    asyncio.run(refused())
    table = run("audit", "denials", env=strict)
    as_json = run("audit", "denials", "--format", "json", env=strict)

    assert table.returncode == 0, table.stderr
    header, row = table.stdout.splitlines()
    assert header.split("\t") == ["at", "who", "action", "incident", "reason", "args"]
    assert row.split("\t")[1:4] == ["U0BOB", "severity", "INC-1"]  # never named by a command
    [denial] = json.loads(as_json.stdout)
    assert denial["who"] == "U0BOB" and denial["args"] == {"severity": 4}
    assert denial["reason"].startswith("Only the incident commander")
    assert run("audit", "denials", "--since", "2099-01-01", env=strict).stdout.count("\n") == 1
