"""Failing the way Slack fails: scripted per method, or an outage of every method at once."""

import asyncio
import contextlib
from collections import defaultdict, deque
from dataclasses import dataclass


@dataclass
class Fault:
    status: int | None = None
    retry_after: float = 1
    delay: float = 0
    error: str | None = None


class Faults:
    def __init__(self) -> None:
        self._faults: dict[str, deque[Fault]] = defaultdict(deque)
        self._outage: Fault | None = None
        self._restored = asyncio.Event()

    def fault(self, method: str, *, status: int | None = None, retry_after: float = 1,
              delay: float = 0, error: str | None = None, times: int = 1) -> None:
        """The next `times` calls of `method` ("*": any method) fail so: an HTTP `status`
        (429 carries `Retry-After`), a Slack `error`, or a `delay` before answering."""
        for _ in range(times):
            self._faults[method].append(Fault(status, retry_after, delay, error))

    def outage(self, *, status: int | None = None, delay: float = 0) -> None:
        """Every call fails with `status`, or hangs for `delay` (or until restored) and then lands."""
        self._outage = Fault(status=status, delay=delay)
        self._restored = asyncio.Event()

    def restore(self) -> None:
        self._outage = None
        self._restored.set()

    def next_fault(self, method: str) -> Fault | None:
        """The fault this call of `method` meets, taken off the script; None: it is served."""
        if self._outage is not None:
            return self._outage
        for key in (method, "*"):
            if self._faults[key]:
                return self._faults[key].popleft()
        return None

    def is_outage(self, fault: Fault) -> bool:
        return fault is self._outage

    async def until_restored(self, timeout: float) -> None:
        """Wait for the outage in force to end, `timeout` seconds at most."""
        restored = self._restored
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(restored.wait(), timeout)
