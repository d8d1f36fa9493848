"""The catalog folder kept live: added, edited and removed files show within one poll."""

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

from bot.catalog.library import Catalog, Contents, read_catalog
from bot.runbooks.live import POLL, Snapshot, stopped, worth_telling

log = logging.getLogger(__name__)

__all__ = ["POLL", "LiveCatalog", "snapshot"]


def snapshot(directory: Path) -> Snapshot:
    """Every file under the folder, export templates included: editing one re-reads the types
    that name it."""
    seen = {}
    for path in directory.rglob("*"):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed between the listing and the look
            continue
        if not path.is_dir():
            seen[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return seen


class LiveCatalog:
    """One `Catalog` that follows its folder: a broken file is left out, logged and counted.
    A folder that is not there is an empty catalog until it is."""

    def __init__(self, directory: Path, *, every: timedelta = POLL) -> None:
        self.directory = directory
        self.every = every
        self.catalog = Catalog()
        self._seen: Snapshot = {}

    def load(self) -> None:
        if not self.directory.is_dir():
            log.info("no catalog folder at %s; incidents start without services or types",
                     self.directory)
        self._apply(*self._read())

    async def run(self, stop: asyncio.Event) -> None:
        while not await stopped(stop, self.every):
            try:
                if await asyncio.to_thread(snapshot, self.directory) != self._seen:
                    self._apply(*await asyncio.to_thread(self._read))
            except Exception:  # live reload must outlive any one bad poll
                log.exception("reading the catalog folder %s failed", self.directory)

    def _read(self) -> tuple[Snapshot, Contents]:
        # Looked at before reading, so a file written during the read differs at the next poll.
        return snapshot(self.directory), read_catalog(self.directory)

    def _apply(self, seen: Snapshot, contents: Contents) -> None:
        for problem in worth_telling(contents.problems, self.catalog.problems, seen, self._seen):
            log.warning("%s", problem)
        self._seen = seen
        self.catalog.replace(contents)
        log.info("catalog from %s: %d services, %d incident types, %d broken files left out",
                 self.directory, len(contents.services), len(contents.types), self.catalog.broken)
