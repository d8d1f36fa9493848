"""Fresh, migrated databases for each test: SQLite by default, Postgres when asked.

Set TEST_DATABASE_URL=postgresql+psycopg://… to run the whole suite on Postgres.
Migrations run once per session; each test then starts from empty tables.
"""

import os
import shutil
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlmodel import SQLModel

from bot.storage.migrate import sync_url, upgrade

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


def prepare_template(tmp_root: Path) -> str:
    if POSTGRES_URL:
        engine = create_engine(sync_url(POSTGRES_URL))
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        engine.dispose()
        upgrade(POSTGRES_URL)
        return POSTGRES_URL
    template = tmp_root / "template.db"
    upgrade(f"sqlite:///{template}")
    return str(template)


def fresh_database(template: str, tmp_path: Path) -> str:
    if POSTGRES_URL:
        import bot.storage.tables  # noqa: F401

        names = ", ".join(t.name for t in SQLModel.metadata.sorted_tables)
        engine = create_engine(sync_url(POSTGRES_URL))
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return POSTGRES_URL
    path = tmp_path / "incident-bot.db"
    shutil.copy(template, path)
    return f"sqlite:///{path}"
