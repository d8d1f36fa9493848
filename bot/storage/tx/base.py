"""What every record's queries share: the session, the transaction's time, the dialect, and
on PostgreSQL the driver that takes every command's statements."""

import dataclasses
import functools
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from bot.domain.errors import DuplicateDelivery
from bot.domain.incident import Incident
from bot.domain.lifecycle import Status
from bot.domain.reminders import ReminderKind
from bot.domain.timeline import ChainLink, TimelineEvent

if TYPE_CHECKING:  # imported when first used: psycopg is a tenth of start-up, and SQLite needs none
    from bot.storage.driver import Driver
    from bot.storage.tx import Tx

T = TypeVar("T")

# What follows every event appended, in the same transaction (a rule of the use cases).
AfterAppend = Callable[["Tx", TimelineEvent], Awaitable[None]]


def insert_for(dialect: str, table: Any) -> Any:
    """An INSERT that knows ON CONFLICT, in this database's dialect."""
    return (sqlite_insert if dialect == "sqlite" else postgresql_insert)(table)


def to_domain(cls: type[T], row: Any) -> T:
    """The dataclass `cls` from a row holding its fields (and perhaps more)."""
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]  # T is any of the domain's dataclasses
    values = {f.name: getattr(row, f.name) for f in fields if hasattr(row, f.name)}
    return cls(**values)


class TxBase:
    """The transaction's state; each record's queries (the mixins beside this) build on it."""

    def __init__(self, session: Any, now: datetime, *, dialect: str,
                 names: dict[str, str], heads: dict[int, ChainLink],
                 after_append: AfterAppend | None = None) -> None:
        self.session = session
        self.now = now
        self.dialect = dialect
        self.after_append = after_append
        # Each incident's status when this transaction first read it: what it records about
        # the incident comes after that state, whatever it changes since.
        self._read_status: dict[int, Status] = {}
        # Known to be stored (shared by the store's transactions, updated after each commit):
        # people's names, and each incident's last timeline event.
        self._stored_names, self._stored_heads = names, heads
        self.names_written: dict[str, str] = {}
        self.heads_written: dict[int, ChainLink] = {}
        self._owed: list[dict[str, Any]] = []
        self.notices = 0
        self._driver: Driver | None = None
        # Incidents this transaction holds the lock of, by channel: until it ends, no one
        # else changes them, so commands stored together read each once.
        self._locked: dict[str, Incident] = {}
        # Reminders known to be pending (found, or scheduled here): not looked for again
        # until one of them is cancelled or fired.
        self._pending: set[tuple[ReminderKind, int]] = set()

    async def _fast(self) -> "Driver | None":
        """On PostgreSQL, psycopg under this transaction: every command's statements go
        through it. SQLite needs none (it runs inline, where SQLAlchemy costs little)."""
        if self.dialect == "sqlite":
            return None
        if self._driver is None:
            from bot.storage.driver import Driver

            connection = await self.session.connection()
            self._driver = Driver((await connection.get_raw_connection()).driver_connection)
        return self._driver

    async def _insert_once(self, table: Any, values: dict[str, Any]) -> None:
        """One statement, no savepoint: a row whose key is there already is a repeat."""
        driver = await self._fast()
        if driver is not None:
            inserted = await driver.insert_new(table, values)
        else:
            inserted = (await self.session.execute(_insert_new(self.dialect, table), values)
                        ).first() is not None
        if not inserted:
            raise DuplicateDelivery


@functools.cache
def _insert_new(dialect: str, table: Any) -> Any:
    """Inserts a row unless its key is taken; returns the key when it was inserted."""
    return insert_for(dialect, table).on_conflict_do_nothing().returning(*table.primary_key.columns)
