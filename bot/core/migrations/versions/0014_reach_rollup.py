"""the reach report's counts of closed months, kept; triggers on the log empty them when it changes

Revision ID: 0014_reach_rollup
Revises: 0013_lean_log
Create Date: 2026-12-05

A year's report counted every month of the log again, 70–130 ms a month on SQLite and about
55 ms on PostgreSQL over a million events (docs/reach.md, Speed). `reach_month_rollups` keeps
one row per closed Bangkok month with what those passes gave (`bot.reach.rollup`); the report
counts only the open months again.

The rows are a cache of audit figures, so they must never disagree with the log. Triggers on
`interaction_events`, not calls in the code that writes it, see every write: the product's, a
migration's, a hand-typed UPDATE, a foreign key setting `user_id` to NULL. An insert or delete
in a month, or an update of a column the report counts (kind, occurred_at, channel, user_id,
article_id, recipients, value; not `detail` or `group_id`, which it reads live), empties that
month's `figures`; the next report counts it again.

Which months are closed is decided by the database's clock, as are the triggers on PostgreSQL:
there, only a write of a row more than 7½ days old (no product write is: LINE timestamps are
trusted for 7 days) calls the trigger's function, which creates the month's row if it is missing
or empties it. A report counting a month locks the same row first, so either it waits for the
write to commit and counts it, or the write waits for the report to commit and then empties what
it stored. On SQLite, where one writer at a time makes this order by itself, the triggers empty
the row on every write to the month (a comparison with a few rows, unmeasurable per message).
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

# A row older than this, by the database's clock, may belong to a month a report has kept (months
# are kept 8 days after their end, `bot.reach.rollup.CLOSED_AFTER`); no product write is this old.
OLD = "now() - interval '7 days 12 hours'"

POSTGRESQL_FUNCTIONS = (
    # Creates the months' rows, or empties them: a report counting one of these months holds its
    # row from before it counts until it commits, so this waits for it (and the report that
    # claimed the row first waits for this write's commit). Locks in month order.
    f"""CREATE FUNCTION reach_rollups_forget(moments timestamptz[]) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO reach_month_rollups (month, starts_at, ends_at)
        SELECT DISTINCT to_char(m, 'YYYY-MM'), m AT TIME ZONE 'Asia/Bangkok', (m + interval '1 month') AT TIME ZONE 'Asia/Bangkok'
        FROM (SELECT date_trunc('month', moment AT TIME ZONE 'Asia/Bangkok') AS m FROM unnest(moments) AS moment
              WHERE moment < {OLD}) AS written
        ORDER BY 1
        ON CONFLICT (month) DO UPDATE SET {EMPTIED} WHERE reach_month_rollups.figures IS NOT NULL;
    END $$""",
    """CREATE FUNCTION reach_rollups_on_write() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            PERFORM reach_rollups_forget(ARRAY[NEW.occurred_at]);
        ELSIF TG_OP = 'DELETE' THEN
            PERFORM reach_rollups_forget(ARRAY[OLD.occurred_at]);
        ELSE
            PERFORM reach_rollups_forget(ARRAY[OLD.occurred_at, NEW.occurred_at]);
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
    # Row triggers whose WHEN is decided without calling the function: the product's own writes
    # (this week's events) cost a comparison each.
    f"""CREATE TRIGGER reach_rollups_on_insert AFTER INSERT ON interaction_events
    FOR EACH ROW WHEN (NEW.occurred_at < {OLD}) EXECUTE FUNCTION reach_rollups_on_write()""",
    f"""CREATE TRIGGER reach_rollups_on_delete AFTER DELETE ON interaction_events
    FOR EACH ROW WHEN (OLD.occurred_at < {OLD}) EXECUTE FUNCTION reach_rollups_on_write()""",
    f"""CREATE TRIGGER reach_rollups_on_update AFTER UPDATE OF {", ".join(COUNTED_COLUMNS)} ON interaction_events
    FOR EACH ROW WHEN (({_changed("OLD", "NEW", "IS DISTINCT FROM")})
                       AND (OLD.occurred_at < {OLD} OR NEW.occurred_at < {OLD}))
    EXECUTE FUNCTION reach_rollups_on_write()""",
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
        for function in ('reach_rollups_on_write()', 'reach_rollups_on_truncate()', 'reach_rollups_forget(timestamptz[])'):
            op.execute(f'DROP FUNCTION IF EXISTS {function}')
    op.drop_table('reach_month_rollups')
