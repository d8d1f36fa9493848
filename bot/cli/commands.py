"""The `incident-bot` command tree: every command group wired in one place."""

import click

from bot.cli.audit import audit
from bot.cli.catalog import catalog
from bot.cli.db import db
from bot.cli.exports import export, verify
from bot.cli.listing import list_incidents, stats
from bot.cli.policy import policy
from bot.cli.runbooks import runbooks
from bot.cli.serve import demo, serve
from bot.cli.version import show_version
from bot.config import ConfigError, load_settings
from bot.logs import setup_logging


@click.group()
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=show_version, help="Show the version and exit.")
def main() -> None:
    """Slack incident bot that keeps the incident record in git."""
    try:
        config = load_settings()
    except ConfigError:  # the command names the bad setting when it reads its settings
        setup_logging()
    else:
        setup_logging(config.log_level, config.log_format)


for command in (serve, demo, db, runbooks, catalog, policy, export, verify, audit, stats,
                list_incidents):
    main.add_command(command)
