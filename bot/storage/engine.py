"""Engines for SQLite (embedded default) and PostgreSQL (scale-out)."""

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

READ_ONLY = "incident_bot_read_only"


def make_engine(url: str) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _serialize_sqlite_writers(engine)
        return engine
    return create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _serialize_sqlite_writers(engine: AsyncEngine) -> None:
    """Take SQLite's write lock at BEGIN.

    pysqlite's default deferred BEGIN lets two transactions read, then both try
    to write and one fails with "database is locked". IMMEDIATE makes the
    second wait instead, which is what row locks do on Postgres.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection, _record):  # noqa: ANN001
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection):  # noqa: ANN001
        # Reads need no write lock; WAL lets them run beside the writer.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
