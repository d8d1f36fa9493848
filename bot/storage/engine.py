"""Databases: SQLite (embedded default) run inline, PostgreSQL (scale-out) through async psycopg.

Both hand the repository a session with the AsyncSession methods it uses, inside
one transaction, so the repository never knows which it has.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any, Protocol

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

# How long a writer waits for another process (a CLI command, say) to release SQLite.
SQLITE_LOCK_WAIT = 30.0


class Database(Protocol):
    dialect: str

    def session(self, *, write: bool) -> contextlib.AbstractAsyncContextManager[Any]: ...

    async def close(self) -> None: ...


# The drivers installed with the bot; bot/config.py turns the URLs operators know into these.
DRIVERS = ("sqlite", "sqlite+aiosqlite", "postgresql+psycopg")
SUPPORTED = "sqlite:///path, postgresql+psycopg://… or postgres://…"


class DatabaseUnavailable(Exception):
    """The database cannot be reached or read, or this release cannot use it as it is. The
    message names DATABASE_URL and what to do, for one line on the command line."""


def check_url(url: str) -> None:
    try:
        driver = make_url(url).drivername
    except ArgumentError:
        driver = None
    if driver not in DRIVERS:
        raise DatabaseUnavailable(f"DATABASE_URL {shown(url)} is not supported "
                                  f"(use {SUPPORTED})")


def shown(url: str) -> str:
    """The URL as a message may show it: without its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def unreachable(url: str, error: Exception) -> DatabaseUnavailable:
    """A driver's failure to connect or read, in one line: its first, which says why."""
    reason = str(getattr(error, "orig", None) or error).strip().splitlines()
    return DatabaseUnavailable(f"cannot use the database at DATABASE_URL {shown(url)}: "
                               f"{reason[0] if reason else type(error).__name__}")


def open_database(url: str) -> Database:
    check_url(url)
    if url.startswith("sqlite"):
        return InlineSQLite(url)
    return AsyncPostgres(url)


class AsyncPostgres:
    dialect = "postgresql"

    def __init__(self, url: str) -> None:
        # No ping before each checkout: it was one more round trip for every command. After
        # the server restarts, the first statement to find its connection gone fails, and
        # SQLAlchemy then drops every pooled connection of before, so one command is refused.
        self.engine = create_async_engine(url, pool_size=10, max_overflow=10)
        self._sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.asynccontextmanager
    async def session(self, *, write: bool) -> AsyncIterator[AsyncSession]:
        async with self._sessions() as session:
            if write:
                async with session.begin():
                    yield session
            else:
                yield session

    async def close(self) -> None:
        await self.engine.dispose()


class InlineSQLite:
    """SQLite in the event loop's own thread.

    A statement on a local SQLite file takes microseconds; through aiosqlite each
    one costs several hand-offs to a worker thread (32 for one `/incident log`),
    which profiling showed to be most of a command's time. Writers of this process
    queue on an asyncio lock, so SQLite's busy handler only ever waits for another
    process, and then the loop waits asynchronously, never blocked.
    """

    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        url = url.replace("sqlite+aiosqlite:", "sqlite:")  # as older configurations name it
        self.engine = create_engine(url, connect_args={"check_same_thread": False})
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = asyncio.Lock()

        @event.listens_for(self.engine, "connect")
        def _connect(dbapi_connection, _record):  # noqa: ANN001
            dbapi_connection.isolation_level = None  # we say BEGIN ourselves
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            # Commits survive the bot being killed, not the machine losing power (WAL is synced
            # at checkpoints); an fsync per commit on the loop's thread was an eighth of a
            # command's time. Where a power cut must lose nothing, run on PostgreSQL.
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")
            # Short: a lock held by another process is waited for asynchronously (below).
            dbapi_connection.execute("PRAGMA busy_timeout=5")
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        @event.listens_for(self.engine, "begin")
        def _begin(connection):  # noqa: ANN001
            # Writers take the write lock at BEGIN, as row locks would on Postgres;
            # readers need none (WAL lets them read beside the writer).
            write = connection.get_execution_options().get("write", False)
            connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    @contextlib.asynccontextmanager
    async def session(self, *, write: bool) -> AsyncIterator["InlineSession"]:
        async with self._writer if write else contextlib.nullcontext():
            session = await self._begin(write)
            try:
                yield InlineSession(session)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    async def _begin(self, write: bool) -> Session:
        deadline = time.monotonic() + SQLITE_LOCK_WAIT
        pause = 0.005
        while True:
            session = self._sessions()
            try:
                session.connection(execution_options={"write": write})
                return session
            except OperationalError as exc:
                session.close()
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.1)

    async def close(self) -> None:
        self.engine.dispose()


class InlineSession:
    """The AsyncSession methods the repository uses, over a plain Session."""

    def __init__(self, session: Session) -> None:
        self.sync = session

    def add(self, row: Any) -> None:
        self.sync.add(row)

    async def execute(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync.execute(*args, **kwargs)

    async def scalar(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync.scalar(*args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> Any:
        return self.sync.get(*args, **kwargs)

    async def flush(self) -> None:
        self.sync.flush()


async def ping(database: Database) -> None:
    async with database.session(write=False) as session:
        await session.execute(text("SELECT 1"))
