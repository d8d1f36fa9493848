"""`runbooks lint`: check the runbook files as their authors see them, `file:line: message`."""

import sys
from datetime import date
from pathlib import Path

import click

from bot.cli.running import settings
from bot.runbooks.lint import lint


@click.group()
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
