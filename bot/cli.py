"""`incident-bot`: serve | demo | db upgrade | runbooks lint | export | verify | audit access |
stats | list."""

import asyncio
import csv
import gc
import io
import json
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
import uvloop

from bot.config import ConfigError, Settings, load_settings
from bot.domain.clock import SystemClock
from bot.domain.errors import IncidentError
from bot.domain.stats import short_duration
from bot.export.render import Renderer
from bot.export.verify import check_export
from bot.runbooks.lint import lint
from bot.services import records
from bot.services.exporter import Exporter
from bot.storage.migrate import upgrade
from bot.storage.store import Store

T = TypeVar("T")


def fail(message: str) -> NoReturn:
    click.echo(f"incident-bot: {message}", err=True)
    sys.exit(2)


def settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as error:
        fail(str(error))
        raise  # unreachable


def with_store(action: Callable[[Store], Awaitable[T]]) -> T:
    """Run an action on the database, bringing its schema up to date first."""
    config = settings()

    async def run() -> T:
        store = Store.from_url(config.database_url, clock=SystemClock().now)
        try:
            return await action(store)
        finally:
            await store.close()

    try:
        upgrade(config.database_url)
        return asyncio.run(run())
    except IncidentError as error:
        fail(str(error))
        raise
    except OSError as error:
        fail(f"database unavailable: {error}")
        raise


@click.group()
def main() -> None:
    """Slack incident bot that keeps the incident record in git."""
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


@main.command()
def serve() -> None:
    """Answer Slack on PORT at /slack/events (Socket Mode when SLACK_APP_TOKEN is set)."""
    gc.disable()  # until start-up is done, as for the imports in bot/__main__.py
    from bot.slack.runtime import BotRuntime

    logging.getLogger("bot").setLevel(logging.INFO)
    config = settings()
    try:
        config.require_slack()
        upgrade(config.database_url)
        runtime = BotRuntime(config)
    except ConfigError as error:
        fail(str(error))
    except Exception as error:  # a broken template or unreachable database: one line
        fail(f"cannot start: {error}")

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        url = await runtime.start()
        # What start-up built lives as long as the process (it leaves no garbage to speak
        # of: a collection here freed nothing and took 0.1 s): moved out of the collector's
        # sight, a full collection under load no longer walks it (one stalled every command
        # in flight for about 100 ms).
        gc.freeze()
        gc.enable()
        logging.getLogger("bot").info("listening on %s/slack/events", url)
        await stop.wait()
        await runtime.stop()

    # uvloop: every database round trip and Slack request waits on the loop, and profiling
    # showed the default loop's selector bookkeeping in each; uvloop cut a log's CPU by a
    # tenth on PostgreSQL.
    uvloop.run(run())


@main.command()
def demo() -> None:
    """Play one incident end to end against a local stand-in of Slack; print the export."""
    from bot.demo import run_demo

    asyncio.run(run_demo(click.echo))


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Bring the database schema to the latest version."""
    config = settings()
    try:
        upgrade(config.database_url)
    except Exception as error:
        fail(f"upgrade failed: {error}")
    click.echo("database is up to date")


@main.command()
@click.argument("incident")
def export(incident: str) -> None:
    """Write INC-<n>'s Markdown export to EXPORT_DIR again."""
    config = settings()

    async def action(store: Store) -> None:
        exporter = Exporter(export_dir=config.export_dir, renderer=Renderer(config.export_template))
        result = await records.export_again(store, exporter, records.parse_ref(incident))
        if result.error:
            raise IncidentError(result.error)
        click.echo(str(result.path))

    with_store(action)


@main.command()
@click.argument("target")
def verify(target: str) -> None:
    """Recompute a timeline hash chain: INC-<n> from the database (and compare it with its
    last export), or FILE.md on its own. Exit 1 at the first problem."""
    if target.endswith(".md") or Path(target).is_file():
        verify_file(Path(target))
        return
    config = settings()

    async def action(store: Store) -> None:
        number = records.parse_ref(target)
        result = await records.verify(store, number, export_dir=config.export_dir)
        if result.broken:
            event = result.broken.event
            click.echo(f"INC-{number}: chain broken at event {event.seq} ({event.action}, "
                       f"{event.at:%Y-%m-%dT%H:%M:%SZ}): {result.broken.reason}")
            sys.exit(1)
        head = result.events[-1].hash if result.events else "-"
        click.echo(f"INC-{number}: {len(result.events)} events, chain intact, head {head}")
        if result.export_problem:
            click.echo(f"INC-{number}: {result.export_problem}")
            sys.exit(1)
        if result.export_note:
            click.echo(f"INC-{number}: {result.export_note}")

    with_store(action)


def verify_file(path: Path) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {path}: {getattr(error, 'strerror', None) or error}")
    check = check_export(text)
    if check.line:
        click.echo(f"{path}:{check.line}: {check.problem}")
        sys.exit(1)
    click.echo(f"{path}: {len(check.events)} events, chain intact, head {check.head}, "
               f"timeline rows match")


@main.group()
def runbooks() -> None:
    """Runbook files."""


@runbooks.command("lint")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def runbooks_lint(directory: Path | None, strict: bool) -> None:
    """Check every runbook; print `file:line: message` per problem, exit 1 if any.

    Warnings (`file:line: warning: …`) alone exit 0 unless --strict."""
    config = settings()
    folder = directory or config.runbooks_dir
    library, found = lint(folder, today=date.today(), stale_after=config.runbook_stale_after)
    for problem in found:
        click.echo(str(problem))
    warnings = sum(problem.warning for problem in found)
    if len(found) > warnings or (strict and warnings):
        sys.exit(1)
    click.echo(f"{folder}: {len(library.runbooks)} runbooks, no problems"
               + (f", {warnings} warning{'s' * (warnings > 1)}" if warnings else ""))


@main.group()
def audit() -> None:
    """Compliance reports."""


@audit.command("access")
@click.option("--unrevoked", is_flag=True, help="only access granted and not confirmed revoked")
@click.option("--since", help="only requests made on or after this date (YYYY-MM-DD, UTC)")
@click.option("--format", "output", default="table", help="table (tab-separated), csv or json")
def audit_access(unrevoked: bool, since: str | None, output: str) -> None:
    """One row per access request; exit 1 when --unrevoked finds any."""
    day, output = since_option(since), format_option(output)

    async def action(store: Store) -> None:
        rows = await records.audit_access(store, unrevoked_only=unrevoked, since=day)
        if output == "table":
            click.echo("\t".join(AUDIT_COLUMNS))
            for row in rows:
                click.echo("\t".join(audit_cells(row)))
        else:
            write_rows(output, AUDIT_FIELDS, [audit_fields(row) for row in rows])
        if unrevoked and rows:
            sys.exit(1)

    with_store(action)


AUDIT_COLUMNS = ["incident", "request", "what", "requester", "approver", "approved_at",
                 "expires_at", "revoked", "requested_at", "step", "reason", "denial_note"]
# csv and json carry one field per fact, where the table folds some into one readable cell.
AUDIT_FIELDS = ["incident", "request", "what", "requester", "requested_at", "step", "reason",
                "state", "approver", "decided_at", "expires_at", "denial_note", "revoked_at",
                "revoked_by", "not_revoked"]


def audit_cells(row: records.AuditRow) -> list[str]:
    r = row.request
    if r.revoked_at:
        revoked = f"{minute(r.revoked_at)} by {row.name(r.revoked_by)}"
    else:
        revoked = "NOT REVOKED" if r.needs_revoking else f"- ({r.state})"
    approved_at = minute(r.decided_at) if r.approver_id and r.state != "denied" else "-"
    return [f"INC-{r.incident_id}", r.ref, cell(r.what), row.name(r.requester_id),
            row.name(r.approver_id), approved_at, minute(r.expires_at), revoked,
            minute(r.requested_at), cell(r.step), cell(r.reason), cell(r.decision_note)]


def audit_fields(row: records.AuditRow) -> list[Any]:
    r = row.request
    return [f"INC-{r.incident_id}", r.ref, r.what, row.name(r.requester_id), second(r.requested_at),
            r.step, r.reason, str(r.state), row.name(r.approver_id) if r.approver_id else None,
            second(r.decided_at), second(r.expires_at), r.decision_note, second(r.revoked_at),
            row.name(r.revoked_by) if r.revoked_by else None, r.needs_revoking]


STATS_TIMES = ["mtta", "mtta_p50", "mtta_p90", "mttr", "mttr_p50", "mttr_p90"]
STATS_COLUMNS = ["month", "severity", "count", "ack_missed", *STATS_TIMES]
STATS_TABLE = "{:<7} {:<8} {:>5} {:>10}" + " {:>8}" * len(STATS_TIMES)


@main.command()
@click.option("--since", help="only incidents declared on or after this date (YYYY-MM-DD, UTC)")
@click.option("--format", "output", default="table",
              help="table, csv or json (csv and json give durations in seconds)")
@click.option("--drills", is_flag=True, help="count drills too")
def stats(since: str | None, output: str, drills: bool) -> None:
    """Count, missed ACK_DEADLINEs, MTTA and MTTR (mean, p50, p90; nearest rank) by month
    (UTC, of the declare) and severity, with each one's totals under `all`."""
    day, output = since_option(since), format_option(output)
    policy = settings().policy()

    async def action(store: Store) -> None:
        groups = await records.stats(store, day, policy=policy, drills=drills)
        if output != "table":
            write_rows(output, STATS_COLUMNS, [
                [month, severity, figures.count, figures.missed_ack,
                 *(seconds(figures.times()[name]) for name in STATS_TIMES)]
                for (month, severity), figures in groups.items()])
            return
        click.echo(STATS_TABLE.format(*STATS_COLUMNS))
        for (month, severity), figures in groups.items():
            click.echo(STATS_TABLE.format(month, severity, figures.count, figures.missed_ack,
                                          *(span(figures.times()[name]) for name in STATS_TIMES)))

    with_store(action)


@main.command("list")
@click.option("--open", "open_only", is_flag=True, help="only incidents not yet resolved")
@click.option("--since", help="only incidents declared on or after this date (YYYY-MM-DD, UTC)")
@click.option("--drills", is_flag=True, help="show drills too")
def list_incidents(open_only: bool, since: str | None, drills: bool) -> None:
    """One line per incident, newest first; private ones too, marked."""
    day = since_option(since)

    async def action(store: Store) -> None:
        listed = await records.list_incidents(store, open_only=open_only, since=day, drills=drills)
        rows = [["incident", "severity", "status", "declared", "commander", "channel", "flags",
                 "title"]]
        for entry in listed:
            i = entry.incident
            flags = ",".join(name for name, on in (("private", i.private), ("drill", i.drill)) if on)
            rows.append([i.ref, i.severity_label, str(i.status), minute(i.declared_at),
                         entry.commander, f"#{i.channel_name}" if i.channel_name else "-",
                         flags or "-", cell(i.title)])
        widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]) - 1)]
        for row in rows:
            click.echo("  ".join([*(v.ljust(w) for v, w in zip(row, widths, strict=False)), row[-1]]))

    with_store(action)


FORMATS = ("table", "csv", "json")


def since_option(text: str | None) -> date | None:
    """Read before the database is opened: a typo costs one line, not a migration run."""
    try:
        return records.since_date(text)
    except IncidentError as error:
        fail(str(error))


def format_option(text: str) -> str:
    if text.lower() not in FORMATS:
        fail(f"'{text}' is not a format (use table, csv or json)")
    return text.lower()


def write_rows(output: str, columns: list[str], rows: list[list[Any]]) -> None:
    """csv with a header row, or json: a list of objects keyed by column. Empty is null."""
    if output == "json":
        click.echo(json.dumps([dict(zip(columns, row, strict=True)) for row in rows], indent=2))
        return
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(columns)
    out.writerows([("" if v is None else str(v).lower() if isinstance(v, bool) else v) for v in row]
                  for row in rows)
    click.echo(buffer.getvalue(), nl=False)


def cell(text: str | None) -> str:
    """Free text on one line of a table, `-` when empty."""
    return " ".join((text or "").split()) or "-"


def minute(value: datetime | None) -> str:
    return f"{value:%Y-%m-%dT%H:%MZ}" if value else "-"


def second(value: datetime | None) -> str | None:
    return f"{value:%Y-%m-%dT%H:%M:%SZ}" if value else None


def span(value: timedelta | None) -> str:
    return short_duration(value) if value is not None else "-"


def seconds(value: timedelta | None) -> int | None:
    return round(value.total_seconds()) if value is not None else None
