"""The migrations: the models and the migrated schema agree, and revision 0006 carries an office's
delivery record from the two old tables into `deliveries` without anything being pushed twice."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Iterator

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select

from bot.core.calendar import BANGKOK, to_bangkok
from bot.core.config import Config
from bot.core.database import Base, Database
from bot.core.line_client import LineClient
from bot.core.migrate import (
    alembic_config,
    current_revision,
    head_revision,
    upgrade_database,
)
from bot.core.tables import ChatGroup, InteractionEvent
from kb.tables import Activity, Article, Plan
from scheduler.knowledge_push import push_weekly_knowledge
from scheduler.knowledge_push import retry_key_for as knowledge_retry_key
from scheduler.reminders import ReminderPolicy, preview_reminders, send_due_reminders
from scheduler.reminders import retry_key_for as reminder_retry_key
from scheduler.tables import Delivery

COMMITTEE = "C0000000000000000000000000committee"
STAFF = "C1111111111111111111111111111staff"
GONE = "C9999999999999999999999999999gone"  # a group the record names that is no longer a row
TICK = datetime(2024, 5, 8, 9, 30, tzinfo=BANGKOK)  # a Wednesday, ISO week 2024-W19
# The retry-key namespaces as released: a changed key would let LINE deliver a retry twice.
REMINDER_NAMESPACE = uuid.UUID("6f1c3c56-5a0e-4c55-9d86-6a0b5f3f8e21")
KNOWLEDGE_NAMESPACE = uuid.UUID("3b0f6d1e-2c4a-5e8b-9f71-0d2a6c8e4b15")


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=BANGKOK)


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


def downgrade_database(database: Database, revision: str) -> None:
    config = alembic_config(database)
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def differences(database: Database) -> list[Any]:
    with database.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_the_migrated_schema_is_the_models_schema(database: Database) -> None:
    upgrade_database(database)

    assert current_revision(database) == head_revision(database)
    assert differences(database) == []


# --- revision 0006 --------------------------------------------------------------------------


@pytest.fixture
def office_at_0005(database: Database) -> dict[str, Any]:
    """A database at revision 0005 with a delivery record in both old tables, and the table the
    earlier clock kept its jobs in."""
    upgrade_database(database, "0005")
    # Only the delivery tables change in 0006, so the models can fill the others.
    with database.session() as session:
        committee = ChatGroup(line_group_id=COMMITTEE, kind="group", role="committee", active=True,
                              member_count=7, joined_at=at(2023, 9, 1))
        staff = ChatGroup(line_group_id=STAFF, kind="group", role="staff", active=True,
                          member_count=12, joined_at=at(2023, 9, 1))
        plan = Plan(fiscal_year=2567, number=1, knowledge_topic="การจัดทำงบประมาณ")
        activity = Activity(position=0, number=1, step="KMP1", name="บ่งชี้ความรู้",
                            start=date(2024, 5, 6), deadline=date(2024, 5, 15))
        plan.activities.append(activity)
        article = Article(title="ความรู้ที่ 1", body="เนื้อหา", source="test:1", content_hash="0" * 64)
        session.add_all([committee, staff, plan, article])
        session.flush()
        ids = {"committee": committee.id, "staff": staff.id, "activity": activity.id, "article": article.id}

    old = sa.MetaData()
    old.reflect(database.engine, only=["reminder_deliveries", "knowledge_push_deliveries"])
    jobs = sa.Table("apscheduler_jobs", old, sa.Column("id", sa.String(191), primary_key=True),
                    sa.Column("next_run_time", sa.Float), sa.Column("job_state", sa.LargeBinary, nullable=False))
    start_key, before_key = f"a{ids['activity']}:start:0", f"a{ids['activity']}:before_7d:0"
    reminders = [
        # Sent on its day.
        dict(reminder_key=start_key, recipient=COMMITTEE, activity_id=ids["activity"], kind="start",
             planned_at=at(2024, 5, 6), state="sent", claimed_at=at(2024, 5, 6), sent_at=at(2024, 5, 6, 9, 1),
             attempts=1, line_request_id="req-start", recipients_count=7, error=None),
        # Pushed this morning (LINE accepted its retry key) by a process that died before writing "sent".
        dict(reminder_key=before_key, recipient=COMMITTEE, activity_id=ids["activity"], kind="before_7d",
             planned_at=at(2024, 5, 8), state="sending", claimed_at=at(2024, 5, 8), sent_at=None,
             attempts=1, line_request_id=None, recipients_count=None, error=None),
        # Failed to a group the office has since removed.
        dict(reminder_key=start_key, recipient=GONE, activity_id=ids["activity"], kind="start",
             planned_at=at(2024, 5, 6), state="missed", claimed_at=at(2024, 5, 7, 9, 5), sent_at=None,
             attempts=2, line_request_id=None, recipients_count=None, error="LINE answered 500; grace window closed"),
    ]
    knowledge = [
        dict(week="2024-W19", group_id=ids["staff"], article_id=ids["article"], state="sent",
             claimed_at=at(2024, 5, 6, 9, 30), sent_at=at(2024, 5, 6, 9, 30), attempts=1,
             line_request_id="req-week", recipients_count=12, member_count_source="line", error=None),
    ]
    with database.engine.begin() as connection:
        jobs.create(connection)
        connection.execute(jobs.insert(), [{"id": "reminder-tick", "next_run_time": 0.0, "job_state": b"\x80"}])
        connection.execute(old.tables["reminder_deliveries"].insert(), reminders)
        connection.execute(old.tables["knowledge_push_deliveries"].insert(), knowledge)
    return {**ids, "start_key": start_key, "before_key": before_key, "reminders": reminders, "knowledge": knowledge}


def delivery_rows(database: Database) -> list[dict[str, Any]]:
    with database.session() as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
    columns = [column.name for column in Delivery.__table__.columns if column.name != "id"]
    return [
        {name: (to_bangkok(value) if isinstance(value, datetime) else value)
         for name, value in ((name, getattr(row, name)) for name in columns)}
        for row in rows
    ]


def test_0006_moves_both_delivery_records_into_one_table(database: Database, office_at_0005: dict[str, Any]) -> None:
    office = office_at_0005

    upgrade_database(database)

    tables = set(sa.inspect(database.engine).get_table_names())
    assert "deliveries" in tables
    assert not tables & {"reminder_deliveries", "knowledge_push_deliveries", "apscheduler_jobs"}
    # Rows from before 0007 carry no retry key: each was pushed alone, under its own reminder key.
    common = {"article_id": None, "member_count_source": None, "retry_key": None}
    assert delivery_rows(database) == [
        {**common, "purpose": "reminder", "delivery_key": office["start_key"], "recipient": COMMITTEE,
         "group_id": office["committee"], "reminder_kind": "start", "activity_id": office["activity"],
         "planned_at": at(2024, 5, 6), "state": "sent", "claimed_at": at(2024, 5, 6), "sent_at": at(2024, 5, 6, 9, 1),
         "attempts": 1, "line_request_id": "req-start", "recipients_count": 7, "error": None},
        {**common, "purpose": "reminder", "delivery_key": office["before_key"], "recipient": COMMITTEE,
         "group_id": office["committee"], "reminder_kind": "before_7d", "activity_id": office["activity"],
         "planned_at": at(2024, 5, 8), "state": "sending", "claimed_at": at(2024, 5, 8), "sent_at": None,
         "attempts": 1, "line_request_id": None, "recipients_count": None, "error": None},
        {**common, "purpose": "reminder", "delivery_key": office["start_key"], "recipient": GONE,
         "group_id": None, "reminder_kind": "start", "activity_id": office["activity"],
         "planned_at": at(2024, 5, 6), "state": "missed", "claimed_at": at(2024, 5, 7, 9, 5), "sent_at": None,
         "attempts": 2, "line_request_id": None, "recipients_count": None,
         "error": "LINE answered 500; grace window closed"},
        {"purpose": "knowledge", "delivery_key": "knowledge:2024-W19", "recipient": STAFF,
         "group_id": office["staff"], "reminder_kind": None, "activity_id": None, "article_id": office["article"],
         "planned_at": None, "state": "sent", "claimed_at": at(2024, 5, 6, 9, 30), "sent_at": at(2024, 5, 6, 9, 30),
         "attempts": 1, "line_request_id": "req-week", "recipients_count": 12, "member_count_source": "line",
         "error": None, "retry_key": None},
    ]
    assert differences(database) == []


def test_after_0006_a_tick_sends_nothing_twice(database: Database, office_at_0005: dict[str, Any], line_stub, app_config) -> None:
    office = office_at_0005
    before_retry_key = str(uuid.uuid5(REMINDER_NAMESPACE, f"{office['before_key']}|{COMMITTEE}"))
    # The keys the code computes are the keys the record was pushed with.
    assert reminder_retry_key(office["before_key"], COMMITTEE) == before_retry_key
    assert knowledge_retry_key("2024-W19", STAFF) == str(uuid.uuid5(KNOWLEDGE_NAMESPACE, f"knowledge-push|2024-W19|{STAFF}"))
    line_stub.accepted_retry_keys.add(before_retry_key)
    upgrade_database(database)
    line_client = LineClient(Config.from_environment({}).with_overrides(app_config), sleep=lambda _seconds: None)

    with database.session() as session:
        preview = {(item.key, item.state): item.recipients for item in preview_reminders(session, ReminderPolicy(), TICK)}
    assert preview[(office["start_key"], "sent")] == [COMMITTEE]

    reminders = send_due_reminders(database, line_client, TICK, ReminderPolicy())
    knowledge = push_weekly_knowledge(database, line_client, TICK)
    again = send_due_reminders(database, line_client, TICK.replace(minute=45), ReminderPolicy())

    # The reminder pushed before the upgrade is finished with its own retry key: LINE answers 409.
    assert [(item.key, item.already_delivered) for item in reminders.sent] == [(office["before_key"], True)]
    assert reminders.missed == [] and reminders.failed == [] and reminders.in_progress == 0
    assert knowledge.sent == [] and knowledge.skipped == [STAFF]
    assert again.sent == [] and again.missed == [] and again.failed == []
    assert [(call.headers["X-Line-Retry-Key"], call.status) for call in line_stub.pushes] == [(before_retry_key, 409)]
    assert line_stub.delivered_pushes == []
    with database.session() as session:
        states = dict(session.execute(
            select(Delivery.delivery_key, Delivery.state).where(Delivery.recipient == COMMITTEE)
        ).all())
        events = session.execute(
            select(InteractionEvent.kind, func.count()).group_by(InteractionEvent.kind)
        ).all()
    assert states == {office["start_key"]: "sent", office["before_key"]: "sent"}
    assert dict(events) == {"reminder_push": 1}


def test_0006_downgrades_to_the_two_tables(database: Database, office_at_0005: dict[str, Any]) -> None:
    office = office_at_0005
    upgrade_database(database)

    downgrade_database(database, "0005")

    old = sa.MetaData()
    old.reflect(database.engine, only=["reminder_deliveries", "knowledge_push_deliveries"])
    assert "deliveries" not in sa.inspect(database.engine).get_table_names()

    def rows(table: sa.Table) -> list[dict[str, Any]]:
        with database.engine.connect() as connection:
            found = connection.execute(table.select().order_by(table.c.id)).mappings().all()
        return [{name: (to_bangkok(value) if isinstance(value, datetime) else value)
                 for name, value in row.items() if name != "id"} for row in found]

    assert rows(old.tables["reminder_deliveries"]) == office["reminders"]
    assert rows(old.tables["knowledge_push_deliveries"]) == office["knowledge"]
    upgrade_database(database)
    assert len(delivery_rows(database)) == 4
