"""outbox pacing: when each attempt started, and rows held for Slack to come back

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 06:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.types

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_at', bot.storage.types.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('held', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.create_index('ix_outbox_lane_sent', ['lane', 'sent_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_lane_sent')
        batch_op.drop_column('held')
        batch_op.drop_column('sent_at')
