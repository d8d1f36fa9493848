"""action items get done and dated: done_at/done_by, due_on, and when an overdue one was nudged

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 12:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from bot.storage.types import UTCDateTime

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('done_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('due_nudged_at', UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('action_items', schema=None) as batch_op:
        for column in ('due_nudged_at', 'due_on', 'done_by', 'done_at'):
            batch_op.drop_column(column)
