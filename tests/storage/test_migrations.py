import json
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


def test_roles_given_before_they_were_kept_on_the_incident_are_still_held(tmp_path):
    url = f"sqlite:///{tmp_path / 'roles.db'}"
    upgrade(url, "0011")
    engine = create_engine(sync_url(url))
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO incidents (id, slug, title, severity, status, declared_at, declared_by,"
            " root_cause, last_update_text, private, drill)"
            " VALUES (1, 'db', 'db', 2, 'new', '2026-12-01 10:00:00', 'U0ALICE', '', '', 0, 0)")
        assignments = [(1, "commander_assigned", '{"commander": "U0ALICE"}'),
                       (2, "role_assigned", '{"role": "comms", "user": "U0BOB"}'),
                       (3, "commander_assigned", '{"commander": "U0CAROL"}')]
        for seq, action, data in assignments:
            connection.exec_driver_sql(
                "INSERT INTO timeline_events (incident_id, seq, at, actor_id, action, details,"
                " data, prev_hash, hash) VALUES (1, ?, '2026-12-01 10:00:00', 'U0ALICE', ?, '',"
                " ?, '', ?)", (seq, action, data, str(seq)))
    upgrade(url)
    with engine.connect() as connection:
        roles = connection.exec_driver_sql("SELECT roles FROM incidents").scalar_one()
    engine.dispose()
    assert json.loads(roles) == {"commander": "U0CAROL", "comms": "U0BOB"}
