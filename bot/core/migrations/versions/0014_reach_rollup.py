"""the reach report's counts of closed months, kept; triggers on the log empty them when it changes

Revision ID: 0014_reach_rollup
Revises: 0013_lean_log
Create Date: 2026-12-05

Each pass over a month of the log's covering index costs 60–80 ms on SQLite whatever the query
(docs/reach.md, Speed), and a year's report made two per month. `reach_month_rollups` keeps one
row per closed Bangkok month with what those passes gave (`bot.reach.rollup`); the report
counts only the open months again.

The rows are a cache of audit figures, so they must never disagree with the log. Triggers on
`interaction_events`, not calls in the code that writes it, see every write: the product's, a
migration's, a hand-typed UPDATE, a foreign key setting `user_id` to NULL. An insert or delete
in a month, or an update of a column the report counts (kind, occurred_at, channel, user_id,
article_id, recipients, value; not `detail` or `group_id`, which it reads live), empties that
month's `figures`; the next report counts it again.

On PostgreSQL, a write into a month that closed more than 7½ days ago (by the database's
clock; no product write reaches that far back, LINE timestamps being trusted for 7 days) also
creates the month's row if it is missing. A report counting that month locks the same row
first, so either it waits for the write to commit and counts it, or the write waits for the
report to commit and then empties what it stored. On SQLite one writer at a time does the same.
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_reach_rollup'
down_revision = '0013_lean_log'
branch_labels = None
depends_on = None

COUNTED_COLUMNS = ('kind', 'occurred_at', 'channel', 'user_id', 'article_id', 'recipients', 'value')
EMPTIED = "figures = NULL, shape = NULL, built_at = NULL"


def _changed(old: str, new: str, distinct: str) -> str:
    return " OR ".join(f"{old}.{column} {distinct} {new}.{column}" for column in COUNTED_COLUMNS)


SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER reach_rollups_on_insert AFTER INSERT ON interaction_events
    BEGIN
        UPDATE reach_month_rollups SET {EMPTIED}
        WHERE figures IS NOT NULL AND starts_at <= NEW.occurred_at AND NEW.occurred_at < ends_at;
    END""",
    f"""CREATE TRIGGER reach_rollups_on_delete AFTER DELETE ON interaction_events
    BEGIN
        UPDATE reach_month_rollups SET {EMPTIED}
        WHERE figures IS NOT NULL AND starts_at <= OLD.occurred_at AND OLD.occurred_at < ends_at;
    END""",
    f"""CREATE TRIGGER reach_rollups_on_update AFTER UPDATE OF {", ".join(COUNTED_COLUMNS)} ON interaction_events
    WHEN {_changed("OLD", "NEW", "IS NOT")}
    BEGIN
        UPDATE reach_month_rollups SET {EMPTIED}
        WHERE figures IS NOT NULL AND ((starts_at <= OLD.occurred_at AND OLD.occurred_at < ends_at)
                                       OR (starts_at <= NEW.occurred_at AND NEW.occurred_at < ends_at));
    END""",
)

POSTGRESQL_FUNCTIONS = (
    # `months`: Bangkok wall-clock starts of the months written to.
    f"""CREATE FUNCTION reach_rollups_invalidate(months timestamp[]) RETURNS void LANGUAGE sql AS $$
        INSERT INTO reach_month_rollups (month, starts_at, ends_at)
        SELECT DISTINCT to_char(m, 'YYYY-MM'), m AT TIME ZONE 'Asia/Bangkok', (m + interval '1 month') AT TIME ZONE 'Asia/Bangkok'
        FROM unnest(months) AS m
        WHERE (m + interval '1 month') AT TIME ZONE 'Asia/Bangkok' <= now() - interval '7 days 12 hours'
        ORDER BY 1
        ON CONFLICT (month) DO UPDATE SET {EMPTIED};
        UPDATE reach_month_rollups SET {EMPTIED}
        WHERE figures IS NOT NULL AND month IN (SELECT to_char(m, 'YYYY-MM') FROM unnest(months) AS m);
    $$""",
    """CREATE FUNCTION reach_rollups_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM reach_rollups_invalidate(ARRAY(
            SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'Asia/Bangkok') FROM new_rows));
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION reach_rollups_on_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            PERFORM reach_rollups_invalidate(ARRAY[date_trunc('month', OLD.occurred_at AT TIME ZONE 'Asia/Bangkok')]);
        ELSE
            PERFORM reach_rollups_invalidate(ARRAY[date_trunc('month', OLD.occurred_at AT TIME ZONE 'Asia/Bangkok'),
                                                   date_trunc('month', NEW.occurred_at AT TIME ZONE 'Asia/Bangkok')]);
        END IF;
        RETURN NULL;
    END $$""",
    f"""CREATE FUNCTION reach_rollups_on_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE reach_month_rollups SET {EMPTIED} WHERE figures IS NOT NULL;
        RETURN NULL;
    END $$""",
)

POSTGRESQL_TRIGGERS = (
    # Per statement, so a bulk load (COPY) calls it once per batch, not per row.
    """CREATE TRIGGER reach_rollups_on_insert AFTER INSERT ON interaction_events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reach_rollups_on_insert()""",
    """CREATE TRIGGER reach_rollups_on_delete AFTER DELETE ON interaction_events
    FOR EACH ROW EXECUTE FUNCTION reach_rollups_on_change()""",
    f"""CREATE TRIGGER reach_rollups_on_update AFTER UPDATE OF {", ".join(COUNTED_COLUMNS)} ON interaction_events
    FOR EACH ROW WHEN ({_changed("OLD", "NEW", "IS DISTINCT FROM")}) EXECUTE FUNCTION reach_rollups_on_change()""",
    """CREATE TRIGGER reach_rollups_on_truncate AFTER TRUNCATE ON interaction_events
    FOR EACH STATEMENT EXECUTE FUNCTION reach_rollups_on_truncate()""",
)


def upgrade() -> None:
    op.create_table(
        'reach_month_rollups',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('shape', sa.String(length=16), nullable=True),
        sa.Column('figures', sa.JSON(), nullable=True),
        sa.Column('built_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('month', name=op.f('pk_reach_month_rollups')),
    )
    if op.get_bind().dialect.name == 'postgresql':
        for statement in (*POSTGRESQL_FUNCTIONS, *POSTGRESQL_TRIGGERS):
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    for name in ('reach_rollups_on_insert', 'reach_rollups_on_delete', 'reach_rollups_on_update', 'reach_rollups_on_truncate'):
        if op.get_bind().dialect.name == 'postgresql':
            op.execute(f'DROP TRIGGER IF EXISTS {name} ON interaction_events')
        elif name != 'reach_rollups_on_truncate':
            op.execute(f'DROP TRIGGER IF EXISTS {name}')
    if op.get_bind().dialect.name == 'postgresql':
        for function in ('reach_rollups_on_insert()', 'reach_rollups_on_change()', 'reach_rollups_on_truncate()',
                         'reach_rollups_invalidate(timestamp[])'):
            op.execute(f'DROP FUNCTION IF EXISTS {function}')
    op.drop_table('reach_month_rollups')
