"""The runbooks folder kept live: added, edited and removed files show within one poll."""

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

from bot.runbooks.format import Problem, Runbook
from bot.runbooks.library import Library, read_folder

log = logging.getLogger(__name__)
# How often the folder is looked at for edits.
POLL = timedelta(seconds=2)

# path: (mtime in ns, size); an edit changes one or the other without reading the file.
Snapshot = dict[str, tuple[int, int]]


def snapshot(directory: Path) -> Snapshot:
    seen = {}
    for path in directory.glob("*.md"):
        try:
            stat = path.stat()
        except FileNotFoundError:  # removed between the listing and the look
            continue
        seen[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return seen


class LiveLibrary:
    """One `Library` that follows its folder: a broken file is left out, logged and counted."""

    def __init__(self, directory: Path, *, every: timedelta = POLL) -> None:
        self.directory = directory
        self.every = every
        self.library = Library()
        self._seen: Snapshot = {}

    def load(self) -> None:
        if not self.directory.is_dir():
            log.warning("no runbooks folder at %s; incidents start without runbooks", self.directory)
        self._apply(*self._read())

    async def run(self, stop: asyncio.Event) -> None:
        while not await stopped(stop, self.every):
            try:
                if await asyncio.to_thread(snapshot, self.directory) != self._seen:
                    self._apply(*await asyncio.to_thread(self._read))
            except Exception:  # live reload must outlive any one bad poll
                log.exception("reading the runbooks folder %s failed", self.directory)

    def _read(self) -> tuple[Snapshot, list[Runbook], list[Problem]]:
        # Looked at before reading, so a file written during the read differs at the next poll.
        seen = snapshot(self.directory)
        if not self.directory.is_dir():  # a folder yet to come is no broken runbook
            return seen, [], []
        return (seen, *read_folder(self.directory))

    def _apply(self, seen: Snapshot, runbooks: list[Runbook], problems: list[Problem]) -> None:
        for problem in worth_telling(problems, self.library.problems, seen, self._seen):
            log.warning("%s", problem)
        self._seen = seen
        self.library.replace(runbooks, problems)
        log.info("runbooks from %s: %d loaded, %d broken files left out", self.directory,
                 len(runbooks), self.library.broken)


def worth_telling(problems: list[Problem], before: list[Problem], seen: Snapshot,
                  was: Snapshot) -> list[Problem]:
    """Once per change: a file still broken the same way is not told again at each poll."""
    changed = {path for path in seen.keys() | was.keys() if seen.get(path) != was.get(path)}
    known = set(before)
    return [p for p in problems if p.path in changed or p not in known]


async def stopped(stop: asyncio.Event, within: timedelta) -> bool:
    """Waits `within` for `stop`: True once it is set."""
    try:
        await asyncio.wait_for(stop.wait(), within.total_seconds())
    except TimeoutError:
        return False
    return True
