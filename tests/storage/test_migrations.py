import subprocess
import sys

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import bot.storage.tables  # noqa: F401
from bot.storage.migrate import alembic_config, applied_revision, newest_revision, sync_url, upgrade


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


def test_the_newest_migration_file_is_alembics_head(database_url):
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    assert newest_revision() == head


def test_a_database_behind_is_brought_to_the_newest_migration(tmp_path):
    url = f"sqlite:///{tmp_path / 'behind.db'}"
    upgrade(url, "0008")
    assert applied_revision(url) == "0008"
    upgrade(url)
    assert applied_revision(url) == newest_revision()


def test_a_restart_on_an_up_to_date_database_does_not_load_alembic(database_url):
    upgrade(database_url)
    probe = ("import sys; from bot.storage.migrate import upgrade; "
             f"upgrade({database_url!r}); print('alembic' in sys.modules)")
    answer = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert answer.stdout.strip() == "False"
