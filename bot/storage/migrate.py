"""Alembic, run from code: `incident-bot db upgrade`, `serve` on start, and the tests; and the
check the read-only commands make instead, which never creates or migrates anything."""

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot.shipped import migrations_dir
from bot.storage.engine import DatabaseUnavailable, check_url, shown, unreachable

if TYPE_CHECKING:
    from alembic.config import Config

# Seconds to wait for PostgreSQL to answer; libpq alone would wait as long as TCP does.
CONNECT_TIMEOUT = 10
UPGRADE = "run `incident-bot db upgrade`"


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
    restart, is left as it is without loading Alembic (a tenth of start-up's CPU); one a newer
    release migrated is left as it is too, and refused."""
    if revision == "head":
        applied = applied_revision(url)
        if applied == newest_revision():
            return
        if applied is not None and applied not in known_revisions():
            raise too_new(url, applied)
    from alembic import command

    try:
        command.upgrade(alembic_config(url), revision)
    except DBAPIError as error:
        raise unreachable(url, error) from None


def require_current(url: str) -> None:
    """For a command that only reads: the database is there, at this release's schema. What
    is missing or out of step is named with what to run; nothing is created or migrated."""
    check_url(url)
    address = make_url(url)
    if address.get_backend_name() == "sqlite" and address.database not in (None, "", ":memory:"):
        path = Path(address.database).resolve()
        if not path.exists():
            raise DatabaseUnavailable(f"no database at {path} (DATABASE_URL {shown(url)}): "
                                      f"{UPGRADE} to create it, or set DATABASE_URL to the "
                                      "bot's database")
    applied, newest = applied_revision(url), newest_revision()
    if applied == newest:
        return
    if applied is None:
        raise DatabaseUnavailable(f"the database at DATABASE_URL {shown(url)} holds no "
                                  f"incident-bot tables: {UPGRADE} to create them")
    if applied not in known_revisions():
        raise too_new(url, applied)
    raise SchemaBehind(f"the database at DATABASE_URL {shown(url)} has schema {applied}, "
                       f"older than this release's {newest}: {UPGRADE}")


class SchemaBehind(DatabaseUnavailable):
    """The database is at an older release's schema: `db upgrade` brings it up to date."""


def too_new(url: str, applied: str) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"the database at DATABASE_URL {shown(url)} has schema {applied}, from a newer release "
        f"of incident-bot (this one knows up to {newest_revision()}): use that release; "
        "nothing was changed")


def newest_revision() -> str:
    """Migrations are numbered in order, the number their revision: the newest file's."""
    return max(known_revisions())


def known_revisions() -> set[str]:
    return {path.name[:4] for path in (migrations_dir() / "versions").glob("[0-9]*.py")}


def applied_revision(url: str) -> str | None:
    """The schema's revision, None when no migration was ever applied. A database that cannot
    be reached or read raises DatabaseUnavailable."""
    engine = sync_engine(url)
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as error:
        raise unreachable(url, error) from None
    finally:
        engine.dispose()


def sync_engine(url: str) -> Engine:
    check_url(url)
    url = sync_url(url)
    if make_url(url).get_backend_name() == "postgresql":
        return create_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT})
    return create_engine(url)
