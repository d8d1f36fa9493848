"""`db …`: the database itself, as an operator tends it."""

import click

from bot.cli.running import fail, settings, with_store
from bot.cli.tables import cell
from bot.outbound.lanes import GivenUp, Outbox
from bot.storage.migrate import upgrade
from bot.storage.store import Store


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
    """Calls the bot gave up: `refused` for good by Slack or another system, or `parked` after
    failing again and again for a reason of the bot's own (a bug). `db outbox retry` sends
    them again."""
    if context.invoked_subcommand is not None:
        return

    async def action(store: Store) -> list[GivenUp]:
        return await Outbox(store).given_up()

    given_up = with_store(action)
    if not given_up:
        click.echo("nothing given up: every owed call was delivered or is still being tried")
        return
    click.echo(f"{'id':>6}  {'failed at (UTC)':<16}  {'why':<7}  {'lane':<24}  {'kind':<24}  "
               "tries  error")
    for row in given_up:
        why = "parked" if row.parked else "refused"
        click.echo(f"{row.id:>6}  {row.failed_at:%Y-%m-%d %H:%M}  {why:<7}  {row.lane:<24}  "
                   f"{row.kind:<24}  {row.attempts:>5}  {cell(row.error)}")


@db_outbox.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--parked", "every", is_flag=True,
              help="every parked call (refused ones only by id: one may be an old page)")
def db_outbox_retry(ids: tuple[int, ...], every: bool) -> None:
    """Send given-up calls again (after a fix), looked for first in case one landed."""
    if not ids and not every:
        fail("name the calls to send again (their ids, from `incident-bot db outbox`), "
             "or --parked")

    async def action(store: Store) -> int:
        return await Outbox(store).send_again(None if every else list(ids))

    count = with_store(action, migrate=True)
    click.echo(f"{count} call{'s' if count != 1 else ''} owed again; a running bot sends "
               f"{'them' if count != 1 else 'it'} within seconds")
