"""hardening: server-side admin sessions, a shared sign-in throttle, failed webhook events

admin_sessions lets signing out end every session on the server; sign_in_throttle counts failed
sign-ins per address, per browser and overall in every process alike; received_webhook_events
gains `failure`, the error that made an event fail for good (it is acknowledged, not redelivered).

Revision ID: 0007_hardening
Revises: 0006
Create Date: 2026-12-01
"""
import sqlalchemy as sa
from alembic import op

revision = '0007_hardening'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('admin_sessions',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('password_proof', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_admin_sessions'))
    )
    op.create_table('sign_in_throttle',
    sa.Column('bucket', sa.String(length=80), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('last_failure_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('bucket', name=op.f('pk_sign_in_throttle'))
    )
    op.create_index('ix_sign_in_throttle_last_failure_at', 'sign_in_throttle', ['last_failure_at'], unique=False)
    with op.batch_alter_table('received_webhook_events') as batch_op:
        batch_op.add_column(sa.Column('failure', sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('received_webhook_events') as batch_op:
        batch_op.drop_column('failure')
    op.drop_index('ix_sign_in_throttle_last_failure_at', table_name='sign_in_throttle')
    op.drop_table('sign_in_throttle')
    op.drop_table('admin_sessions')
