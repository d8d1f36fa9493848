"""the services and type an incident is declared for, what its type decided, and the ticket
an action item became

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 16:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        batch.add_column(sa.Column('services', sa.JSON(), nullable=False, server_default='[]'))
        batch.add_column(sa.Column('kind', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('announce', sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column('statuspage', sa.Boolean(), nullable=False,
                                   server_default=sa.true()))
        batch.add_column(sa.Column('postmortem_from', sa.Integer(), nullable=True))
    with op.batch_alter_table('action_items') as batch:
        batch.add_column(sa.Column('ticket_key', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('ticket_url', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('action_items') as batch:
        batch.drop_column('ticket_url')
        batch.drop_column('ticket_key')
    with op.batch_alter_table('incidents') as batch:
        batch.drop_column('postmortem_from')
        batch.drop_column('statuspage')
        batch.drop_column('announce')
        batch.drop_column('kind')
        batch.drop_column('services')
