from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class Policy:
    """The operator's rules the use cases follow (from settings)."""

    approvers: tuple[str, ...] = ()
    access_expiry_warning: timedelta = timedelta(minutes=15)
    status_update_intervals: dict[int, timedelta] = field(default_factory=lambda: {
        1: timedelta(minutes=10), 2: timedelta(minutes=30), 3: timedelta(hours=1),
        4: timedelta(hours=4)})

    def status_update_interval(self, severity: int) -> timedelta:
        return self.status_update_intervals[severity]
