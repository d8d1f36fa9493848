"""`export` writes an incident's Markdown again; `verify` recomputes its timeline hash chain,
from the database or from an exported file alone."""

import sys
from pathlib import Path

import click

from bot.cli.running import fail, settings, with_store
from bot.domain.errors import IncidentError
from bot.export.render import Renderer
from bot.export.verify import check_export
from bot.services import records
from bot.services.exporter import Exporter
from bot.storage.store import Store


@click.command()
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


@click.command()
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
