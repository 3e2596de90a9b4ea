"""questions for the office's experts: the questions, their answers, and experts who agreed to be named

Revision ID: 0012_experts
Revises: 0011_evidence
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_experts'
down_revision = '0011_evidence'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('expert_questions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=500), nullable=False),
    sa.Column('category', sa.String(length=120), nullable=False),
    sa.Column('asker_user_id', sa.Integer(), nullable=True),
    sa.Column('show_name', sa.Boolean(), nullable=False),
    sa.Column('asker_name', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('card_message_id', sa.String(length=32), nullable=True),
    sa.Column('card_buttons_message_id', sa.String(length=32), nullable=True),
    sa.Column('card_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('passes', sa.Integer(), nullable=False),
    sa.Column('resurfaced_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('asker_told_unanswered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_expert_questions_article_id_articles'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['asker_user_id'], ['users.id'], name=op.f('fk_expert_questions_asker_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_questions'))
    )
    op.create_index(op.f('ix_expert_questions_card_message_id'), 'expert_questions', ['card_message_id'], unique=False)
    op.create_index(op.f('ix_expert_questions_card_buttons_message_id'), 'expert_questions', ['card_buttons_message_id'], unique=False)
    op.create_index('ix_expert_questions_status_asked_at', 'expert_questions', ['status', 'asked_at'], unique=False)
    op.create_table('expert_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('first', sa.Boolean(), nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['question_id'], ['expert_questions.id'], name=op.f('fk_expert_answers_question_id_expert_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_expert_answers_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_answers'))
    )
    op.create_index('ix_expert_answers_question_id', 'expert_answers', ['question_id'], unique=False)
    op.create_table('expert_credits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('agreed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_expert_credits_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_credits')),
    sa.UniqueConstraint('user_id', name=op.f('uq_expert_credits_user_id'))
    )


def downgrade() -> None:
    op.drop_table('expert_credits')
    op.drop_index('ix_expert_answers_question_id', table_name='expert_answers')
    op.drop_table('expert_answers')
    op.drop_index('ix_expert_questions_status_asked_at', table_name='expert_questions')
    op.drop_index(op.f('ix_expert_questions_card_buttons_message_id'), table_name='expert_questions')
    op.drop_index(op.f('ix_expert_questions_card_message_id'), table_name='expert_questions')
    op.drop_table('expert_questions')
