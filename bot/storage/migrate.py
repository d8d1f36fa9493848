"""Alembic, run from code: `incident-bot db upgrade`, `serve` on start, and the tests."""

from typing import TYPE_CHECKING

from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from bot.shipped import migrations_dir

if TYPE_CHECKING:
    from alembic.config import Config


def sync_url(url: str) -> str:
    """Alembic runs synchronously; psycopg 3 serves both, SQLite uses the stdlib driver
    (older configurations name aiosqlite)."""
    return url.replace("sqlite+aiosqlite:", "sqlite:")


def alembic_config(url: str) -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema to `revision`. A database already at the newest migration, as on every
    restart, is left as it is without loading Alembic (a tenth of start-up's CPU)."""
    if revision == "head" and applied_revision(url) == newest_revision():
        return
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def newest_revision() -> str:
    """Migrations are numbered in order, the number their revision: the newest file's."""
    return max(path.name for path in (migrations_dir() / "versions").glob("[0-9]*.py"))[:4]


def applied_revision(url: str) -> str | None:
    engine = create_engine(sync_url(url))
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError:  # no such table: nothing applied yet
        return None
    finally:
        engine.dispose()
