"""Figures across incidents: counts, missed acknowledgement deadlines, and how long
acknowledging and resolving took (mean and nearest-rank percentiles)."""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from statistics import mean

from bot.domain.incident import Incident

ALL = "all"
PERCENTILES = (50, 90)


def nearest_rank(values: Sequence[timedelta], percent: int) -> timedelta | None:
    """The nearest-rank percentile: the smallest value with at least `percent`% of the
    values at or below it. Always one of the values, never interpolated, so the p90 of
    five incidents is the slowest of them."""
    if not values:
        return None
    ordered = sorted(values)
    rank = -(-percent * len(ordered) // 100)  # ceil in integers: no float rounding at the edges
    return ordered[max(rank, 1) - 1]


def missed_ack_deadline(incident: Incident, deadline: timedelta | None, now: datetime) -> bool:
    """Acknowledged after declared_at + deadline, or not acknowledged and past it. The
    deadline runs from the declare, as the escalation does: nobody can acknowledge an
    incident before it exists, whenever its alert started firing."""
    if deadline is None:
        return False
    due = incident.declared_at + deadline
    return incident.acknowledged_at > due if incident.acknowledged_at else now > due


def month_of(incident: Incident) -> str:
    return f"{incident.declared_at.astimezone(UTC):%Y-%m}"


def rollups(month: str, severity: str) -> list[tuple[str, str]]:
    """The groups one incident counts in: its month and severity, its month's and its
    severity's totals, and the total of all."""
    return [(month, severity), (month, ALL), (ALL, severity), (ALL, ALL)]


def report_order(key: tuple[str, str]) -> tuple[bool, str, bool, str]:
    """Months oldest first and their total last; within each, severities then their total."""
    month, severity = key
    return (month == ALL, month, severity == ALL, severity)


def _mean(values: list[timedelta]) -> timedelta | None:
    return timedelta(seconds=mean(v.total_seconds() for v in values)) if values else None


@dataclass
class Figures:
    count: int = 0
    missed_ack: int = 0
    to_acknowledge: list[timedelta] = field(default_factory=list)
    to_resolve: list[timedelta] = field(default_factory=list)

    def add(self, incident: Incident, *, detected: datetime | None, missed_ack: bool) -> None:
        """`detected`: when its first alert started firing; MTTA counts from then. MTTR
        counts from the declare."""
        self.count += 1
        self.missed_ack += missed_ack
        if incident.acknowledged_at:
            start = min(detected, incident.declared_at) if detected else incident.declared_at
            self.to_acknowledge.append(incident.acknowledged_at - start)
        if incident.resolved_at:
            self.to_resolve.append(incident.resolved_at - incident.declared_at)

    @property
    def mtta(self) -> timedelta | None:
        return _mean(self.to_acknowledge)

    @property
    def mttr(self) -> timedelta | None:
        return _mean(self.to_resolve)

    def times(self) -> dict[str, timedelta | None]:
        """mtta, mtta_p50, mtta_p90, mttr, mttr_p50, mttr_p90: None where no incident of
        the group got that far."""
        out: dict[str, timedelta | None] = {}
        for name, mean_value, values in (("mtta", self.mtta, self.to_acknowledge),
                                         ("mttr", self.mttr, self.to_resolve)):
            out[name] = mean_value
            for percent in PERCENTILES:
                out[f"{name}_p{percent}"] = nearest_rank(values, percent)
        return out


def short_duration(value: timedelta) -> str:
    """`45s`, `4m`, `4m 30s`, `1h 05m`, `2d 03h`: the two largest units, the second one
    padded to two digits and left out when zero; whatever is smaller is cut off."""
    seconds = int(value.total_seconds())
    for size, unit, smaller, smaller_unit in ((86400, "d", 3600, "h"), (3600, "h", 60, "m"),
                                              (60, "m", 1, "s")):
        if seconds >= size:
            rest = seconds % size // smaller
            return f"{seconds // size}{unit}" + (f" {rest:02d}{smaller_unit}" if rest else "")
    return f"{seconds}s"
