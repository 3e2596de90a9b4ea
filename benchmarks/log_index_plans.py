"""Query plans of the reach log's queries on PostgreSQL with a million rows, per index set.

    python benchmarks/log_index_plans.py                       # 1,000,000 rows, both index sets
    python benchmarks/log_index_plans.py --rows 200000 --json

Makes a schema of its own in `--postgres-url` (dropped at the end), migrates it to the head
revision, fills `interaction_events` with `--rows` rows over a year (2,000 people, one of them busy)
and 5,000 more in the last minute (a busy minute), and prints for each query the plan's top
node, the index it uses and its execution time, first with the indexes before migration
0013_lean_log, then with those after it; and the time of 10,000 inserts under each set.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPOSITORY))

DEFAULT_URL = os.environ.get("KMBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

# A busy person (user 7) and an ordinary one (user 1500); the queries as the code sends them.
QUERIES = {
    "rate count (every message)": """
        SELECT count(*) FILTER (WHERE kind = 'rate_limited' AND occurred_at > now() - interval '1 minute'),
               count(*) FILTER (WHERE kind <> 'rate_limited' AND occurred_at > now() - interval '1 minute')
        FROM interaction_events WHERE user_id = 7 AND occurred_at > now() - interval '1 minute'""",
    "reach report, one month by kind and channel": """
        SELECT kind, channel, count(*), sum(recipients), sum(value) FROM interaction_events
        WHERE kind IN ('question', 'answer', 'article_view', 'knowledge_push', 'feedback')
          AND occurred_at >= now() - interval '60 days' AND occurred_at < now() - interval '30 days'
        GROUP BY kind, channel""",
    "feedback once a day": """
        SELECT id FROM interaction_events WHERE kind = 'feedback' AND user_id = 1500 AND article_id = 3
          AND occurred_at >= date_trunc('day', now()) AND occurred_at < date_trunc('day', now()) + interval '1 day' LIMIT 1""",
    "latest survey answer": """
        SELECT id FROM interaction_events WHERE kind = 'survey_answer' AND user_id = 1500
          AND occurred_at >= now() - interval '200 days' ORDER BY occurred_at DESC, id DESC LIMIT 1""",
    "forget a person": "SELECT count(*) FROM interaction_events WHERE user_id = 1500",
}

BEFORE = [
    ("ix_interaction_events_kind_occurred_at", "(kind, occurred_at)"),
    ("ix_interaction_events_occurred_at", "(occurred_at)"),
    ("ix_interaction_events_user_kind_occurred_at", "(user_id, kind, occurred_at)"),
]
AFTER = [("ix_interaction_events_user_occurred_at", "(user_id, occurred_at)")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", default=DEFAULT_URL)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", action="store_true")
    arguments = parser.parse_args()

    from sqlalchemy import create_engine, text

    from bot.core.database import Database
    from bot.core.migrate import upgrade_database

    schema = f"bench_log_{uuid.uuid4().hex[:8]}"
    admin = create_engine(arguments.postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{arguments.postgres_url}?options=-csearch_path%3D{schema}"
    report: dict[str, Any] = {"rows": arguments.rows, "sets": {}}
    try:
        database = Database(url)
        upgrade_database(database)
        with database.engine.begin() as connection:
            connection.execute(text("INSERT INTO users (id, line_user_id, role, following, first_seen_at, last_seen_at) "
                                    "SELECT g, 'U' || lpad(g::text, 32, '0'), 'staff', true, now(), now() FROM generate_series(1, 2000) g"))
            connection.execute(text(f"""
                INSERT INTO interaction_events (kind, occurred_at, channel, user_id, article_id, value, recipients)
                SELECT (ARRAY['question','answer','question','answer','fallback','article_view','feedback','survey_answer',
                              'knowledge_push','link_click'])[1 + (g % 10)],
                       now() - (g::float / {arguments.rows} * interval '365 days'),
                       '1:1', CASE WHEN g % 5 = 0 THEN 7 ELSE 1 + (g::bigint * 7919) % 2000 END, g % 40, g % 2, NULL
                FROM generate_series(1, {arguments.rows}) g"""))
            # A busy minute, as under load: every person's latest rows are recent ones.
            connection.execute(text(
                "INSERT INTO interaction_events (kind, occurred_at, channel, user_id) "
                "SELECT 'question', now() - (g::float / 5000 * interval '50 seconds'), '1:1', 1 + g % 2000 "
                "FROM generate_series(1, 5000) g"))
            connection.execute(text("ANALYZE interaction_events"))
        for label, create, drop in (("before 0013", BEFORE, AFTER), ("after 0013", AFTER, BEFORE),
                                ("before 0013, again", BEFORE, AFTER), ("after 0013, again", AFTER, BEFORE)):
            with database.engine.begin() as connection:
                for name, columns in create:
                    connection.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON interaction_events {columns}"))
                for name, _columns in drop:
                    connection.execute(text(f"DROP INDEX IF EXISTS {name}"))
                connection.execute(text("ANALYZE interaction_events"))
            report["sets"][label] = measure(database.engine)
        database.dispose()
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    if arguments.json:
        print(json.dumps(report, indent=2))
        return
    print(f"interaction_events with {arguments.rows:,} rows, PostgreSQL")
    for label, figures in report["sets"].items():
        print(f"\n{label}: indexes {', '.join(figures['indexes'])}; 10,000 inserts {figures['insert_ms']:.0f} ms")
        for query, plan in figures["queries"].items():
            print(f"  {query:<46} {plan['ms']:>8.2f} ms  {plan['plan']}")


def measure(engine: Any) -> dict[str, Any]:
    from sqlalchemy import text

    figures: dict[str, Any] = {"queries": {}}
    with engine.connect() as connection:
        figures["indexes"] = [row[0] for row in connection.execute(text(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'interaction_events' AND schemaname = current_schema() "
            "ORDER BY indexname"))]
        for name, query in QUERIES.items():
            plan = connection.execute(text("EXPLAIN (ANALYZE, FORMAT JSON) " + query)).scalar()[0]
            figures["queries"][name] = {"ms": plan["Execution Time"], "plan": describe(plan["Plan"])}
    with engine.begin() as connection:
        started = time.perf_counter()
        connection.execute(text(
            "INSERT INTO interaction_events (kind, occurred_at, channel, user_id) "
            "SELECT 'question', now(), '1:1', 1 + g % 2000 FROM generate_series(1, 10000) g"))
        figures["insert_ms"] = (time.perf_counter() - started) * 1000
        connection.execute(text("DELETE FROM interaction_events WHERE id > (SELECT max(id) - 10000 FROM interaction_events)"))
    return figures


def describe(node: dict[str, Any]) -> str:
    """The plan's scans: node type and index, outermost first."""
    parts = []
    stack = [node]
    while stack:
        current = stack.pop(0)
        if "Scan" in current["Node Type"]:
            parts.append(current["Node Type"] + (f" on {current['Index Name']}" if current.get("Index Name") else ""))
        stack.extend(current.get("Plans", []))
    return "; ".join(parts) or node["Node Type"]


if __name__ == "__main__":
    main()
