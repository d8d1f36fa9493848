"""alert groups: which incident an Alertmanager group opened, and the deliveries seen

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import bot.storage.types

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('alert_groups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('group_key', sa.Text(), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=True),
    sa.Column('first_seen_at', bot.storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_sha256')
    )
    with op.batch_alter_table('alert_groups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_groups_incident_id'), ['incident_id'], unique=False)

    op.create_table('alert_deliveries',
    sa.Column('body_sha256', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('received_at', bot.storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['group_id'], ['alert_groups.id'], ),
    sa.PrimaryKeyConstraint('body_sha256')
    )
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_deliveries_group_id'), ['group_id'], unique=False)

    op.create_table('alerts_seen',
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('starts_at', bot.storage.types.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('incident_id', 'fingerprint')
    )


def downgrade() -> None:
    op.drop_table('alerts_seen')
    with op.batch_alter_table('alert_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_deliveries_group_id'))
    op.drop_table('alert_deliveries')
    with op.batch_alter_table('alert_groups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_groups_incident_id'))
    op.drop_table('alert_groups')
