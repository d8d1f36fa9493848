"""Writers queued in this process, and what queues up stored together.

Transactions that would wait for the same row lock (one incident's) wait here instead, so a
busy incident holds one database connection, not all. Whatever queued up while another held
the turn may run in one transaction when the turn comes: one lock taken, one commit.
"""

import asyncio
import contextlib
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from bot.storage.tx import Tx

T = TypeVar("T")

# A unit of work waiting for its queue's turn, and where its caller waits for the outcome.
_Waiting = tuple[Callable[[Tx], Awaitable[Any]], asyncio.Future]


def _answer(turn: asyncio.Future, result: Any = None, *, error: Exception | None = None) -> None:
    """Give a waiting caller its outcome, unless it has given up (its future cancelled)."""
    if turn.done():
        return
    if error is not None:
        turn.set_exception(error)
    else:
        turn.set_result(result)


class WriteQueues:
    def __init__(self, *, one_writer: bool,
                 transaction: Callable[[], contextlib.AbstractAsyncContextManager[Tx]],
                 clock: Callable[[], datetime]) -> None:
        """`one_writer`: the database has one writer whatever the incident (SQLite);
        `transaction`: a write transaction, taken once the turn has come."""
        self._one_writer = one_writer
        self._transaction = transaction
        self._clock = clock
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._waiting: dict[str, list[_Waiting]] = {}

    def turn(self, queue: str | None) -> contextlib.AbstractAsyncContextManager[Any]:
        """Held while it is `queue`'s turn; None waits for no one."""
        return self._lock(None if queue is None else self._name(queue))

    async def together(self, queue: str, work: Callable[[Tx], Awaitable[T]]) -> T:
        """`work` in a write transaction queued on `queue`, as `transaction` would run it; but
        whatever queued up while another held the turn runs in one transaction when the turn
        comes (one lock taken, one commit for a burst). `work` must touch nothing but `tx`:
        if any of its batch fails, each runs again alone, so only that one fails."""
        queue = self._name(queue)
        entry = (work, asyncio.get_running_loop().create_future())
        self._waiting.setdefault(queue, []).append(entry)
        try:
            async with self._lock(queue):
                if entry in self._waiting.get(queue, ()):  # not taken along by another
                    # Shielded: a leader cancelled midway still serves those it took along.
                    await asyncio.shield(self._run_together(self._waiting.pop(queue)))
        except asyncio.CancelledError:
            if entry in self._waiting.get(queue, ()):
                self._waiting[queue].remove(entry)
            raise
        return await entry[1]

    async def _run_together(self, batch: list[_Waiting]) -> None:
        if len(batch) > 1:
            results = []
            try:
                async with self._transaction() as tx:
                    for work, _ in batch:
                        tx.now = self._clock()
                        results.append(await work(tx))
            except Exception:  # each runs alone below, and a failure is only its own
                pass
            else:
                for (_, turn), result in zip(batch, results, strict=True):
                    _answer(turn, result)
                return
        for work, turn in batch:
            try:
                async with self._transaction() as tx:
                    result = await work(tx)
            except Exception as error:
                _answer(turn, error=error)
            else:
                _answer(turn, result)

    def _name(self, queue: str) -> str:
        """SQLite has one writer, whichever the incident: its writers share one queue, and
        whatever waits on it is stored together."""
        return "" if self._one_writer else queue

    def _lock(self, key: str | None) -> contextlib.AbstractAsyncContextManager[Any]:
        if key is None:
            return contextlib.nullcontext()
        lock = self._locks.get(key)
        if lock is None:
            lock = self._locks[key] = asyncio.Lock()
        return lock
