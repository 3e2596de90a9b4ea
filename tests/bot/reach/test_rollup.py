"""Kept month counts (`bot.reach.rollup`): a report that reads them is the report counted live.

The reach report is audit evidence, so a closed month's kept counts must never differ from the
log. A property test writes events across the months of FY 2567 (some into months already
closed and kept), forgets people, unsends comments, marks answers undelivered, deletes a person's
row, corrects rows by hand in SQL and moves or deletes events, and after each step compares the
report (and one month's) with kept counts to the report counted from the log alone, on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Iterator
from unittest import mock

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, text

from bot.core import channels
from bot.core.calendar import BANGKOK, fiscal_month_label, fiscal_year_of
from bot.core.database import Database
from bot.core.migrate import upgrade_database
from bot.core.people import forget_user
from bot.core.tables import ChatGroup, InteractionEvent, ReachMonthRollup, User
from bot.reach import rollup
from bot.reach.queries import collect_report

PEOPLE = 6
GROUPS = 2
ARTICLES = 4
KINDS = ("question", "answer", "fallback", "article_view", "link_click", "feedback", "survey_answer", "follow",
         "command", "reminder_push", "knowledge_push", "unfollow", "kept_text", "answer_undelivered", "member_joined")
# FY 2567 and the month on either side of it.
MONTHS = [(2023, 9), *[(2023, month) for month in (10, 11, 12)], *[(2024, month) for month in range(1, 11)]]
DECLARED = ((), ("web",), ("admin", "anon"))


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    upgrade_database(database)
    yield database
    database.dispose()


def bangkok(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=BANGKOK)


def reset(database: Database) -> None:
    with database.session() as session:
        session.execute(delete(InteractionEvent))
        session.execute(delete(ReachMonthRollup))
        session.execute(delete(User))
        session.execute(delete(ChatGroup))
        moment = bangkok(2023, 9, 1)
        session.add_all([User(id=index, line_user_id=f"U{index:032x}", first_seen_at=moment, last_seen_at=moment)
                         for index in range(1, PEOPLE + 1)])
        session.add_all([ChatGroup(id=index, line_group_id=f"C{index:032x}", joined_at=moment) for index in range(1, GROUPS + 1)])


# --- what happens to the log --------------------------------------------------------------


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    """A moment in one of the months, often on its first or last microsecond."""
    year, month = draw(st.sampled_from(MONTHS))
    start, end = rollup.month_bounds(year, month)
    where = draw(st.sampled_from(("first", "last", "inside", "inside")))
    if where == "first":
        return start
    if where == "last":
        return end - timedelta(microseconds=1)
    return start + timedelta(seconds=draw(st.integers(0, int((end - start).total_seconds()) - 1)))


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(KINDS))
    row: dict[str, Any] = {
        "kind": kind,
        "occurred_at": draw(moments()),
        "channel": draw(st.sampled_from(channels.ALL_CHANNELS)),
        "user_id": draw(st.one_of(st.none(), st.integers(1, PEOPLE))),
        "group_id": draw(st.one_of(st.none(), st.integers(1, GROUPS))),
        "article_id": draw(st.one_of(st.none(), st.integers(1, ARTICLES))),
        "webhook_event_id": draw(st.sampled_from(("ev1", "ev2", "ev3"))),
        "recipients": None, "value": None, "detail": None,
    }
    if kind in ("reminder_push", "knowledge_push"):
        row["recipients"] = draw(st.integers(0, 60))
        row["detail"] = {"member_count_source": draw(st.sampled_from(("line", "last_known")))}
    elif kind == "feedback":
        row["value"] = draw(st.integers(0, 1))
    elif kind == "survey_answer":
        row["value"] = draw(st.integers(1, 5))
        if draw(st.booleans()):
            row["detail"] = {"comment": draw(st.sampled_from(("ดีมากค่ะ", "อยากให้มีเรื่องลา")))}
    return row


@dataclass(frozen=True)
class Step:
    name: str
    data: Any = None


# When a report is made: during the year (some months closed, some open) or after it (all closed).
report_moments = st.one_of(moments(), st.sampled_from((bangkok(2024, 10, 5), bangkok(2024, 10, 9), bangkok(2025, 1, 1))))
# Which of the matching events a write picks (its position, modulo how many there are).
picks = st.integers(0, 50)

steps = st.one_of(
    st.builds(Step, st.just("add"), st.lists(events(), min_size=1, max_size=8)),
    st.builds(Step, st.just("report"), st.tuples(report_moments, st.sampled_from(DECLARED), st.sampled_from(MONTHS[1:-1]))),
    st.builds(Step, st.just("forget"), st.integers(1, PEOPLE)),
    st.builds(Step, st.just("unsend"), picks),
    st.builds(Step, st.just("undelivered"), st.sampled_from(("ev1", "ev2", "ev3"))),
    st.builds(Step, st.just("delete_person"), st.integers(1, PEOPLE)),
    st.builds(Step, st.just("correct_by_hand"), st.tuples(picks, st.sampled_from(channels.ALL_CHANNELS))),
    st.builds(Step, st.just("move"), st.tuples(picks, moments())),
    st.builds(Step, st.just("delete_event"), picks),
)


def pick_event(session, pick: int, *conditions) -> InteractionEvent | None:  # type: ignore[no-untyped-def]
    ids = list(session.scalars(select(InteractionEvent.id).where(*conditions).order_by(InteractionEvent.id)))
    return session.get(InteractionEvent, ids[pick % len(ids)]) if ids else None


def apply(database: Database, step: Step) -> None:
    """One write to the log, the way the product (or an administrator) makes it."""
    if step.name == "add":
        with database.session() as session:
            people = set(session.scalars(select(User.id)))  # a deleted person writes no more
            session.add_all([InteractionEvent(**{**row, "user_id": row["user_id"] if row["user_id"] in people else None})
                             for row in step.data])
    elif step.name == "forget":  # `kmbot users forget`
        with database.session() as session:
            user = session.get(User, step.data)
            if user is not None:
                forget_user(session, user, bangkok(2025, 1, 1))
    elif step.name == "unsend":  # what handlers.unsend writes: the trace goes, the comment is erased
        with database.session() as session:
            trace = pick_event(session, step.data, InteractionEvent.kind == "kept_text")
            if trace is not None:
                session.delete(trace)
            answer = pick_event(session, step.data, InteractionEvent.kind == "survey_answer", InteractionEvent.detail.is_not(None))
            if answer is not None:
                answer.detail = {key: value for key, value in (answer.detail or {}).items() if key != "comment"}
    elif step.name == "undelivered":  # LINE refused the reply: the webhook's own update
        from bot.web.webhook import _mark_answers_undelivered

        _mark_answers_undelivered(SimpleNamespace(webhook_event_id=step.data), database)  # type: ignore[arg-type]
    elif step.name == "delete_person":  # the foreign key sets the events' user_id to NULL
        with database.session() as session:
            session.execute(delete(User).where(User.id == step.data))
    elif step.name == "correct_by_hand":
        pick, channel = step.data
        with database.session() as session:
            event = pick_event(session, pick)
            if event is not None:
                session.execute(text("UPDATE interaction_events SET channel = :channel WHERE id = :id"),
                                {"channel": channel, "id": event.id})
    elif step.name == "move":
        pick, moment = step.data
        with database.session() as session:
            event = pick_event(session, pick)
            if event is not None:
                event.occurred_at = moment
    elif step.name == "delete_event":
        with database.session() as session:
            event = pick_event(session, step.data)
            if event is not None:
                session.delete(event)


def both_reports(database: Database, at: datetime, declared: tuple[str, ...], month: tuple[int, int] | None = None):  # type: ignore[no-untyped-def]
    """The report with kept counts (each in its own unit of work, as the CLI and the admin page
    make it) and the report counted from the log alone, made at `at`.

    Which months are kept is decided by the database's clock; here it reads `at` too, so that
    months are open or closed as they were then. (The triggers keep the database's own clock,
    which is later still: to them every write of these tests is into a month that may be kept.)"""
    label = None if month is None else f"{month[0] + 543}-{month[1]:02d}"
    with time_machine.travel(at, tick=False), mock.patch.object(rollup, "database_now", lambda session: at):
        with database.session() as session:
            kept = collect_report(session, 2567, label, staff_count=10, declared_channels=declared)
        with database.session() as session:
            live = collect_report(session, 2567, label, staff_count=10, declared_channels=declared, keep=False)
    return kept, live


@settings(max_examples=40, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(history=st.lists(steps, min_size=3, max_size=14))
def test_a_report_with_kept_months_is_the_report_counted_live(database: Database, history: list[Step]) -> None:
    reset(database)
    for step in history:
        if step.name == "report":
            at, declared, month = step.data
            for kept, live in (both_reports(database, at, declared), both_reports(database, at, declared, month)):
                assert kept == live
        else:
            apply(database, step)
    # At the end every month of the year is closed, kept, and still the log's.
    for _ in range(2):
        kept, live = both_reports(database, bangkok(2025, 3, 1), ())
        assert kept == live


# --- when months are kept, and when they are counted again --------------------------------


def add(database: Database, *rows: dict[str, Any]) -> None:
    with database.session() as session:
        session.add_all([InteractionEvent(**{"channel": "1:1", "user_id": 1, **row}) for row in rows])


def kept_months(database: Database) -> dict[str, bool]:
    """Month -> whether its counts are kept (False: waiting to be counted again)."""
    with database.session() as session:
        return {month: figures is not None for month, figures in
                session.execute(select(ReachMonthRollup.month, ReachMonthRollup.figures))}


def counted_months(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The months the next reports count from the log."""
    counted: list[tuple[int, int]] = []
    original = rollup.count_month

    def counting(session, year: int, month: int):  # type: ignore[no-untyped-def]
        counted.append((year, month))
        return original(session, year, month)

    monkeypatch.setattr(rollup, "count_month", counting)
    return counted


def test_a_closed_month_is_counted_once_and_open_months_every_time(database, monkeypatch):
    reset(database)
    add(database, {"kind": "question", "occurred_at": bangkok(2024, 2, 10)},
        {"kind": "question", "occurred_at": bangkok(2024, 3, 30)}, {"kind": "question", "occurred_at": bangkok(2024, 4, 2)})
    counted = counted_months(monkeypatch)

    # 5 April: March ended four days ago and LINE may still deliver its events; February is closed.
    for _ in range(2):
        both_reports(database, bangkok(2024, 4, 5), ())
    kept_report, _ = both_reports(database, bangkok(2024, 4, 5), ())

    closed = [(2023, 10), (2023, 11), (2023, 12), (2024, 1), (2024, 2)]
    # A closed month: counted by the first report that needed it, then by the live reports only.
    assert {month: counted.count(month) for month in closed} == {month: 1 + 3 for month in closed}
    assert counted.count((2024, 3)) == 3 + 3 and counted.count((2024, 4)) == 3 + 3
    # (On PostgreSQL the trigger, judging by the database's own clock, may have left rows waiting
    # for March and April: those are not kept counts.)
    assert {month for month, kept in kept_months(database).items() if kept} == {f"{year:04d}-{month:02d}" for year, month in closed}
    assert [month.figures.questions for month in kept_report.months[4:7]] == [1, 1, 1]


def test_a_late_event_in_a_kept_month_is_counted(database):
    reset(database)
    add(database, {"kind": "question", "occurred_at": bangkok(2024, 2, 10)})
    before, _ = both_reports(database, bangkok(2024, 6, 1), ())
    assert kept_months(database)["2024-02"] is True

    # Entered by hand in SQL, months later: the trigger sees it, whoever writes.
    with database.session() as session:
        session.execute(text("INSERT INTO interaction_events (kind, occurred_at, channel, user_id) VALUES ('question', :at, '1:1', 2)"),
                        {"at": bangkok(2024, 2, 29, 23, 59)})
    assert kept_months(database)["2024-02"] is False
    assert kept_months(database)["2024-01"] is True  # the other months stay kept

    after, live = both_reports(database, bangkok(2024, 6, 1), ())
    assert after == live
    assert (before.months[4].figures.questions, after.months[4].figures.questions) == (1, 2)
    assert (before.totals.distinct_users, after.totals.distinct_users) == (1, 2)


FEBRUARY = [
    {"kind": "question", "occurred_at": bangkok(2024, 2, 10), "webhook_event_id": "ev1"},
    {"kind": "answer", "occurred_at": bangkok(2024, 2, 10), "webhook_event_id": "ev1", "article_id": 1},
    {"kind": "question", "occurred_at": bangkok(2024, 2, 12), "user_id": 2, "webhook_event_id": "ev2"},
    {"kind": "kept_text", "occurred_at": bangkok(2024, 2, 12), "user_id": 2, "detail": {"message_id": "m1", "what": "gap", "id": 1}},
]


def _insert_late(database: Database) -> None:
    add(database, {"kind": "question", "occurred_at": bangkok(2024, 2, 29, 23, 59, 59), "user_id": 3})


def _undelivered(database: Database) -> None:
    from bot.web.webhook import _mark_answers_undelivered

    _mark_answers_undelivered(SimpleNamespace(webhook_event_id="ev1"), database)  # type: ignore[arg-type]


def _unsend(database: Database) -> None:
    with database.session() as session:
        session.execute(delete(InteractionEvent).where(InteractionEvent.kind == "kept_text"))


def _delete_person(database: Database) -> None:
    with database.session() as session:
        session.execute(delete(User).where(User.id == 2))


def _correct_by_hand(database: Database) -> None:
    with database.session() as session:
        session.execute(text("UPDATE interaction_events SET channel = 'admin' WHERE webhook_event_id = 'ev2'"))


def _move_to_march(database: Database) -> None:
    with database.session() as session:
        event = session.scalars(select(InteractionEvent).where(InteractionEvent.webhook_event_id == "ev2")).one()
        event.occurred_at = bangkok(2024, 3, 1)


def _delete_question(database: Database) -> None:
    with database.session() as session:
        session.delete(session.scalars(select(InteractionEvent).where(InteractionEvent.webhook_event_id == "ev2")).one())


@pytest.mark.parametrize(("write", "february"), [
    (_insert_late, (3, 1, 3)),  # a late event in a closed month
    (_undelivered, (2, 0, 2)),  # LINE refused the answer's reply
    (_unsend, (2, 1, 2)),  # an unsend erases the trace (no count changes, the month is recounted)
    (_delete_person, (2, 1, 1)),  # the person's events keep no person
    (_correct_by_hand, (1, 1, 1)),  # a simulator chat logged as LINE, corrected in SQL
    (_move_to_march, (1, 1, 1)),
    (_delete_question, (1, 1, 1)),
], ids=lambda value: getattr(value, "__name__", "")[1:] or None)
def test_every_kind_of_write_to_a_kept_month_is_counted(database, write, february):
    reset(database)
    add(database, *FEBRUARY)
    before, _ = both_reports(database, bangkok(2024, 6, 1), ())
    assert kept_months(database)["2024-02"] is True
    figures = before.months[4].figures
    assert (figures.questions, figures.answered, figures.distinct_users) == (2, 1, 2)

    write(database)

    after, live = both_reports(database, bangkok(2024, 6, 1), ())
    assert after == live
    figures = after.months[4].figures
    assert (figures.questions, figures.answered, figures.distinct_users) == february


def test_a_change_to_what_the_report_does_not_count_keeps_the_month(database):
    reset(database)
    add(database, {"kind": "survey_answer", "occurred_at": bangkok(2024, 2, 10), "value": 5, "detail": {"comment": "ดี"}})
    both_reports(database, bangkok(2024, 6, 1), ())

    with database.session() as session:  # `users forget` drops the comment, the count stays
        forget_user(session, session.get(User, 1), bangkok(2024, 6, 1))
    assert kept_months(database)["2024-02"] is True
    kept, live = both_reports(database, bangkok(2024, 6, 1), ())
    assert kept == live and kept.comments == []


def test_kept_counts_of_another_shape_are_counted_again(database):
    reset(database)
    add(database, {"kind": "question", "occurred_at": bangkok(2024, 2, 10)})
    both_reports(database, bangkok(2024, 6, 1), ())
    with database.session() as session:  # as an older version might have kept them
        session.execute(ReachMonthRollup.__table__.update().values(shape="0" * 16, figures={"kinds": []}))

    kept, live = both_reports(database, bangkok(2024, 6, 1), ())

    assert kept == live and kept.months[4].figures.questions == 1


def test_a_write_into_the_month_that_closed_last_empties_it(database):
    """By the database's own clock: the last row of the latest closed month calls the trigger."""
    reset(database)
    with database.session() as session:
        now = rollup.database_now(session)
    month = (now.year, now.month)
    while not rollup.is_closed(month, now):
        month = (month[0] - 1, 12) if month[1] == 1 else (month[0], month[1] - 1)
    start, end = rollup.month_bounds(*month)
    add(database, {"kind": "question", "occurred_at": start + timedelta(days=1)})
    with database.session() as session:
        collect_report(session, fiscal_year_of(start.date()), fiscal_month_label(*month))
    key = rollup.month_key(month)
    assert kept_months(database)[key] is True

    add(database, {"kind": "question", "occurred_at": end - timedelta(microseconds=1), "user_id": 2})

    assert kept_months(database)[key] is False
    with database.session() as session:
        report = collect_report(session, fiscal_year_of(start.date()), fiscal_month_label(*month))
    assert report.totals.questions == 2


# SQLite's triggers run on every write; PostgreSQL's only for old rows.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_row_as_old_as_any_kept_month_calls_the_trigger(database):
    """PostgreSQL: the trigger's function runs for rows older than 7½ days (by the database's
    clock), and only those; every row of a kept month is older than `CLOSED_AFTER`."""
    reset(database)
    with database.session() as session:
        now = rollup.database_now(session)
    old, recent = now - rollup.CLOSED_AFTER, now - timedelta(days=7)
    add(database, {"kind": "question", "occurred_at": old}, {"kind": "question", "occurred_at": recent})

    # The old row's month has a row waiting to be counted (a report would wait for this write);
    # the recent row called nothing.
    assert kept_months(database) == {rollup.month_key((old.year, old.month)): False}


def test_no_product_write_reaches_a_closed_month():
    from handlers.context import MAX_CLOCK_SKEW, MAX_EVENT_AGE

    # A LINE event is dated by its own timestamp only when it is at most MAX_EVENT_AGE old.
    assert rollup.CLOSED_AFTER > MAX_EVENT_AGE + MAX_CLOCK_SKEW


# SQLite has one writer at a time: the report's claim is that writer's turn.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_write_while_a_month_is_being_counted_waits_or_is_waited_for(database):
    """PostgreSQL: a hand-made insert into a closed month, still uncommitted when a report starts
    counting that month, is counted (the report waits for it)."""
    reset(database)
    add(database, {"kind": "question", "occurred_at": bangkok(2024, 2, 10)})
    writer = database.engine.connect()
    transaction = writer.begin()
    writer.execute(text("INSERT INTO interaction_events (kind, occurred_at, channel, user_id) VALUES ('question', :at, '1:1', 2)"),
                   {"at": bangkok(2024, 2, 11)})
    reports: list[Any] = []
    reader = threading.Thread(target=lambda: reports.append(both_reports(database, bangkok(2024, 6, 1), ())[0]))
    reader.start()
    try:
        deadline = datetime.now() + timedelta(seconds=30)
        # Autocommit: pg_stat_activity is read once per transaction.
        with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as watcher:
            while not watcher.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                          "AND query LIKE 'INSERT INTO reach_month_rollups%'")):
                assert datetime.now() < deadline, "the report did not wait for the uncommitted write"
        transaction.commit()
    finally:
        writer.close()
        reader.join()

    kept, live = both_reports(database, bangkok(2024, 6, 1), ())
    assert reports[0].months[4].figures.questions == 2
    assert kept == live and kept.months[4].figures.questions == 2


def test_people_are_kept_exactly():
    ids = [1, 7, 8, 63, 64, 100_000]
    encoded = rollup.MonthCounts(people={"1:1": rollup.bitmap(ids)}).to_json()
    decoded = rollup.MonthCounts.from_json(encoded)
    bits = decoded.people["1:1"]
    assert [index for index in range(100_001) if bits >> index & 1] == ids
    assert len(encoded["people"]["1:1"]) < 200  # a sparse set stays small
