"""evidence_files and evidence_requests: the plan activities' evidence sent in LINE or uploaded

Evidence is keyed by the activity's identity in the plan (fiscal year, plan number, step,
activity number), not by the activity's row, so it survives re-importing the plan.

Revision ID: 0011_evidence
Revises: 0010_settings
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_evidence'
down_revision = '0010_settings'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'evidence_files',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('plan_number', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=8), nullable=False),
        sa.Column('activity_number', sa.Integer(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('original_name', sa.String(length=255), nullable=False),
        sa.Column('origin', sa.String(length=8), nullable=False),
        sa.Column('line_message_id', sa.String(length=64), nullable=True, unique=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='SET NULL'), nullable=True),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
    )
    op.create_index('ix_evidence_files_activity', 'evidence_files', ['fiscal_year', 'plan_number', 'step', 'activity_number'])
    op.create_table(
        'evidence_requests',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('chat_id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'), nullable=True),
        sa.Column('fiscal_year', sa.Integer(), nullable=False),
        sa.Column('plan_number', sa.Integer(), nullable=False),
        sa.Column('step', sa.String(length=8), nullable=False),
        sa.Column('activity_number', sa.Integer(), nullable=True),
        sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index('ix_evidence_requests_chat', 'evidence_requests', ['chat_id', 'expires_at'])


def downgrade() -> None:
    op.drop_index('ix_evidence_requests_chat', table_name='evidence_requests')
    op.drop_table('evidence_requests')
    op.drop_index('ix_evidence_files_activity', table_name='evidence_files')
    op.drop_table('evidence_files')
