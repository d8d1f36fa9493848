"""A fresh database for each start of the bot, and the reminder rows read back from it."""

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy import text as sql

from bot.storage.migrate import sync_url


@dataclass
class Database:
    url: str | None
    workdir: Path

    @property
    def name(self) -> str:
        return "postgresql" if self.url else "sqlite"

    def fresh(self, label: str) -> str:
        """An empty database for one start of the bot."""
        if self.url is None:
            return f"sqlite:///{self.workdir / (label + '.db')}"
        engine = create_engine(sync_url(self.url))
        try:
            with engine.begin() as connection:
                connection.execute(sql("DROP SCHEMA public CASCADE"))
                connection.execute(sql("CREATE SCHEMA public"))
        finally:
            engine.dispose()
        return self.url


@dataclass
class ReminderRecord:
    kind: str
    due_at: datetime
    fired_at: datetime | None
    cancelled: bool


def read_reminders(url: str) -> list[ReminderRecord]:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(sql(
                "SELECT kind, due_at, fired_at, cancelled_at FROM reminders")).all()
    finally:
        engine.dispose()
    return [ReminderRecord(kind, _naive(due), _naive(fired) if fired else None, cancelled is not None)
            for kind, due, fired, cancelled in rows]


def _naive(value: datetime | str) -> datetime:
    # SQLite hands back text, PostgreSQL a datetime; both are naive UTC.
    return datetime.fromisoformat(value) if isinstance(value, str) else value.replace(tzinfo=None)
