"""How long the reach report takes over a large interaction log, on SQLite and PostgreSQL.

    python benchmarks/reach_report.py                   # 1,000,000 events, both databases
    python benchmarks/reach_report.py --events 200000 --databases sqlite --json
    python benchmarks/reach_report.py --formats json    # the JSON report only

Fills a fresh database (SQLite: a temporary file; PostgreSQL: its own schema in
``--postgres-url``, dropped afterwards) with events spread over fiscal year 2567, then times
each report format end to end: the aggregate queries plus writing the file.

Closed months' counts are kept (`bot.reach.rollup`), so the JSON report is timed four ways:
``live`` (every month counted from the log, nothing kept: the report before kept months),
``cold`` (the first report, which counts and keeps every closed month; the kept rows are
emptied before each run), ``warm`` (every month kept) and ``warm, September open`` (the clock
on 20 September 2024: September is counted live, the other months are kept). The formats are
timed warm. Progress goes to stderr; the table (or ``--json``) to stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_POSTGRES_URL = os.environ.get("KMBOT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
FISCAL_YEAR = 2567
PEOPLE = 400
ARTICLES = 40
GROUPS = 6
BATCH = 50_000

# Shares of the log by kind: roughly what a year of a busy office bot looks like.
KIND_WEIGHTS = {
    "question": 28, "answer": 20, "fallback": 8, "article_view": 18, "link_click": 6, "feedback": 6,
    "survey_answer": 1, "command": 8, "follow": 1, "knowledge_push": 1, "reminder_push": 1, "member_joined": 1, "unfollow": 1,
}
FORMATS = ("json", "csv", "xlsx", "png", "table")
# JSON report runs: (name, keep months, empty the kept rows first, clock)
MODES = (
    ("live", False, False, None),
    ("cold", True, True, None),
    ("warm", True, False, None),
    ("warm, September open", True, False, datetime(2024, 9, 20, 12, 0)),
)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass
class Timing:
    database: str
    format: str
    seconds: list[float]
    size_bytes: int

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


def generated_events(count: int, seed: int = 2567) -> Iterator[tuple[Any, ...]]:
    """(kind, occurred_at, channel, user_id, group_id, article_id, recipients, value, detail) rows."""
    from bot.core.calendar import BANGKOK

    generator = random.Random(seed)
    start = datetime(2023, 10, 1, tzinfo=BANGKOK)
    seconds_in_year = int((datetime(2024, 10, 1, tzinfo=BANGKOK) - start).total_seconds())
    kinds = list(KIND_WEIGHTS)
    weights = list(KIND_WEIGHTS.values())
    for _ in range(count):
        kind = generator.choices(kinds, weights)[0]
        moment = start + timedelta(seconds=generator.randrange(seconds_in_year))
        user_id = generator.randint(1, PEOPLE)
        group_id = None
        article_id = None
        recipients = None
        value = None
        detail = None
        channel = generator.choice(("1:1", "1:1", "group"))
        if kind in ("knowledge_push", "reminder_push"):
            user_id, channel, group_id = None, "group", generator.randint(1, GROUPS)
            recipients = generator.randint(5, 60)
            detail = json.dumps({"member_count_source": generator.choice(("line", "line", "last_known"))})
        if kind in ("answer", "article_view", "link_click", "feedback", "knowledge_push"):
            article_id = generator.randint(1, ARTICLES)
        if kind in ("article_view", "link_click"):
            # Two in three opened from a signed LINE link (a known reader), the rest anonymous,
            # robots and the secretary's previews, which the report shows apart.
            channel = generator.choice(("line", "line", "anon", "crawler", "admin", "line"))
            if channel != "line":
                user_id = None
        if kind in ("question", "answer", "fallback", "command") and generator.random() < 0.05:
            channel = generator.choice(("web", "admin"))  # the simulators
        if kind == "feedback":
            value = generator.choice((1, 1, 1, 0))
        if kind == "survey_answer":
            value = generator.choice((3, 4, 4, 5, 5))
        yield kind, moment, channel, user_id, group_id, article_id, recipients, value, detail


def prepare(database: Any, events: int, *, vacuum: bool = True) -> None:
    """Schema, people, groups, articles, gaps, and `events` interaction events, inserted in bulk."""
    from bot.core.calendar import BANGKOK
    from bot.core.migrate import upgrade_database

    upgrade_database(database)
    moment = datetime(2023, 9, 1, tzinfo=BANGKOK)
    raw = database.engine.raw_connection()
    try:
        cursor = raw.cursor()
        sqlite = database.is_sqlite
        placeholder = "?" if sqlite else "%s"
        if sqlite:
            # A benchmark fill, not production data: no need to wait for the disk on every batch.
            cursor.execute("PRAGMA synchronous=OFF")

        def many(sql: str, rows: list[tuple[Any, ...]]) -> None:
            cursor.executemany(sql.replace("?", placeholder), rows)

        stamp = _sqlite_time(moment) if sqlite else moment
        many("INSERT INTO users (id, line_user_id, role, following, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)",
             [(index, f"U{index:032x}", "staff", True, stamp, stamp) for index in range(1, PEOPLE + 1)])
        many("INSERT INTO chat_groups (id, line_group_id, kind, role, active, member_count, joined_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
             [(index, f"C{index:032x}", "group", "staff", True, 30, stamp) for index in range(1, GROUPS + 1)])
        many("INSERT INTO articles (id, title, body, category, tags, aliases, sample_questions, source, content_hash, status, created_at, updated_at)"
             " VALUES (?, ?, ?, '', '[]', '[]', '[]', ?, ?, 'published', ?, ?)",
             [(index, f"บทความที่ {index}", "เนื้อหา", f"bench:{index}", "0" * 64, stamp, stamp) for index in range(1, ARTICLES + 1)])
        many("INSERT INTO knowledge_gaps (normalized_question, question, count, first_asked_at, last_asked_at) VALUES (?, ?, ?, ?, ?)",
             [(f"คำถาม {index}", f"คำถามที่ยังตอบไม่ได้ {index}", index % 7 + 1, stamp,
               _sqlite_time(moment + timedelta(days=60)) if sqlite else moment + timedelta(days=60)) for index in range(1, 51)])
        raw.commit()
        inserted = 0
        started = time.perf_counter()
        rows = generated_events(events)
        while inserted < events:
            batch = [row for _, row in zip(range(min(BATCH, events - inserted)), rows)]
            if sqlite:
                cursor.executemany(
                    "INSERT INTO interaction_events (kind, occurred_at, channel, user_id, group_id, article_id, recipients, value, detail)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(row[0], _sqlite_time(row[1]), *row[2:]) for row in batch],
                )
            else:
                with cursor.copy(
                    "COPY interaction_events (kind, occurred_at, channel, user_id, group_id, article_id, recipients, value, detail) FROM STDIN"
                ) as copy:
                    for row in batch:
                        copy.write_row(row)
            raw.commit()
            inserted += len(batch)
            progress(f"  {inserted:>9,} / {events:,} events ({time.perf_counter() - started:.1f} s)")
        if sqlite:
            cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    if not database.is_sqlite:
        # What autovacuum does soon after a bulk load: statistics, and the visibility map that
        # lets PostgreSQL answer from the index alone. `--no-vacuum` times the state before it.
        from sqlalchemy import text

        statement = "VACUUM ANALYZE interaction_events" if vacuum else "ANALYZE interaction_events"
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(statement))


def _sqlite_time(moment: datetime) -> str:
    # What SQLAlchemy writes for a Bangkok-aware datetime on SQLite: the wall-clock time.
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def time_formats(database: Any, label: str, repeats: int, staff_count: int, formats: tuple[str, ...]) -> list[Timing]:
    from bot.reach.export import render

    timings = []
    for mode, keep, empty, clock in MODES:
        seconds = [_time_report(database, staff_count, "json", keep=keep, empty=empty, clock=clock)[0] for _ in range(repeats)]
        timings.append(Timing(label, f"json ({mode})", seconds, 0))
        progress(f"  {label} json ({mode}): {statistics.median(seconds):.3f} s")
    progress(f"  {label}: the JSON report with kept months {'is' if _same_as_live(database, staff_count) else 'is NOT'}"
             " byte for byte the JSON report counted live")
    for format_name in formats:
        runs = [_time_report(database, staff_count, format_name) for _ in range(repeats)]
        seconds = [run[0] for run in runs]
        timings.append(Timing(label, format_name, seconds, runs[-1][1]))
        progress(f"  {label} {format_name}: {statistics.median(seconds):.3f} s")
    return timings


def _same_as_live(database: Any, staff_count: int) -> bool:
    """Whether the report from kept months is the live one, for the evidence channels and with
    the simulators declared real (the clock stopped, so both carry the same time)."""
    import time_machine

    from bot.core.calendar import BANGKOK
    from bot.reach.export import render
    from bot.reach.queries import collect_report

    with time_machine.travel(datetime(2025, 1, 1, 9, 0, tzinfo=BANGKOK), tick=False):
        for declared in ((), ("web", "admin")):
            reports = []
            for keep in (True, False):
                with database.session() as session:
                    reports.append(render(collect_report(session, FISCAL_YEAR, staff_count=staff_count,
                                                         declared_channels=declared, keep=keep), "json"))
            if reports[0] != reports[1]:
                return False
    return True


def _time_report(database: Any, staff_count: int, format_name: str, *, keep: bool = True, empty: bool = False,
                 clock: datetime | None = None) -> tuple[float, int]:
    """Seconds for one report, end to end, and its size in bytes."""
    import time_machine
    from sqlalchemy import delete

    from bot.core.calendar import BANGKOK
    from bot.core.tables import ReachMonthRollup
    from bot.reach.export import render
    from bot.reach.queries import collect_report

    if empty:
        with database.session() as session:
            session.execute(delete(ReachMonthRollup))
    travel = time_machine.travel(clock.replace(tzinfo=BANGKOK), tick=True) if clock else None
    if travel:
        travel.start()
    try:
        started = time.perf_counter()
        with database.session() as session:
            report = collect_report(session, FISCAL_YEAR, staff_count=staff_count, keep=keep)
        size = len(render(report, format_name))
        return time.perf_counter() - started, size
    finally:
        if travel:
            travel.stop()


def run_sqlite(events: int, repeats: int, staff_count: int, formats: tuple[str, ...]) -> list[Timing]:
    from bot.core.database import Database

    with tempfile.TemporaryDirectory(prefix="kmbot-bench-") as directory:
        database = Database(f"sqlite:///{Path(directory) / 'bench.db'}")
        try:
            progress(f"SQLite: filling {events:,} events")
            prepare(database, events)
            return time_formats(database, "SQLite", repeats, staff_count, formats)
        finally:
            database.dispose()


def run_postgres(url: str, events: int, repeats: int, staff_count: int, formats: tuple[str, ...],
                 vacuum: bool = True) -> list[Timing]:
    from sqlalchemy import create_engine, text

    from bot.core.database import Database

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    database = Database(f"{url}?options=-csearch_path%3D{schema}")
    try:
        progress(f"PostgreSQL: filling {events:,} events (schema {schema})")
        prepare(database, events, vacuum=vacuum)
        return time_formats(database, "PostgreSQL", repeats, staff_count, formats)
    finally:
        database.dispose()
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="interaction events to generate (default 1,000,000)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument("--repeats", type=int, default=3, help="runs per format; the median is reported")
    parser.add_argument("--staff-count", type=int, default=500)
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated formats timed warm (default: all)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--no-vacuum", action="store_true", help="PostgreSQL: time right after the load, before VACUUM")
    arguments = parser.parse_args(argv)
    os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

    timings: list[Timing] = []
    wanted = {name.strip() for name in arguments.databases.split(",") if name.strip()}
    formats = tuple(name.strip() for name in arguments.formats.split(",") if name.strip() in FORMATS)
    if "sqlite" in wanted:
        timings += run_sqlite(arguments.events, arguments.repeats, arguments.staff_count, formats)
    if "postgresql" in wanted:
        timings += run_postgres(arguments.postgres_url, arguments.events, arguments.repeats, arguments.staff_count, formats,
                                vacuum=not arguments.no_vacuum)

    if arguments.json:
        print(json.dumps({
            "events": arguments.events,
            "repeats": arguments.repeats,
            "results": [{"database": timing.database, "format": timing.format, "median_seconds": round(timing.median, 3),
                         "runs": [round(value, 3) for value in timing.seconds], "bytes": timing.size_bytes} for timing in timings],
        }, indent=2))
    else:
        print(f"reach report over {arguments.events:,} events (median of {arguments.repeats} runs)")
        print(f"{'database':<12} {'format':<28} {'seconds':>8} {'bytes':>10}")
        for timing in timings:
            print(f"{timing.database:<12} {timing.format:<28} {timing.median:>8.3f} {timing.size_bytes:>10,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
