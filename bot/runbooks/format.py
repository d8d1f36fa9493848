"""A runbook as written in git: front matter, sections, numbered steps, declared checks."""

import fnmatch
import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

CATEGORIES = ("incident", "deployment", "maintenance", "recovery", "escalation")
RISKS = ("low", "medium", "high")


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    message: str
    # A warning leaves the runbook usable; only `runbooks lint --strict` fails on one.
    warning: bool = False

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {'warning: ' if self.warning else ''}{self.message}"


@dataclass(frozen=True)
class Check:
    name: str
    run: str | None
    http: str | None
    timeout: timedelta


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    risk: str
    check: str | None
    text: str
    commands: tuple[str, ...]
    verification: tuple[str, ...]
    line: int


@dataclass(frozen=True)
class Runbook:
    id: str
    title: str
    category: str
    trigger: str
    owner: str
    last_tested: date | None
    match: tuple[str, ...]
    checks: dict[str, Check]
    scope: str
    prerequisites: str
    escalation: str
    steps: tuple[Step, ...]
    path: str
    source: str
    # How to undo the risky steps: free text like scope, kept so Slack can show it beside them.
    rollback: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()

    def matches(self, slug: str) -> bool:
        return any(fnmatch.fnmatchcase(slug.lower(), pattern.lower()) for pattern in self.match)

    def step(self, number: int) -> Step | None:
        return next((s for s in self.steps if s.number == number), None)

    def stale(self, today: date, after: timedelta) -> bool:
        """Older than `after` on `today`; a runbook never tested cannot be trusted either."""
        return self.last_tested is None or today - self.last_tested > after
