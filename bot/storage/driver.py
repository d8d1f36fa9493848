"""PostgreSQL: the statements of every command's path, sent with psycopg itself.

A `/incident log` is a lock, three inserts and a commit. Through SQLAlchemy's async adapter
each statement cost about three times the driver's own work (execution context, result
handling, a greenlet switch each way), and the bot's event loop spent most of a busy
incident there. These statements go to the connection SQLAlchemy checked out for the
transaction, so they commit or roll back with everything else it holds.
"""

import functools
from datetime import UTC, datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Json
from sqlalchemy import JSON, Table

from bot.storage.types import UTCDateTime


class Driver:
    def __init__(self, connection: AsyncConnection) -> None:
        self.connection = connection

    async def row(self, table: Table, column: str, key: object, *,
                  lock: bool) -> dict[str, Any] | None:
        """The row whose `column` is `key`, as column → value; `lock`: FOR UPDATE."""
        cursor = await self.connection.execute(_select(table, column, lock), (key,))
        found = await cursor.fetchone()
        if found is None:
            return None
        return {name: _loaded(value) for name, value in zip(_names(table), found, strict=True)}

    async def insert_new(self, table: Table, values: dict[str, Any],
                         conflict: tuple[str, ...] = ()) -> bool:
        """Insert unless the key (or the `conflict` columns) is taken: whether it was."""
        values = _dumped(table, values)
        cursor = await self.connection.execute(_insert(table, tuple(values), conflict), values)
        return await cursor.fetchone() is not None

    async def insert(self, table: Table, rows: list[dict[str, Any]]) -> None:
        """Rows with the same columns, in order."""
        rows = [_dumped(table, row) for row in rows]
        sql = _insert(table, tuple(rows[0]), None)
        if len(rows) == 1:  # executemany's pipeline costs more than it saves for one
            await self.connection.execute(sql, rows[0])
            return
        async with self.connection.cursor() as cursor:
            await cursor.executemany(sql, rows)


@functools.cache
def _names(table: Table) -> tuple[str, ...]:
    return tuple(column.name for column in table.columns)


@functools.cache
def _select(table: Table, column: str, lock: bool) -> str:
    sql = f"SELECT {', '.join(_names(table))} FROM {table.name} WHERE {column} = %s"
    return sql + " FOR UPDATE" if lock else sql


@functools.cache
def _insert(table: Table, columns: tuple[str, ...], conflict: tuple[str, ...] | None) -> str:
    """`conflict`: None, a plain insert; else ON CONFLICT (those columns, or any key) DO
    NOTHING, returning the primary key of a row inserted."""
    sql = (f"INSERT INTO {table.name} ({', '.join(columns)}) "
           f"VALUES ({', '.join(f'%({name})s' for name in columns)})")
    if conflict is None:
        return sql
    target = f" ({', '.join(conflict)})" if conflict else ""
    keys = ", ".join(column.name for column in table.primary_key.columns)
    return f"{sql} ON CONFLICT{target} DO NOTHING RETURNING {keys}"


@functools.cache
def _defaults(table: Table) -> dict[str, Any]:
    """The values SQLAlchemy fills in when a row leaves them out (the schema has none)."""
    return {column.name: column.default.arg for column in table.columns  # type: ignore[attr-defined]  # scalar defaults have .arg
            if column.default is not None and column.default.is_scalar}


@functools.cache
def _kinds(table: Table) -> tuple[frozenset[str], frozenset[str]]:
    """The table's UTC time columns and its JSON columns: the ones whose values need turning."""
    times = frozenset(c.name for c in table.columns if isinstance(c.type, UTCDateTime))
    documents = frozenset(c.name for c in table.columns if isinstance(c.type, JSON))
    return times, documents


def _dumped(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """The row as psycopg takes it, with the defaults SQLAlchemy would have filled in."""
    times, documents = _kinds(table)
    dumped = _defaults(table) | values
    for name, value in dumped.items():
        if value is None:
            continue
        if name in times:  # stored naive UTC, as UTCDateTime stores it
            dumped[name] = value.astimezone(UTC).replace(tzinfo=None)
        elif name in documents:
            dumped[name] = Json(value)
    return dumped


def _loaded(value: Any) -> Any:
    return value.replace(tzinfo=UTC) if isinstance(value, datetime) else value
