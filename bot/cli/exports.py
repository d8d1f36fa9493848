"""`export` writes an incident's Markdown again; `verify` recomputes its timeline hash chain,
from the database or from an exported file alone."""

import sys
from pathlib import Path

import click
import jinja2

from bot.catalog.library import Catalog
from bot.cli.running import fail, settings, with_store
from bot.config import Settings
from bot.domain.errors import IncidentError
from bot.export import canonical
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
        result = await records.export_again(store, exporter_of(config),
                                            records.parse_ref(incident))
        if result.error:
            raise IncidentError(result.error)
        click.echo(str(result.path))

    with_store(action)


@click.command()
@click.argument("target")
@click.option("--template", "template", type=click.Path(path_type=Path), default=None,
              help="The template FILE.md was written with (default: EXPORT_TEMPLATE, or the "
                   "bot's own).")
def verify(target: str, template: Path | None) -> None:
    """Recompute a timeline hash chain: INC-<n> from the database (and compare it with its
    last export), or FILE.md on its own, every generated line of it rendered again from the
    events it carries. Exit 1 at the first problem."""
    if target.endswith(".md") or Path(target).is_file():
        # --template alone needs no settings: a file is verified with nothing else.
        if template is None:
            config = settings()
            template = _type_template(config, Path(target)) or config.export_template
        verify_file(Path(target), template)
        return
    config = settings()

    async def action(store: Store) -> None:
        number = records.parse_ref(target)
        result = await records.verify(store, number, export_dir=config.export_dir,
                                      renderer_for=exporter_of(config).renderer_for)
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


def verify_file(path: Path, template: Path | None) -> None:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {path}: {getattr(error, 'strerror', None) or error}")
    renderer = Renderer(template)
    try:
        renderer.check()
    except (OSError, jinja2.TemplateError) as error:
        fail(f"cannot use the template {template}: {getattr(error, 'message', None) or error}")
    check = check_export(text, renderer)
    if check.line:
        click.echo(f"{path}:{check.line}: {check.problem}")
        sys.exit(1)
    for note in check.notes:
        click.echo(f"{path}: {note}")
    # Last, as it always was: scripts read the verdict from the final line.
    click.echo(f"{path}: {len(check.events)} events, chain intact, head {check.head}, "
               "timeline rows match")


def exporter_of(config: Settings) -> Exporter:
    """As `serve` exports: EXPORT_TEMPLATE, or the template of the incident's type."""
    return Exporter(export_dir=config.export_dir, renderer=Renderer(config.export_template),
                    templates=Catalog.load(config.catalog_dir).export_template)


def _type_template(config: Settings, path: Path) -> Path | None:
    """The template of the incident type the file's carried record names, if the catalog
    gives that type one."""
    try:
        carried = canonical.read(path.read_text(encoding="utf-8").split("\n")).record
    except (OSError, UnicodeDecodeError, canonical.CanonicalError):
        return None  # verify_file says why
    kind = (carried or {}).get("incident", {}).get("kind")
    return Catalog.load(config.catalog_dir).export_template(str(kind)) if kind else None
