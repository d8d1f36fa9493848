"""The repository: one transaction object per use case, speaking domain objects."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, TypeVar

from bot import tracing
from bot.domain.authz import Denial, Denied
from bot.domain.timeline import ChainLink
from bot.storage.engine import Database, open_database
from bot.storage.queues import WriteQueues
from bot.storage.tx import AfterAppend, Tx

__all__ = ["Store", "Tx"]

T = TypeVar("T")


class Store:
    def __init__(self, database: Database, *, clock: Callable[[], datetime],
                 after_append: AfterAppend | None = None) -> None:
        """`after_append`: what the use cases ask to follow every event appended, in the
        same transaction."""
        self.database = database
        self.clock = clock
        self.after_append = after_append
        # Set after a commit that left notices, so the outbox wakes at once.
        self.outbox_signal = asyncio.Event()
        self._stored_names: dict[str, str] = {}
        self._stored_heads: dict[int, ChainLink] = {}
        self._queues = WriteQueues(one_writer=self.dialect == "sqlite",
                                   transaction=self.transaction, clock=clock)

    @classmethod
    def from_url(cls, url: str, *, clock: Callable[[], datetime],
                 after_append: AfterAppend | None = None) -> "Store":
        return cls(open_database(url), clock=clock, after_append=after_append)

    @property
    def dialect(self) -> str:
        return self.database.dialect

    def writing(self) -> contextlib.AbstractAsyncContextManager[Any]:
        """A write transaction: committed when the block ends, rolled back if it raises."""
        return self.database.session(write=True)

    @asynccontextmanager
    async def transaction(self, *, queue: str | None = None) -> AsyncIterator[Tx]:
        """`queue`: transactions that would wait for the same row lock (one incident's) wait
        in this process instead, so a busy incident holds one database connection, not all."""
        with tracing.span("db.transaction", queue=queue):
            async with self._transaction(queue) as tx:
                yield tx

    @asynccontextmanager
    async def _transaction(self, queue: str | None) -> AsyncIterator[Tx]:
        async with self._keeping_denials(), self._queues.turn(queue), \
                self.writing() as session:
            tx = self._tx(session)
            yield tx
            await tx.write_owed()
        self._stored_names.update(tx.names_written)  # committed: what the next one may trust
        self._stored_heads.update(tx.heads_written)
        if tx.notices:
            self.outbox_signal.set()

    async def together(self, queue: str, work: Callable[[Tx], Awaitable[T]]) -> T:
        """`work` in a write transaction queued on `queue`, as `transaction` would run it, but
        stored in one transaction with whatever queued up behind the same turn. `work` must
        touch nothing but `tx`: if any of a batch fails, each runs again alone."""
        return await self._queues.together(queue, work)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[Tx]:
        """A transaction that only reads: on SQLite it waits for no writer."""
        with tracing.span("db.read"):
            async with self._keeping_denials(), self.database.session(write=False) as session:
                yield self._tx(session)

    @asynccontextmanager
    async def _keeping_denials(self) -> AsyncIterator[None]:
        """A refusal of the incident policy, once the transaction it ended has rolled back
        everything the action did, is kept itself in one of its own: what was refused is on
        record, nothing else."""
        try:
            yield
        except Denied as denied:
            async with self.writing() as session:
                kept = self._tx(session)
                await kept.keep_denial(denied.delivery, Denial.of(denied, kept.now))
            raise

    def _tx(self, session: Any) -> Tx:
        return Tx(session, self.clock(), dialect=self.dialect, names=self._stored_names,
                  heads=self._stored_heads, after_append=self.after_append)

    async def close(self) -> None:
        await self.database.close()
