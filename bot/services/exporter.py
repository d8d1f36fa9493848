"""Writing the postmortem draft: to EXPORT_DIR at once, to the channel through the outbox."""

from dataclasses import dataclass
from pathlib import Path

from bot.domain import notices
from bot.domain.incident import Incident
from bot.export.render import Renderer, export_filename
from bot.storage.store import Tx


@dataclass
class ExportResult:
    path: Path
    error: str | None = None


class Exporter:
    def __init__(self, *, export_dir: Path, renderer: Renderer) -> None:
        self.export_dir = export_dir
        self.renderer = renderer

    async def export(self, tx: Tx, incident_id: int, *, upload: bool = True) -> ExportResult:
        """Render from the record; a file that cannot be written never blocks resolve."""
        record = await tx.record(incident_id)
        content = self.renderer.render(record)
        path = export_path(self.export_dir, record.incident)
        if upload:
            tx.notify(notices.Notice("upload_export", notices.incident_lane(incident_id),
                                     {"filename": path.name, "content": content}))
        try:
            write_file(path, content)
        except OSError as exc:
            return ExportResult(path, f"could not write {path}: {exc.strerror or exc}")
        return ExportResult(path)



def export_path(export_dir: Path, incident: Incident) -> Path:
    """The SPEC name, unless another incident declared the same minute took it."""
    path = export_dir / export_filename(incident)
    if path.exists() and f"\nid: {incident.ref}\n" not in path.read_text(encoding="utf-8"):
        return path.with_stem(f"{path.stem}-{incident.ref.lower()}")
    return path


def write_file(path: Path, content: str) -> None:
    """Write whole or not at all: a reader never sees half an export."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(content, encoding="utf-8")
    partial.replace(path)
