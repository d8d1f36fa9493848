"""what the incident policy refused, and the timeline read by action (roles for decisions)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'policy_denials',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('delivery', sa.String(length=200), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('incident_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('args', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['incident_id'], ['incidents.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('delivery'),
    )
    op.create_index('ix_policy_denials_at', 'policy_denials', ['at'])
    op.create_index('ix_policy_denials_incident_id', 'policy_denials', ['incident_id'])
    op.create_index('ix_timeline_events_action', 'timeline_events', ['incident_id', 'action'])


def downgrade() -> None:
    op.drop_index('ix_timeline_events_action', table_name='timeline_events')
    op.drop_index('ix_policy_denials_incident_id', table_name='policy_denials')
    op.drop_index('ix_policy_denials_at', table_name='policy_denials')
    op.drop_table('policy_denials')
