"""The command line when its database is not what it expects: away, missing, older or newer
than this release, of a kind the bot does not speak. One line naming DATABASE_URL, exit 2,
and a read-only command never creates or migrates anything. And what an operator asks of any
command: its version, and log lines a log pipeline can read."""

import asyncio
import json
import logging
import os
import signal
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.cli.version import package_version
from bot.logs import IncidentFilter, JsonLines, about_incident
from bot.standin.slack_api import FakeSlackAPI
from bot.standin.slack_sender import SlackSender
from bot.storage.migrate import applied_revision, newest_revision, sync_url, upgrade
from tests.support.waiting import eventually
from tests.test_cli import run
from tests.test_serve_process import free_port

READ_ONLY = [
    ["list"], ["stats"], ["audit", "access"], ["audit", "denials"], ["export", "INC-1"],
    ["verify", "INC-1"], ["db", "outbox"],
    ["policy", "check", "--user", "U0BOB", "--action", "resolve", "--incident", "INC-1"],
]
# What they share is checked once per database; a few of them stand for all.
SOME_READ_ONLY = [["list"], ["export", "INC-1"], ["db", "outbox"]]
UNREACHABLE = "postgresql+psycopg://bot:hunter2@127.0.0.1:1/incidents"


def one_line(result) -> str:
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    return line


@pytest.mark.parametrize("command", [*READ_ONLY, ["db", "outbox", "retry", "1"],
                                     ["db", "upgrade"]], ids=" ".join)
def test_an_unreachable_database_is_one_line_naming_database_url(command, tmp_path):
    line = one_line(run(*command, env={"DATABASE_URL": UNREACHABLE}, cwd=tmp_path))
    assert "DATABASE_URL postgresql+psycopg://bot:***@127.0.0.1:1/incidents" in line
    assert "Connection refused" in line
    assert "hunter2" not in line


@pytest.mark.parametrize("command", [READ_ONLY[0], ["db", "upgrade"]], ids=" ".join)
def test_a_database_the_bot_cannot_speak_to_names_the_kinds_it_can(command, tmp_path):
    line = one_line(run(*command, env={"DATABASE_URL": "mysql://bot@db/incidents"}, cwd=tmp_path))
    assert line.endswith("DATABASE_URL mysql://bot@db/incidents is not supported "
                         "(use sqlite:///path, postgresql+psycopg://… or postgres://…)")


@pytest.mark.parametrize("command", [*READ_ONLY, ["db", "outbox", "retry", "1"]], ids=" ".join)
def test_a_missing_database_file_is_not_created_and_the_line_says_what_to_run(command, tmp_path):
    """`incident-bot list` in a fresh folder used to leave an empty incident-bot.db behind."""
    line = one_line(run(*command, cwd=tmp_path))
    assert line == (f"incident-bot: no database at {tmp_path.resolve() / 'incident-bot.db'} "
                    "(DATABASE_URL sqlite:///incident-bot.db): run `incident-bot db upgrade` to "
                    "create it, or set DATABASE_URL to the bot's database")
    assert list(tmp_path.iterdir()) == []


def test_db_upgrade_creates_the_database_the_others_then_read(tmp_path):
    assert run("db", "upgrade", cwd=tmp_path).stdout.strip() == "database is up to date"
    listed = run("list", cwd=tmp_path)
    assert (listed.returncode, listed.stdout.split()[0]) == (0, "incident")


def a_database_at(tmp_path: Path, revision: str) -> tuple[str, Path]:
    path = tmp_path / "incident-bot.db"
    upgrade(f"sqlite:///{path}", revision)
    return f"sqlite:///{path}", path


def test_an_older_schema_is_named_with_what_to_run_and_left_as_it_was(tmp_path):
    url, path = a_database_at(tmp_path, "0009")
    before = path.read_bytes()
    for command in SOME_READ_ONLY:
        line = one_line(run(*command, env={"DATABASE_URL": url}, cwd=tmp_path))
        assert line == (f"incident-bot: the database at DATABASE_URL {url} has schema 0009, "
                        f"older than this release's {newest_revision()}: "
                        "run `incident-bot db upgrade`"), command
    assert path.read_bytes() == before
    assert applied_revision(url) == "0009"

    assert run("db", "upgrade", env={"DATABASE_URL": url}).returncode == 0
    assert run("list", env={"DATABASE_URL": url}).returncode == 0


def test_a_command_that_writes_brings_an_older_schema_up_to_date(tmp_path):
    url, _ = a_database_at(tmp_path, "0009")
    result = run("db", "outbox", "retry", "--parked", env={"DATABASE_URL": url})
    assert (result.returncode, result.stdout.strip()) == (
        0, "0 calls owed again; a running bot sends them within seconds")
    assert applied_revision(url) == newest_revision()


def test_a_schema_from_a_newer_release_is_refused_and_changed_by_nothing(tmp_path):
    """A laptop with last month's release must not touch what the newer one migrated."""
    url, path = a_database_at(tmp_path, "head")
    newer = f"{int(newest_revision()) + 1:04d}"
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": newer})
    engine.dispose()
    before = path.read_bytes()
    for command in [*SOME_READ_ONLY, ["db", "upgrade"], ["db", "outbox", "retry", "--parked"]]:
        line = one_line(run(*command, env={"DATABASE_URL": url}, cwd=tmp_path))
        assert line.endswith(f"the database at DATABASE_URL {url} has schema {newer}, from a "
                             f"newer release of incident-bot (this one knows up to "
                             f"{newest_revision()}): use that release; nothing was changed")
    assert path.read_bytes() == before


def test_version_is_the_installed_package_version():
    result = run("--version")
    assert (result.returncode, result.stdout) == (
        0, f"incident-bot {metadata.version('incident-bot')}\n")


def test_version_from_a_checkout_that_was_never_installed_is_pyprojects(monkeypatch):
    def not_installed(name: str) -> str:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "version", not_installed)
    declared = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert package_version() == f"{declared['project']['version']}+checkout"


@pytest.mark.parametrize(("env", "line"), [
    ({"LOG_LEVEL": "loud"}, "incident-bot: LOG_LEVEL is malformed: `loud` is not a log level "
                            "(use DEBUG, INFO, WARNING, ERROR or CRITICAL)"),
    ({"LOG_FORMAT": "xml"}, "incident-bot: LOG_FORMAT is malformed: `xml` is not a log format "
                            "(use text or json)"),
])
def test_a_bad_log_setting_is_one_line_naming_it(env, line, tmp_path):
    assert one_line(run("list", env=env, cwd=tmp_path)) == line


def test_a_json_line_carries_the_incident_given_or_worked_for():
    formatter, about = JsonLines(), IncidentFilter()
    log = logging.getLogger("bot.test")

    def line(message: str, **extra: object) -> dict:
        record = log.makeRecord(log.name, logging.WARNING, __file__, 1, message, (), None,
                                extra=extra)
        about.filter(record)
        return json.loads(formatter.format(record))

    assert set(line("outbox pass failed")) == {"time", "level", "logger", "message"}
    assert line("parked", incident=3)["incident"] == "INC-3"
    with about_incident(7):
        assert line("deferred")["incident"] == "INC-7"
        assert line("about another", incident=2)["incident"] == "INC-2"
    assert "incident" not in line("after")


async def test_serve_logs_json_lines_naming_the_incident_a_delivery_was_for(database_url,
                                                                             tmp_path):
    """LOG_FORMAT=json: every line on stderr is one JSON object; a call Slack refused for a
    moment is logged with the incident it was for."""
    secret = "json-log-secret"
    async with FakeSlackAPI() as slack:
        slack.add_user("U0ALICE", "alice")
        ops = slack.add_channel("ops", creator="U0ALICE", members=["U0ALICE"])
        port = free_port()
        env = {**os.environ, "SLACK_BOT_TOKEN": slack.bot_token, "SLACK_SIGNING_SECRET": secret,
               "SLACK_API_URL": slack.url, "DATABASE_URL": database_url, "PORT": str(port),
               "EXPORT_DIR": str(tmp_path / "incidents"), "RUNBOOKS_DIR": str(tmp_path),
               "LOG_LEVEL": "info", "LOG_FORMAT": "json"}
        env.pop("SLACK_APP_TOKEN", None)
        stderr = tmp_path / "stderr"
        sender = SlackSender(events_url=f"http://127.0.0.1:{port}/slack/events",
                             signing_secret=secret, api=slack)
        with stderr.open("w") as errors:
            serve = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", "serve", env=env, stdout=asyncio.subprocess.DEVNULL,
                stderr=errors)
        try:
            async def listening() -> bool:
                return "listening on" in stderr.read_text()

            await eventually(listening, timeout=30)
            answer = await sender.slash("/incident", "declare sev2 json-logs", user="U0ALICE",
                                        channel=ops)
            assert answer.json["text"].startswith("INC-1 declared")

            async def opened() -> bool:
                channel = slack.channel_by_name("inc-1-json-logs")
                return channel is not None and bool(slack.pins.get(channel.id))

            await eventually(opened, timeout=15)
            channel = slack.channel_by_name("inc-1-json-logs").id
            slack.fault("chat.postMessage", status=503)
            await sender.slash("/incident", "log pool exhausted", user="U0ALICE", channel=channel)

            async def delivered() -> bool:
                return any("pool exhausted" in m.text for m in slack.messages(channel))

            await eventually(delivered, timeout=30)
        finally:
            serve.send_signal(signal.SIGTERM)
            await serve.wait()

    lines = [json.loads(line) for line in stderr.read_text().splitlines()]
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    deferred = [line for line in lines if "deferred" in line["message"]]
    assert deferred, lines
    assert {(line["level"], line["logger"], line.get("incident")) for line in deferred} == {
        ("WARNING", "bot.outbound.loop", "INC-1")}
