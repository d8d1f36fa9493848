"""The command line as an operator or a compliance reviewer uses it."""

import asyncio
import csv
import io
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bot.domain.notices import StatusUpdate
from bot.export.render import Renderer
from bot.outbound.lanes import Outbox
from bot.services import access, reminders
from bot.services.exporter import Exporter
from bot.storage.migrate import sync_url
from bot.storage.store import Store
from tests.export.test_export import play_incident
from tests.services.support import APPROVER, POLICY, open_incident
from tests.services.support import by as by_user
from tests.support.clock import ManualClock
from tests.test_reports import play_quarter

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
    assert lines[0].split() == ["month", "severity", "count", "ack_missed", "mtta", "mtta_p50",
                                "mtta_p90", "mttr", "mttr_p50", "mttr_p90"]
    assert lines[1].split() == ["2026-03", "SEV1", "1", "0", "3m", "3m", "3m", "37m", "37m", "37m"]
    assert lines[-1].split() == ["all", "all", "1", "0", "3m", "3m", "3m", "37m", "37m", "37m"]
    assert run("stats", "--since", "2026-04-01", env=resolved_incident).stdout.splitlines()[1:] == []


@pytest.fixture
def quarter(database_url, tmp_path) -> dict:
    async def play() -> None:
        clock = ManualClock()
        store = Store.from_url(database_url, clock=clock.now)
        await play_quarter(store, clock, tmp_path / "exports")
        await store.close()

    asyncio.run(play())
    return {"DATABASE_URL": database_url}


def test_stats_table_shows_durations_as_people_read_them(quarter):
    lines = run("stats", env=quarter).stdout.splitlines()
    assert lines[0] == ("month   severity count ack_missed     mtta mtta_p50 mtta_p90     mttr "
                        "mttr_p50 mttr_p90")
    assert lines[1] == ("2026-03 SEV1         2          1   6m 30s       3m      10m   1h 20m "
                        "     40m       2h")
    assert lines[2].startswith("2026-03 SEV2         1          1        -        -")
    assert [line[:12] for line in lines[1:]] == [
        "2026-03 SEV1", "2026-03 SEV2", "2026-03 all ", "2026-04 SEV1", "2026-04 SEV3",
        "2026-04 all ", "all     SEV1", "all     SEV2", "all     SEV3", "all     all "]


def test_stats_as_csv_and_json_give_seconds(quarter):
    result = run("stats", "--format", "csv", env=quarter)
    assert result.returncode == 0, result.stderr
    rows = {(r["month"], r["severity"]): r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows[("2026-03", "SEV1")] == {
        "month": "2026-03", "severity": "SEV1", "count": "2", "ack_missed": "1", "mtta": "390",
        "mtta_p50": "180", "mtta_p90": "600", "mttr": "4800", "mttr_p50": "2400", "mttr_p90": "7200"}
    assert rows[("2026-03", "SEV2")]["mtta_p50"] == ""
    groups = json.loads(run("stats", "--format", "JSON", env=quarter).stdout)
    assert groups[3] == {"month": "2026-04", "severity": "SEV1", "count": 1, "ack_missed": 0,
                         "mtta": 720, "mtta_p50": 720, "mtta_p90": 720, "mttr": 3600,
                         "mttr_p50": 3600, "mttr_p90": 3600}
    assert groups[4]["mtta"] is None
    assert groups[-1]["count"] == 5
    with_drills = json.loads(run("stats", "--drills", "--format", "json", env=quarter).stdout)
    assert with_drills[-1]["count"] == 6


def test_list_shows_one_line_per_incident_newest_first(quarter):
    result = run("list", env=quarter)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["incident", "severity", "status", "declared", "commander",
                                "channel", "flags", "title"]
    assert [line.split()[0] for line in lines[1:]] == ["INC-6", "INC-4", "INC-3", "INC-2", "INC-1"]
    assert lines[1].split() == ["INC-6", "SEV3", "new", "2026-04-05T16:00Z", "-",
                                "#inc-6-payroll-export", "private", "payroll-export", "title"]
    assert lines[5].split() == ["INC-1", "SEV1", "resolved", "2026-03-14T14:30Z", "-",
                                "#inc-1-db-outage", "-", "db-outage", "title"]
    with_drills = run("list", "--open", "--drills", env=quarter).stdout.splitlines()[1:]
    assert [(line.split()[0], line.split()[6]) for line in with_drills] == [
        ("INC-6", "private"), ("INC-5", "drill"), ("INC-3", "-")]
    since = run("list", "--since", "2026-04-02", env=quarter).stdout.splitlines()[1:]
    assert [line.split()[0] for line in since] == ["INC-6", "INC-4"]


@pytest.mark.parametrize(("command", "line"), [
    (["stats", "--since", "last week"],
     "incident-bot: 'last week' is not a date (use YYYY-MM-DD)"),
    (["stats", "--format", "xml"], "incident-bot: 'xml' is not a format (use table, csv or json)"),
    (["list", "--since", "2026-13-01"],
     "incident-bot: '2026-13-01' is not a date (use YYYY-MM-DD)"),
    (["audit", "access", "--format", "yaml"],
     "incident-bot: 'yaml' is not a format (use table, csv or json)"),
    (["audit", "access", "--since", "03/14/2026"],
     "incident-bot: '03/14/2026' is not a date (use YYYY-MM-DD)"),
])
def test_bad_report_options_get_one_line_before_the_database_is_opened(command, line, tmp_path):
    database = tmp_path / "never.db"
    result = run(*command, env={"DATABASE_URL": f"sqlite:///{database}"})
    assert (result.returncode, result.stderr.strip(), result.stdout) == (2, line, "")
    assert not database.exists()


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
                       "expires_at", "revoked", "requested_at", "step", "reason", "denial_note"]
    assert rows[1] == ["INC-1", "AR-1", "prod DB write", "bob", "dave", "2026-03-14T14:39Z",
                       "2026-03-14T15:39Z", "2026-03-14T14:47Z by bob", "2026-03-14T14:37Z", "-",
                       "kill idle sessions", "-"]
    assert rows[2][:5] == ["INC-1", "AR-2", "root on db-2", "alice", "dave"]
    assert rows[2][5:] == ["-", "-", "- (denied)", "2026-03-14T14:39Z", "-", "-", "use the runbook"]
    clean = run("audit", "access", "--unrevoked", env=env)
    assert (clean.returncode, clean.stdout.splitlines()[1:]) == (0, [])
    assert run("audit", "access", "--since", "2026-04-01", env=env).stdout.splitlines()[1:] == []
    requests = json.loads(run("audit", "access", "--format", "json", env=env).stdout)
    assert requests[0] == {
        "incident": "INC-1", "request": "AR-1", "what": "prod DB write", "requester": "bob",
        "requested_at": "2026-03-14T14:37:00Z", "step": None, "reason": "kill idle sessions",
        "state": "revoked", "approver": "dave", "decided_at": "2026-03-14T14:39:00Z",
        "expires_at": "2026-03-14T15:39:00Z", "denial_note": "", "revoked_at": "2026-03-14T14:47:00Z",
        "revoked_by": "bob", "not_revoked": False}
    denied = list(csv.DictReader(io.StringIO(run("audit", "access", "--format", "csv",
                                                 env=env).stdout)))[1]
    assert (denied["request"], denied["state"], denied["approver"], denied["decided_at"],
            denied["expires_at"], denied["denial_note"], denied["not_revoked"]) == (
        "AR-2", "denied", "dave", "2026-03-14T14:39:00Z", "", "use the runbook", "false")


def test_audit_exits_1_while_granted_access_is_not_revoked(database_url, tmp_path):
    async def play() -> None:
        clock = ManualClock()
        store = Store.from_url(database_url, clock=clock.now)
        await open_incident(store)
        request = await access.request_access(store, caller=by_user("U0BOB"), what="prod write",
                                              duration=timedelta(hours=1), reason="", policy=POLICY,
                                              step="RUN-002#3")
        await access.approve(store, caller=by_user(APPROVER), ref=request.ref, duration=None,
                             policy=POLICY)
        clock.advance(hours=2)
        await reminders.fire_due(store, POLICY)
        await store.close()

    asyncio.run(play())
    result = run("audit", "access", "--unrevoked", env={"DATABASE_URL": database_url})
    assert result.returncode == 1
    assert result.stdout.splitlines()[1].split("\t")[7:10] == [
        "NOT REVOKED", "2026-03-14T14:30Z", "RUN-002#3"]
    as_json = run("audit", "access", "--unrevoked", "--format", "json",
                  env={"DATABASE_URL": database_url})
    assert as_json.returncode == 1
    assert [(r["request"], r["state"], r["not_revoked"]) for r in json.loads(as_json.stdout)] == [
        ("AR-1", "expired", True)]


def test_db_outbox_lists_calls_given_up_and_sends_them_again(database_url):
    """An operator finds what the bot could not deliver, fixes the cause, and sends it again."""
    async def park_one() -> None:
        store = Store.from_url(database_url, clock=ManualClock().now)
        outbox = Outbox(store)
        async with store.transaction() as tx:
            tx.notify(StatusUpdate(incident_id=3, user="U0ALICE", text="db back"))
        [[row]] = (await outbox.claim()).batches
        await outbox.park([row.id], "KeyError('exploded')")
        await store.close()

    asyncio.run(park_one())
    env = {"DATABASE_URL": database_url}
    listed = run("db", "outbox", env=env)
    assert listed.returncode == 0, listed.stderr
    [header, row] = listed.stdout.splitlines()
    assert header.split()[:2] == ["id", "failed"]
    assert row.split()[0] == "1" and "parked" in row and "INC-3" in row and "status_update" in row
    assert row.endswith("parked: KeyError('exploded')")

    refused = run("db", "outbox", "retry", env=env)
    assert refused.returncode == 2 and "--parked" in refused.stderr
    again = run("db", "outbox", "retry", "1", env=env)
    assert (again.returncode, again.stdout.strip()) == (
        0, "1 call owed again; a running bot sends it within seconds")
    emptied = run("db", "outbox", env=env)
    assert emptied.stdout.startswith("nothing given up")
