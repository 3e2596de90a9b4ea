"""one deliveries table for reminders and the weekly knowledge push; drop APScheduler's job store

The rows of reminder_deliveries and knowledge_push_deliveries move into deliveries with their
states, counts, times and request ids, keyed as the new code keys them (the reminder key, or
"knowledge:<week>", with the recipient's LINE group id), so nothing is pushed twice after the
upgrade. apscheduler_jobs is left over from when the clock kept its jobs in the database.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The delivery key of a week's knowledge push: "knowledge:2024-W10" (scheduler.knowledge_push).
KNOWLEDGE_PREFIX = 'knowledge:'


def upgrade() -> None:
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.String(length=16), nullable=False),
    sa.Column('delivery_key', sa.String(length=80), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('reminder_kind', sa.String(length=16), nullable=True),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('line_request_id', sa.String(length=64), nullable=True),
    sa.Column('recipients_count', sa.Integer(), nullable=True),
    sa.Column('member_count_source', sa.String(length=16), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_deliveries_activity_id_activities'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], name=op.f('fk_deliveries_article_id_articles'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['group_id'], ['chat_groups.id'], name=op.f('fk_deliveries_group_id_chat_groups'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('delivery_key', 'recipient', name='uq_deliveries_key_recipient')
    )
    op.create_index('ix_deliveries_activity_id', 'deliveries', ['activity_id'], unique=False)
    op.create_index('ix_deliveries_article_id', 'deliveries', ['article_id'], unique=False)

    # Reminders were already keyed by (reminder key, LINE group id); the group's row is looked up.
    op.execute(
        "INSERT INTO deliveries (purpose, delivery_key, recipient, group_id, reminder_kind, activity_id,"
        " planned_at, state, claimed_at, sent_at, attempts, line_request_id, recipients_count, error)"
        " SELECT 'reminder', r.reminder_key, r.recipient, g.id, r.kind, r.activity_id,"
        " r.planned_at, r.state, r.claimed_at, r.sent_at, r.attempts, r.line_request_id, r.recipients_count, r.error"
        " FROM reminder_deliveries r LEFT JOIN chat_groups g ON g.line_group_id = r.recipient"
        " ORDER BY r.id"
    )
    # The knowledge push was keyed by (week, group row); the recipient is the group's LINE id.
    op.execute(
        "INSERT INTO deliveries (purpose, delivery_key, recipient, group_id, article_id,"
        " state, claimed_at, sent_at, attempts, line_request_id, recipients_count, member_count_source, error)"
        f" SELECT 'knowledge', '{KNOWLEDGE_PREFIX}' || k.week, g.line_group_id, k.group_id, k.article_id,"
        " k.state, k.claimed_at, k.sent_at, k.attempts, k.line_request_id, k.recipients_count,"
        " k.member_count_source, k.error"
        " FROM knowledge_push_deliveries k JOIN chat_groups g ON g.id = k.group_id"
        " ORDER BY k.id"
    )

    op.drop_index('ix_reminder_deliveries_activity_id', table_name='reminder_deliveries')
    op.drop_table('reminder_deliveries')
    op.drop_index('ix_knowledge_push_deliveries_article_id', table_name='knowledge_push_deliveries')
    op.drop_table('knowledge_push_deliveries')
    # The clock keeps its jobs in memory now; an office that ran the earlier clock still has it.
    op.execute('DROP TABLE IF EXISTS apscheduler_jobs')


def downgrade() -> None:
    op.create_table('reminder_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reminder_key', sa.String(length=80), nullable=False),
    sa.Column('recipient', sa.String(length=64), nullable=False),
    sa.Column('activity_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('line_request_id', sa.String(length=64), nullable=True),
    sa.Column('recipients_count', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_reminder_deliveries_activity_id_activities'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder_deliveries')),
    sa.UniqueConstraint('reminder_key', 'recipient', name='uq_reminder_deliveries_key_recipient')
    )
    op.create_index('ix_reminder_deliveries_activity_id', 'reminder_deliveries', ['activity_id'], unique=False)
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
    op.create_index('ix_knowledge_push_deliveries_article_id', 'knowledge_push_deliveries', ['article_id'], unique=False)

    # A reminder row needs the planned time; every reminder row has it.
    op.execute(
        "INSERT INTO reminder_deliveries (reminder_key, recipient, activity_id, kind, planned_at, state,"
        " claimed_at, sent_at, attempts, line_request_id, recipients_count, error)"
        " SELECT d.delivery_key, d.recipient, d.activity_id, d.reminder_kind, d.planned_at, d.state,"
        " d.claimed_at, d.sent_at, d.attempts, d.line_request_id, d.recipients_count, d.error"
        " FROM deliveries d WHERE d.purpose = 'reminder' ORDER BY d.id"
    )
    # A knowledge row needs its group's row: the group is found by its LINE id.
    op.execute(
        "INSERT INTO knowledge_push_deliveries (week, group_id, article_id, state, claimed_at, sent_at,"
        " attempts, line_request_id, recipients_count, member_count_source, error)"
        f" SELECT substr(d.delivery_key, {len(KNOWLEDGE_PREFIX) + 1}), g.id, d.article_id, d.state, d.claimed_at,"
        " d.sent_at, d.attempts, d.line_request_id, d.recipients_count, d.member_count_source, d.error"
        " FROM deliveries d JOIN chat_groups g ON g.line_group_id = d.recipient"
        " WHERE d.purpose = 'knowledge' ORDER BY d.id"
    )

    op.drop_index('ix_deliveries_article_id', table_name='deliveries')
    op.drop_index('ix_deliveries_activity_id', table_name='deliveries')
    op.drop_table('deliveries')
