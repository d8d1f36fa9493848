"""Outside systems in trouble: the rows they held go out again as soon as they answer, asked by
one cheap probe while they are down, or by any other call of theirs going through after a
passing error."""

import asyncio
import logging
from collections.abc import Callable

from bot.outbound.lanes import Outbox
from bot.outbound.registry import Registry, System

log = logging.getLogger(__name__)

PROBE_FIRST = 0.25  # seconds after a system starts failing
PROBE_MAX = 2.0
# Released when others go through, a row that keeps failing is released this often at most,
# then waits out its own backoff.
RELEASE_LIMIT = 20


class Trouble:
    def __init__(self, outbox: Outbox, registry: Registry, *, wake: Callable[[], None]) -> None:
        self.outbox = outbox
        self.registry = registry
        self.wake = wake
        # Systems that held rows since they last answered: their next success releases them.
        self._held_by: set[int] = set()
        self._probing: dict[int, asyncio.Task] = {}
        self._kinds: dict[int, set[str]] = {}

    def deferred(self, system: System, *, held: bool) -> None:
        """A call of `system` did not go through; while it is failing, a probe asks for all."""
        if held:
            self._held_by.add(id(system))
        if system.failing_since is not None and id(system) not in self._probing:
            self._probing[id(system)] = asyncio.create_task(self._probe_until_back(system))

    async def answered(self, system: System) -> None:
        """A call of `system` went through."""
        if id(system) in self._held_by:
            await self._release(system, probed=False)

    def stop(self) -> None:
        for probing in self._probing.values():
            probing.cancel()

    async def _release(self, system: System, *, probed: bool) -> None:
        """After an outage (a probe answered) everything held goes; after a passing error, a
        row that keeps failing while others go through only RELEASE_LIMIT times."""
        self._held_by.discard(id(system))
        if id(system) not in self._kinds:
            self._kinds[id(system)] = self.registry.kinds_of(system)
        released = await self.outbox.release_held(
            self._kinds[id(system)], tried_under=None if probed else RELEASE_LIMIT)
        if released:
            log.warning("%d owed %s calls go out again", released, system.name)
            self.wake()

    async def _probe_until_back(self, system: System) -> None:
        pause = PROBE_FIRST
        try:
            while True:
                await asyncio.sleep(pause)
                if await system.probe():
                    await self._release(system, probed=True)
                    return
                pause = min(pause * 2, PROBE_MAX)
        except Exception:
            log.exception("probing %s failed", system.name)
        finally:
            self._probing.pop(id(system), None)
