"""Alembic, run from code: `incident-bot db upgrade`, `serve` on start, and the tests."""

from alembic import command
from alembic.config import Config

from bot.shipped import migrations_dir


def sync_url(url: str) -> str:
    """Alembic runs synchronously; psycopg 3 serves both, SQLite uses the stdlib driver
    (older configurations name aiosqlite)."""
    return url.replace("sqlite+aiosqlite:", "sqlite:")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", sync_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)
