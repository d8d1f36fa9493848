"""The runbooks folder: load and lint every file, find by id or name, match slugs."""

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from bot.runbooks.format import Problem, Runbook
from bot.runbooks.parse import parse_runbook


@dataclass
class Library:
    runbooks: list[Runbook] = field(default_factory=list)

    @classmethod
    def load(cls, directory: Path) -> tuple["Library", list[Problem]]:
        if not directory.is_dir():
            return cls(), [Problem(str(directory), 0, "no such folder")]
        library = cls()
        problems: list[Problem] = []
        ids: dict[str, str] = {}  # runbook id: the file that has it
        for path in sorted(directory.glob("*.md")):
            source = path.read_text(encoding="utf-8")
            if path.name.lower() == "readme.md" and not source.startswith("---"):
                continue
            runbook, found = parse_runbook(source, str(path))
            problems += found
            if runbook is None:
                continue
            if runbook.id in ids:
                line = next((n + 1 for n, text in enumerate(source.splitlines())
                             if text.startswith("id:")), 1)
                problems.append(Problem(str(path), line,
                                        f"duplicate id {runbook.id} (also in {ids[runbook.id]})"))
                continue
            ids[runbook.id] = str(path)
            library.runbooks.append(runbook)
        return library, problems

    def matching(self, slug: str) -> list[Runbook]:
        return [r for r in self.runbooks if r.matches(slug)]

    def find(self, query: str) -> Runbook | None:
        wanted = query.strip().lower()
        return next((r for r in self.runbooks
                     if wanted in (r.id.lower(), Path(r.path).stem.lower(), r.title.lower())), None)

    def suggest(self, query: str, n: int = 3) -> list[Runbook]:
        names = {}
        for runbook in self.runbooks:
            for name in (runbook.id, Path(runbook.path).stem, runbook.title):
                names[name.lower()] = runbook
        close = difflib.get_close_matches(query.lower(), names, n=n * 3, cutoff=0.4)
        contained = [name for name in names if query.lower() in name]
        picked: list[Runbook] = []
        for name in contained + close:
            if names[name] not in picked:
                picked.append(names[name])
        return picked[:n]


def lint(directory: Path) -> list[Problem]:
    return Library.load(directory)[1]
