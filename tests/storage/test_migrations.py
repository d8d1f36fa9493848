from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import bot.storage.tables  # noqa: F401
from bot.storage.migrate import sync_url, upgrade


def test_migrations_build_exactly_the_schema_the_models_describe(database_url):
    engine = create_engine(sync_url(database_url))
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    engine.dispose()
    assert differences == []


def test_upgrading_an_up_to_date_database_changes_nothing(database_url):
    upgrade(database_url)
    upgrade(database_url)
