"""settings: what the secretary edits in /admin; users.display_name: LINE names for the secretary;
knowledge_gaps.dismissed_at and merged_into_id: the secretary's housekeeping of gaps

Revision ID: 0010_settings
Revises: 0009
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = '0010_settings'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'settings',
        sa.Column('key', sa.String(length=64), primary_key=True),
        sa.Column('value', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('display_name', sa.String(length=200), nullable=True))
        batch.add_column(sa.Column('display_name_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('knowledge_gaps') as batch:
        batch.add_column(sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_knowledge_gaps_merged_into_id_knowledge_gaps', 'knowledge_gaps',
                                 ['merged_into_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('knowledge_gaps') as batch:
        batch.drop_constraint('fk_knowledge_gaps_merged_into_id_knowledge_gaps', type_='foreignkey')
        batch.drop_column('merged_into_id')
        batch.drop_column('dismissed_at')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('display_name_at')
        batch.drop_column('display_name')
    op.drop_table('settings')
