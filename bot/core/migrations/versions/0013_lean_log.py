"""a lean reach log: one index by person and time, none that no query needs

Revision ID: 0013_lean_log
Revises: 0012_experts
Create Date: 2026-11-30

Every message inserts into `interaction_events` and maintains each of its indexes. Measured on
PostgreSQL with a million rows (docs/performance.md, storage):
- (kind, occurred_at) is a prefix of the reach report's covering index, which serves every
  query it served;
- (occurred_at) alone served no query, and led the planner to scan every person's rows for the
  per-person rate count;
- (user_id, kind, occurred_at) is replaced by (user_id, occurred_at): the rate count asks for one
  person's rows of the last minute whatever their kind, which that index reads as one short
  range however long the log grows (the wider one read all of a person's rows).
"""
from alembic import op

revision = '0013_lean_log'
down_revision = '0012_experts'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_interaction_events_user_occurred_at', 'interaction_events', ['user_id', 'occurred_at'], unique=False)
    op.drop_index('ix_interaction_events_user_kind_occurred_at', table_name='interaction_events')
    op.drop_index('ix_interaction_events_kind_occurred_at', table_name='interaction_events')
    op.drop_index('ix_interaction_events_occurred_at', table_name='interaction_events')


def downgrade() -> None:
    op.create_index('ix_interaction_events_occurred_at', 'interaction_events', ['occurred_at'], unique=False)
    op.create_index('ix_interaction_events_kind_occurred_at', 'interaction_events', ['kind', 'occurred_at'], unique=False)
    op.create_index('ix_interaction_events_user_kind_occurred_at', 'interaction_events', ['user_id', 'kind', 'occurred_at'], unique=False)
    op.drop_index('ix_interaction_events_user_occurred_at', table_name='interaction_events')
