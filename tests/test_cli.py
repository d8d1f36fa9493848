"""The command line as an operator or a compliance reviewer uses it."""

import asyncio
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.export.render import Renderer
from bot.services import access, reminders
from bot.services.exporter import Exporter
from bot.storage.migrate import sync_url
from bot.storage.store import Store
from tests.export.test_export import play_incident
from tests.services.support import APPROVER, POLICY, open_incident
from tests.services.support import by as by_user
from tests.support.clock import ManualClock

CLI = [sys.executable, "-m", "bot"]


def run(*args: str, env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DATABASE"))}
    environment.update(env or {})
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=environment,
                          cwd=cwd, timeout=60, check=False)


@pytest.fixture
def resolved_incident(database_url, tmp_path) -> dict:
    async def play() -> None:
        clock = ManualClock()
        store = Store.from_url(database_url, clock=clock.now)
        await play_incident(store, clock, Exporter(export_dir=tmp_path / "first",
                                                   renderer=Renderer()))
        await store.close()

    asyncio.run(play())
    return {"DATABASE_URL": database_url, "EXPORT_DIR": str(tmp_path / "incidents")}


def test_verify_reports_an_intact_chain(resolved_incident):
    result = run("verify", "INC-1", env=resolved_incident)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("INC-1: 16 events, chain intact, head ")


def test_verify_finds_an_edited_row(resolved_incident):
    engine = create_engine(sync_url(resolved_incident["DATABASE_URL"]))
    with engine.begin() as connection:
        connection.execute(text("UPDATE timeline_events SET details = 'nothing happened' "
                                "WHERE incident_id = 1 AND seq = 5"))
    engine.dispose()
    result = run("verify", "inc-1", env=resolved_incident)
    assert result.returncode == 1
    assert result.stdout.strip() == (
        "INC-1: chain broken at event 5 (log, 2026-03-14T14:37:00Z): "
        "its content no longer matches its hash")


def test_export_writes_the_same_file_again(resolved_incident, tmp_path):
    result = run("export", "INC-1", env=resolved_incident)
    assert result.returncode == 0, result.stderr
    written = Path(result.stdout.strip())
    assert written.name == "2026-03-14-1430-db-outage.md"
    assert written.read_text() == (tmp_path / "first" / written.name).read_text()


def test_unknown_incidents_get_one_line(resolved_incident):
    for command in (["export", "INC-99"], ["verify", "INC-99"], ["verify", "yesterday"]):
        result = run(*command, env=resolved_incident)
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_stats_show_mtta_and_mttr(resolved_incident):
    result = run("stats", env=resolved_incident)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].split() == ["2026-03", "SEV1", "1", "3m", "37m"]
    assert lines[-1].split() == ["all", "all", "1", "3m", "37m"]
    assert run("stats", "--since", "2026-04-01", env=resolved_incident).stdout.splitlines()[1:] == []


@pytest.mark.parametrize(("env", "line"), [
    ({}, "incident-bot: SLACK_BOT_TOKEN is not set"),
    ({"SLACK_BOT_TOKEN": "xoxb-1"}, "incident-bot: SLACK_SIGNING_SECRET is not set"),
    ({"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "s", "PORT": "http"},
     "incident-bot: PORT is malformed: Input should be a valid integer, "
     "unable to parse string as an integer"),
    ({"SLACK_BOT_TOKEN": "x", "SLACK_SIGNING_SECRET": "s", "ACCESS_EXPIRY_WARNING": "soon"},
     "incident-bot: ACCESS_EXPIRY_WARNING is malformed: 'soon' is not a duration "
     "(use e.g. 30s, 15m, 2h, 1d or 1h30m)"),
])
def test_serve_refuses_to_start_on_a_bad_setting_with_one_line(env, line, tmp_path):
    result = run("serve", env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == line


def test_audit_lists_every_request_and_flags_unrevoked_access(database_url, tmp_path):
    async def play() -> None:
        clock = ManualClock()
        store = Store.from_url(database_url, clock=clock.now)
        await play_incident(store, clock, Exporter(export_dir=tmp_path, renderer=Renderer()))
        await store.close()

    asyncio.run(play())
    env = {"DATABASE_URL": database_url}
    result = run("audit", "access", env=env)
    assert result.returncode == 0, result.stderr
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0] == ["incident", "request", "what", "requester", "approver", "approved_at",
                       "expires_at", "revoked"]
    assert rows[1] == ["INC-1", "AR-1", "prod DB write", "bob", "dave", "2026-03-14T14:39Z",
                       "2026-03-14T15:39Z", "2026-03-14T14:47Z by bob"]
    assert rows[2][:5] == ["INC-1", "AR-2", "root on db-2", "alice", "dave"]
    assert rows[2][5:] == ["-", "-", "- (denied)"]
    clean = run("audit", "access", "--unrevoked", env=env)
    assert (clean.returncode, clean.stdout.splitlines()[1:]) == (0, [])
    assert run("audit", "access", "--since", "2026-04-01", env=env).stdout.splitlines()[1:] == []


def test_audit_exits_1_while_granted_access_is_not_revoked(database_url, tmp_path):
    async def play() -> None:
        clock = ManualClock()
        store = Store.from_url(database_url, clock=clock.now)
        await open_incident(store)
        request = await access.request_access(store, caller=by_user("U0BOB"), what="prod write",
                                              duration=timedelta(hours=1), reason="", policy=POLICY)
        await access.approve(store, caller=by_user(APPROVER), ref=request.ref, duration=None,
                             policy=POLICY)
        clock.advance(hours=2)
        await reminders.fire_due(store, POLICY)
        await store.close()

    asyncio.run(play())
    result = run("audit", "access", "--unrevoked", env={"DATABASE_URL": database_url})
    assert result.returncode == 1
    assert result.stdout.splitlines()[1].endswith("\tNOT REVOKED")
