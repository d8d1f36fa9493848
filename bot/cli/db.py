"""`db …`: the database itself, as an operator tends it."""

import click

from bot.cli.running import fail, settings
from bot.storage.migrate import upgrade


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


# Further `db` subcommands (e.g. `db outbox`, what is owed to Slack and the outside systems)
# belong here, each as `@db.command("<name>")`; the group is wired into `incident-bot` in
# bot/cli/commands.py already.
