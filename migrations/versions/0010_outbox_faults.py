"""outbox rows count the attempts that failed for a reason of ours, to park them, and say
when the last attempt got no answer

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 03:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('faults', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('unanswered', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('unanswered')
        batch_op.drop_column('faults')
