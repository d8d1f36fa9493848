from datetime import UTC, datetime, timedelta


class ManualClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime = datetime(2026, 3, 14, 14, 30, tzinfo=UTC)) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


class ShiftedClock:
    """Real time plus a jump the test makes: a running bot's pacing and retries still pass
    as they would, while reminders hours away come due at once."""

    def __init__(self) -> None:
        self.shift = timedelta(0)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def advance(self, **delta: float) -> datetime:
        self.shift += timedelta(**delta)
        return self.now()
