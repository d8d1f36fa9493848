"""The runbooks folder: load every file that parses, find by id or name, match slugs."""

import difflib
from dataclasses import dataclass, field
from pathlib import Path

from bot.runbooks.format import Problem, Runbook
from bot.runbooks.parse import parse_runbook


def read_folder(directory: Path) -> tuple[list[Runbook], list[Problem]]:
    """Every good runbook in the folder, and the problems of the files left out."""
    if not directory.is_dir():
        return [], [Problem(str(directory), 0, "no such folder")]
    runbooks: list[Runbook] = []
    problems: list[Problem] = []
    ids: dict[str, str] = {}  # runbook id: the file that has it
    for path in sorted(directory.glob("*.md")):
        try:
            source = path.read_text(encoding="utf-8")
        except FileNotFoundError:  # removed since the listing: nothing to load or report
            continue
        except UnicodeDecodeError as exc:
            problems.append(Problem(str(path), 1, f"not UTF-8 text: {exc.reason} at byte {exc.start}"))
            continue
        except OSError as exc:
            problems.append(Problem(str(path), 1, f"cannot be read: {exc.strerror}"))
            continue
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
        runbooks.append(runbook)
    return runbooks, problems


@dataclass
class Library:
    runbooks: list[Runbook] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @classmethod
    def load(cls, directory: Path) -> tuple["Library", list[Problem]]:
        runbooks, problems = read_folder(directory)
        return cls(runbooks, problems), problems

    def replace(self, runbooks: list[Runbook], problems: list[Problem]) -> None:
        # Handlers and the alert webhook hold this object: new lists put in place, never
        # edited in place, are how they all see a reload at once and never half of one.
        self.runbooks, self.problems = runbooks, problems

    @property
    def broken(self) -> int:
        """Files left out because they do not load."""
        return len({problem.path for problem in self.problems})

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
