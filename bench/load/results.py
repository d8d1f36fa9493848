"""What a run found: each part's figures, and what looked wrong along the way."""

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .databases import Database
from .options import Options
from .processes import ProcessRow


@dataclass
class Notes:
    """What looked wrong, counted by kind, with the first example of each."""

    counts: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, example: str = "", count: int = 1) -> None:
        kind = kind.replace("|", "/")  # printed in a Markdown table
        self.counts[kind] += count
        self.examples.setdefault(kind, example)


@dataclass
class LogResult:
    bot: str
    database: str
    replicas: int
    channels: int
    clients: int
    requests: int
    errors: int
    ack_p50: float
    ack_p99: float
    ack_max: float
    throughput: float
    visible: float | None
    missing: int
    doubled: int
    out_of_order: int
    posts: int
    peak_posts: int
    bot_cpu: float
    driver_cpu: float
    other_cpu: float
    problems: Counter = field(default_factory=Counter)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


@dataclass
class CallRow:
    action: str
    bot: float | None
    reference: float | None = None
    detail: str = ""


@dataclass
class Bench:
    options: Options
    db: Database
    workdir: Path
    processes: list[ProcessRow] = field(default_factory=list)
    logs: list[LogResult] = field(default_factory=list)
    reference: dict[tuple[int, int], LogResult] = field(default_factory=dict)
    calls: list[CallRow] = field(default_factory=list)
    burst: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    notes: Notes = field(default_factory=Notes)

    @property
    def empty_runbooks(self) -> Path:
        folder = self.workdir / "no-runbooks"
        folder.mkdir(exist_ok=True)
        return folder
