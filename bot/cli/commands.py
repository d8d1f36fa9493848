"""The `incident-bot` command tree: every command group wired in one place."""

import logging

import click

from bot.cli.audit import audit
from bot.cli.db import db
from bot.cli.exports import export, verify
from bot.cli.listing import list_incidents, stats
from bot.cli.policy import policy
from bot.cli.runbooks import runbooks
from bot.cli.serve import demo, serve


@click.group()
def main() -> None:
    """Slack incident bot that keeps the incident record in git."""
    logging.basicConfig(level=logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")


for command in (serve, demo, db, runbooks, policy, export, verify, audit, stats,
                list_incidents):
    main.add_command(command)
