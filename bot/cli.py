"""`incident-bot`: serve | demo | db upgrade | runbooks lint | export | verify | audit access | stats."""

import asyncio
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import NoReturn, TypeVar

import click
import uvloop

from bot.config import ConfigError, Settings, load_settings
from bot.domain.clock import SystemClock
from bot.domain.durations import format_duration
from bot.domain.errors import IncidentError
from bot.export.render import Renderer
from bot.export.verify import check_export
from bot.runbooks.library import Library
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
def runbooks_lint(directory: Path | None) -> None:
    """Check every runbook; print `file:line: message` per problem, exit 1 if any."""
    folder = directory or settings().runbooks_dir
    library, problems = Library.load(folder)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        sys.exit(1)
    click.echo(f"{folder}: {len(library.runbooks)} runbooks, no problems")


@main.group()
def audit() -> None:
    """Compliance reports."""


@audit.command("access")
@click.option("--unrevoked", is_flag=True, help="only access granted and not confirmed revoked")
@click.option("--since", help="only requests made on or after this date (YYYY-MM-DD)")
def audit_access(unrevoked: bool, since: str | None) -> None:
    """One row per access request; exit 1 when --unrevoked finds any."""

    def at(value: datetime | None) -> str:
        return f"{value:%Y-%m-%dT%H:%MZ}" if value else "-"

    async def action(store: Store) -> None:
        rows = await records.audit_access(store, unrevoked_only=unrevoked,
                                          since=records.since_date(since))
        click.echo("\t".join(["incident", "request", "what", "requester", "approver", "approved_at",
                               "expires_at", "revoked"]))
        for row in rows:
            r = row.request
            if r.revoked_at:
                revoked = f"{at(r.revoked_at)} by {row.name(r.revoked_by)}"
            else:
                revoked = "NOT REVOKED" if r.needs_revoking else f"- ({r.state})"
            approved_at = at(r.decided_at) if r.approver_id and r.state != "denied" else "-"
            click.echo("\t".join([f"INC-{r.incident_id}", r.ref, r.what, row.name(r.requester_id),
                                   row.name(r.approver_id), approved_at, at(r.expires_at), revoked]))
        if unrevoked and rows:
            sys.exit(1)

    with_store(action)


@main.command()
@click.option("--since", help="only incidents declared on or after this date (YYYY-MM-DD)")
def stats(since: str | None) -> None:
    """Count, MTTA and MTTR by month and severity."""

    def show(value: timedelta | None) -> str:
        return format_duration(value) if value is not None else "-"

    async def action(store: Store) -> None:
        groups = await records.stats(store, records.since_date(since))
        click.echo(f"{'month':<8} {'severity':<8} {'count':>5} {'MTTA':>10} {'MTTR':>10}")
        for (month, severity), figures in groups.items():
            click.echo(f"{month:<8} {severity:<8} {figures.count:>5} "
                       f"{show(figures.mtta):>10} {show(figures.mttr):>10}")

    with_store(action)
