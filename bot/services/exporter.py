"""Writing the postmortem draft: to EXPORT_DIR at once; to the channel, and to git when
EXPORT_GIT is set, through the outbox. Written at resolve, and again after later changes."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import jinja2

from bot.domain import notices
from bot.domain.incident import Incident
from bot.domain.reminders import ReminderKind
from bot.export.people import people_part
from bot.export.render import Renderer, export_filename
from bot.storage.store import Store, Tx

log = logging.getLogger(__name__)

DRILLS = "drills"


@dataclass
class ExportResult:
    path: Path
    error: str | None = None


class Exporter:
    def __init__(self, *, export_dir: Path, renderer: Renderer, git: bool = False,
                 templates: Callable[[str], Path | None] | None = None) -> None:
        """`templates`: an incident type's name → its own export template, if it has one."""
        self.export_dir = export_dir
        self.renderer = renderer
        self.git = git
        self.templates = templates

    def renderer_for(self, incident: Incident) -> Renderer:
        """The incident type's template when the catalog gives it one, else EXPORT_TEMPLATE."""
        template = self.templates(incident.kind) if self.templates and incident.kind else None
        if template is None:
            return self.renderer
        # Checked at each export (they are rare): the file may have broken since the last.
        renderer = Renderer(template)
        try:
            renderer.check()
        except (OSError, jinja2.TemplateError) as error:
            # The export is never lost to a broken file in the catalog: the usual one it is.
            log.warning("%s: the export template of type %s cannot be used (%s); "
                        "EXPORT_TEMPLATE's is", incident.ref, incident.kind,
                        getattr(error, "message", None) or error)
            return self.renderer
        return renderer

    async def export(self, tx: Tx, incident_id: int, *, upload: bool = True,
                     again: bool = False) -> ExportResult:
        """Render from the record; a file that cannot be written never blocks resolve.
        `again`: rewritten after changes since resolve; with nothing new, nothing is said."""
        record = await tx.record(incident_id)
        path = export_path(self.export_dir, record.incident)
        content = self.renderer_for(record.incident).render(record, kept_writing(path))
        if again and path.is_file() and path.read_text(encoding="utf-8") == content:
            return ExportResult(path)
        if upload:
            # This version shows every change so far: a rewrite still pending would repeat it.
            await tx.cancel_reminders(incident_id, {ReminderKind.EXPORT_AGAIN})
            tx.notify(notices.UploadExport(incident_id=incident_id, filename=path.name,
                                           content=content, updated=again))
        try:
            write_file(path, content)
        except OSError as exc:
            return ExportResult(path, f"could not write {path}: {exc.strerror or exc}")
        # A drill is practice: its export stays out of the postmortems' history.
        if self.git and not record.incident.drill:
            incident = record.incident
            tx.notify(notices.CommitExport(
                incident_id=incident_id, path=str(path.resolve()),
                message=f"{incident.ref}: postmortem draft ({incident.slug})"))
        return ExportResult(path)

    async def rewrite(self, tx: Tx, incident: Incident) -> None:
        """The export again, where it was written, after changes since resolve. Reopened since:
        the next resolve writes it."""
        if incident.status.is_open:
            return
        result = await self.export(tx, incident.id, again=True)
        if result.error:
            log.warning("%s: the postmortem draft was not rewritten: %s", incident.ref,
                        result.error)


async def git_failed(store: Store, *, incident_id: int, path: str, reason: str) -> None:
    """Committing an export failed: the channel hears it once; the commit is retried quietly."""
    async with store.transaction() as tx:
        tx.notify(notices.ExportGitFailed(incident_id=incident_id, file=Path(path).name,
                                          reason=reason))


def kept_writing(path: Path) -> str | None:
    """What the team wrote below the marker of the export being replaced, kept as it is."""
    try:
        return people_part(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def export_path(export_dir: Path, incident: Incident) -> Path:
    """The SPEC name, unless another incident declared the same minute took it; a drill's
    in `drills/`, apart from real incidents."""
    path = (export_dir / DRILLS if incident.drill else export_dir) / export_filename(incident)
    if path.exists() and f"\nid: {incident.ref}\n" not in path.read_text(encoding="utf-8"):
        return path.with_stem(f"{path.stem}-{incident.ref.lower()}")
    return path


def write_file(path: Path, content: str) -> None:
    """Write whole or not at all: a reader never sees half an export."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(content, encoding="utf-8")
    partial.replace(path)
