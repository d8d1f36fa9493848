"""`catalog lint`: check the service and incident type files, `file:line: message`. Reads the
runbooks folder and PAGERDUTY_SERVICES to check what the catalog names; no database."""

import sys
from pathlib import Path

import click

from bot.catalog.lint import lint
from bot.cli.running import settings
from bot.runbooks.library import read_folder


@click.group()
def catalog() -> None:
    """Service catalog and incident types."""


@catalog.command("lint")
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Exit 1 on warnings too.")
def catalog_lint(directory: Path | None, strict: bool) -> None:
    """Check every service and incident type; print `file:line: message` per problem, exit 1
    if any.

    Warnings (`file:line: warning: …`) alone exit 0 unless --strict."""
    config = settings()
    folder = directory or config.catalog_dir
    if not folder.is_dir():
        click.echo(f"{folder}: no such folder" + ("" if directory else " (CATALOG_DIR)"))
        sys.exit(1)
    runbooks, _ = read_folder(config.runbooks_dir)
    loaded, found = lint(folder, runbook_ids={runbook.id for runbook in runbooks},
                         pagerduty_services=list(config.pagerduty_services) or None)
    for problem in found:
        click.echo(str(problem))
    warnings = sum(problem.warning for problem in found)
    if len(found) > warnings or (strict and warnings):
        sys.exit(1)
    services, types = len(loaded.services), len(loaded.types)
    click.echo(f"{folder}: {services} service{'s' * (services != 1)}, {types} incident "
               f"type{'s' * (types != 1)}, no problems"
               + (f", {warnings} warning{'s' * (warnings > 1)}" if warnings else ""))
