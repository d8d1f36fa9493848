"""`incident-bot --version`: the installed package's version, else the checkout's."""

import tomllib
from importlib import metadata
from pathlib import Path

import click

PACKAGE = "incident-bot"


def package_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        pass
    # Run from a source checkout without installing: the version pyproject.toml declares.
    pyproject = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        project = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
    except (OSError, tomllib.TOMLDecodeError):
        project = {}
    if project.get("name") == PACKAGE and project.get("version"):
        return f"{project['version']}+checkout"
    return "unknown"


def show_version(context: click.Context, _: click.Parameter, wanted: bool) -> None:
    if wanted and not context.resilient_parsing:
        click.echo(f"{PACKAGE} {package_version()}")
        context.exit()
