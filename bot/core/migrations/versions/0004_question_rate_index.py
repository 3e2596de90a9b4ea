"""an index for the per-user question limit

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        'ix_interaction_events_user_kind_occurred_at',
        'interaction_events',
        ['user_id', 'kind', 'occurred_at'],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index('ix_interaction_events_user_kind_occurred_at', table_name='interaction_events')
