"""`db …`: the database itself, as an operator tends it."""

from datetime import timedelta

import click

from bot.cli.running import fail, settings, with_store
from bot.cli.tables import cell
from bot.outbound.lanes import Outbox, Parked
from bot.storage.migrate import upgrade
from bot.storage.store import Store

# Listing and re-owing take no lease: any value does.
LEASE = timedelta(seconds=15)


@click.group()
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


@db.group("outbox", invoke_without_command=True)
@click.pass_context
def db_outbox(context: click.Context) -> None:
    """Calls the bot gave up: refused for good by Slack or another system, or parked after
    failing for a reason of the bot's own (a bug). `db outbox retry` sends them again."""
    if context.invoked_subcommand is not None:
        return

    async def action(store: Store) -> list[Parked]:
        return await Outbox(store, lease=LEASE).parked()

    parked = with_store(action)
    if not parked:
        click.echo("nothing given up: every owed call was delivered or is still being tried")
        return
    click.echo(f"{'id':>6}  {'failed at (UTC)':<16}  {'lane':<24}  {'kind':<24}  tries  error")
    for row in parked:
        click.echo(f"{row.id:>6}  {row.failed_at:%Y-%m-%d %H:%M}  {row.lane:<24}  {row.kind:<24}  "
                   f"{row.attempts:>5}  {cell(row.error)}")


@db_outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="every call given up")
def db_outbox_retry(ids: tuple[int, ...], every: bool) -> None:
    """Send given-up calls again (after a fix), looked for first in case one landed."""
    if not ids and not every:
        fail("name the calls to send again (their ids, from `incident-bot db outbox`), or --all")

    async def action(store: Store) -> int:
        return await Outbox(store, lease=LEASE).unpark(None if every else list(ids))

    count = with_store(action)
    click.echo(f"{count} call{'s' if count != 1 else ''} owed again; a running bot sends "
               f"{'them' if count != 1 else 'it'} within seconds")
