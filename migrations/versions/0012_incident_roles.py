"""who holds which role, kept on the incident (every policy decision asks)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 08:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        batch.add_column(sa.Column('roles', sa.JSON(), nullable=False, server_default='{}'))
    # The holders as the timeline says: the last assignment of each role wins. Written out
    # here rather than imported, so this step stays what it was when the code moves on.
    events = sa.table('timeline_events', sa.column('incident_id', sa.Integer()),
                      sa.column('seq', sa.Integer()), sa.column('action', sa.String()),
                      sa.column('data', sa.JSON()))
    incidents = sa.table('incidents', sa.column('id', sa.Integer()), sa.column('roles', sa.JSON()))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(events.c.incident_id, events.c.action, events.c.data)
        .where(events.c.action.in_(('commander_assigned', 'role_assigned')))
        .order_by(events.c.incident_id, events.c.seq))
    held: dict[int, dict[str, str]] = {}
    for incident_id, action, data in rows:
        roles = held.setdefault(incident_id, {})
        if action == 'commander_assigned' and data.get('commander'):
            roles['commander'] = str(data['commander'])
        elif action == 'role_assigned' and data.get('role') and data.get('user'):
            roles[str(data['role'])] = str(data['user'])
    for incident_id, roles in held.items():
        connection.execute(incidents.update().where(incidents.c.id == incident_id)
                           .values(roles=roles))


def downgrade() -> None:
    with op.batch_alter_table('incidents') as batch:
        batch.drop_column('roles')
