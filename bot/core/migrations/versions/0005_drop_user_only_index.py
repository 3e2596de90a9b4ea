"""drop the interaction events' user_id index: the (user_id, kind, occurred_at) index covers it

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Every insert into the reach log maintained both; any query on user_id alone uses the
    # leading column of the wider index.
    op.drop_index('ix_interaction_events_user_id', table_name='interaction_events')


def downgrade() -> None:
    op.create_index('ix_interaction_events_user_id', 'interaction_events', ['user_id'], unique=False)
