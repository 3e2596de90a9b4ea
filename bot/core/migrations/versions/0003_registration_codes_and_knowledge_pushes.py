"""registration codes, the weekly knowledge push's deliveries, the reach report's index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registration_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_by_user_id', sa.Integer(), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['used_by_user_id'], ['users.id'], name=op.f('fk_registration_codes_used_by_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registration_codes')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_registration_codes_code_hash'))
    )
    op.create_table('knowledge_push_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=10), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('line_request_id', sa.String(length=64), nullable=True),
    sa.Column('recipients_count', sa.Integer(), nullable=True),
    sa.Column('member_count_source', sa.String(length=16), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_knowledge_push_deliveries_article_id_articles'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['chat_groups.id'], name=op.f('fk_knowledge_push_deliveries_group_id_chat_groups'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_push_deliveries')),
    sa.UniqueConstraint('week', 'group_id', name='uq_knowledge_push_deliveries_week_group')
    )
    with op.batch_alter_table('knowledge_push_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_knowledge_push_deliveries_article_id', ['article_id'], unique=False)
    with op.batch_alter_table('interaction_events', schema=None) as batch_op:
        batch_op.create_index(
            'ix_interaction_events_reach_report',
            ['kind', 'occurred_at', 'user_id', 'article_id', 'channel', 'recipients', 'value'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('interaction_events', schema=None) as batch_op:
        batch_op.drop_index('ix_interaction_events_reach_report')
    with op.batch_alter_table('knowledge_push_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_knowledge_push_deliveries_article_id')

    op.drop_table('knowledge_push_deliveries')
    op.drop_table('registration_codes')
