"""deliveries.retry_key: the X-Line-Retry-Key of the push that carried each row

Reminders due for one committee group at one tick go out as one push (a digest) carrying one
retry key; every row the digest claimed records it, so a retry after a crash re-sends the same
digest with the same key. Rows written before this revision have none: each was pushed alone,
with the key its own reminder key gives.

Revision ID: 0009
Revises: 0008_reach
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008_reach'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.add_column(sa.Column('retry_key', sa.String(length=36), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('deliveries') as batch:
        batch.drop_column('retry_key')
