"""What the reach log's triggers (migration 0014_reach_rollup) cost each write, on SQLite and PostgreSQL.

    python benchmarks/reach_rollup_writes.py                  # 2,000 events a round, 5 rounds
    python benchmarks/reach_rollup_writes.py --events 5000 --databases sqlite

Two fresh databases, one migrated to 0013_lean_log (no triggers) and one to 0014_reach_rollup,
take turns round by round: each round inserts `--events` events one unit of work each, as the
webhook logs a message (a question and its answer in one INSERT), into the current month (what
the product writes) and, for comparison, into a month whose counts are kept (what only a hand-made
correction does). The kept months are those of the previous fiscal year, counted first. Prints
the median microseconds per unit of work. PostgreSQL commits with synchronous_commit off, so the
disk's flush does not hide the triggers' cost; SQLite runs as the product sets it up (WAL).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_POSTGRES_URL = os.environ.get("KMBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def write_units(database: Any, count: int, moment: Callable[[int], datetime]) -> float:
    """Seconds for `count` units of work, each logging a question and its answer."""
    from bot.core.tables import InteractionEvent

    started = time.perf_counter()
    for index in range(count):
        at = moment(index)
        with database.session() as session:
            session.add_all([
                InteractionEvent(kind=kind, occurred_at=at, channel="1:1", user_id=None, group_id=None, webhook_event_id=None,
                                 article_id=None, activity_id=None, recipients=None, value=None)
                for kind in ("question", "answer")
            ])
    return time.perf_counter() - started


def keep_last_year(database: Any) -> None:
    """Count and keep the months of the fiscal year before this one (a question in each)."""
    from bot.core.calendar import BANGKOK, fiscal_year_of, now
    from bot.core.tables import InteractionEvent
    from bot.reach.queries import collect_report

    last_year = fiscal_year_of(now().date()) - 1
    with database.session() as session:
        for month in range(12):
            year = last_year - 544 + (month + 9) // 12
            session.add(InteractionEvent(kind="question", occurred_at=datetime(year, (month + 9) % 12 + 1, 15, tzinfo=BANGKOK),
                                         channel="1:1"))
    with database.session() as session:
        collect_report(session, last_year)


def run(label: str, make: Callable[[str], Any], events: int, rounds: int) -> list[tuple[str, str, float]]:
    from bot.core.calendar import now
    from bot.core.migrate import upgrade_database

    databases = {}
    for revision in ("0013_lean_log", "0014_reach_rollup"):
        database = make(revision)
        upgrade_database(database, revision)
        if revision == "0014_reach_rollup":
            keep_last_year(database)
        databases[revision] = database
    today = now()
    # A day in the middle of the previous fiscal year's March: kept above.
    kept = today.replace(year=today.year if today.month >= 10 else today.year - 1, month=3, day=10)
    seconds: dict[tuple[str, str], list[float]] = {}
    try:
        for round_number in range(rounds):
            for revision, database in databases.items():
                for where, moment in (("this month", lambda index: today + timedelta(microseconds=index)),
                                      ("a kept month", lambda index: kept + timedelta(microseconds=index))):
                    if revision == "0013_lean_log" and where == "a kept month":
                        continue
                    elapsed = write_units(database, events, moment)
                    seconds.setdefault((revision, where), []).append(elapsed / events * 1e6)
            progress(f"  {label} round {round_number + 1}/{rounds}")
    finally:
        for database in databases.values():
            database.dispose()
    return [(label, f"{revision}, {where}", statistics.median(values)) for (revision, where), values in seconds.items()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000, help="units of work per round (default 2,000)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    arguments = parser.parse_args(argv)
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
    from sqlalchemy import create_engine, text

    from bot.core.database import Database

    results = []
    wanted = {name.strip() for name in arguments.databases.split(",")}
    if "sqlite" in wanted:
        with tempfile.TemporaryDirectory(prefix="kmbot-bench-") as directory:
            results += run("SQLite", lambda revision: Database(f"sqlite:///{Path(directory) / (revision + '.db')}"),
                           arguments.events, arguments.rounds)
    if "postgresql" in wanted:
        admin = create_engine(arguments.postgres_url)
        schemas = []

        def make(revision: str) -> Any:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            schemas.append(schema)
            with admin.begin() as connection:
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
            # Commits without waiting for the disk: what is measured is the triggers' work, which
            # the wait for the write-ahead log's flush (2–7 ms here) would hide.
            return Database(f"{arguments.postgres_url}?options=-csearch_path%3D{schema}%20-csynchronous_commit%3Doff")

        try:
            results += run("PostgreSQL", make, arguments.events, arguments.rounds)
        finally:
            with admin.begin() as connection:
                for schema in schemas:
                    connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    print(f"a question and its answer logged in one unit of work, {arguments.events:,} units a round, "
          f"median of {arguments.rounds} rounds")
    print(f"{'database':<12} {'schema, written into':<36} {'µs per unit':>12}")
    for database, what, micros in results:
        print(f"{database:<12} {what:<36} {micros:>12,.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
