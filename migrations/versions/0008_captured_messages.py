"""captured messages: messages of an incident channel put on its timeline, once each

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 09:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('captured_messages',
    sa.Column('channel_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ts', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('incident_id', sa.Integer(), nullable=False),
    sa.Column('by_pin', sa.Boolean(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    sa.Column('permalink', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], ),
    sa.PrimaryKeyConstraint('channel_id', 'ts')
    )
    with op.batch_alter_table('captured_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_captured_messages_incident_id'), ['incident_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('captured_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_captured_messages_incident_id'))
    op.drop_table('captured_messages')
