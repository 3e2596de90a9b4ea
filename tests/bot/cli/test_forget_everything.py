"""`kmbot users forget` leaves nothing about the person in any table, nor in SQLite's files (issue 16, finding 4)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select, text

from bot.core.calendar import BANGKOK
from bot.core.database import Base
from bot.core.people import ensure_user

PERSON = "U5555555555555555555555555555f00d"
TIP = "เกร็ดจากคุณสมศรี ห้องสามศูนย์เจ็ด เบอร์ภายในสองสี่หก"
NOTE = "หลักฐานส่งโดยสมศรีทางอีเมลส่วนตัว"
COMMENT = "สมศรีอยากได้คู่มือเพิ่มค่ะ"


def _every_value(database) -> list[tuple[str, str, object]]:  # type: ignore[no-untyped-def]
    """(table, column, value) for every value in every table of the schema."""
    import kb.tables  # noqa: F401 - every table registered
    import scheduler.tables  # noqa: F401

    found = []
    with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(table.select()).mappings():
                found += [(table.name, column, value) for column, value in row.items()]
    return found


@pytest.fixture
def person_who_wrote_everything(app, database, webhook, line_events, sample_plan_path):  # type: ignore[no-untyped-def]
    from kb.plan_document import read_plan_file
    from kb.plan_store import save_plan_reading
    from kb.tables import Activity

    with database.session() as session:
        save_plan_reading(session, read_plan_file(sample_plan_path))
        ensure_user(session, PERSON, datetime(2023, 10, 1, tzinfo=BANGKOK)).role = "committee"
        activity_id = session.scalars(select(Activity.id).order_by(Activity.id)).first()
    user = line_events.user(PERSON)
    with time_machine.travel(datetime(2024, 5, 20, 10, tzinfo=BANGKOK), tick=False):
        webhook.send(line_events.text(f"/share {TIP}", user))
        webhook.send(line_events.text(f"/done {activity_id} {NOTE}", user))
        webhook.send(line_events.postback("action=survey&score=4", user))
        webhook.send(line_events.text(f"/ความเห็น {COMMENT}", user))
        webhook.send(line_events.text("? ลาพักร้อนได้กี่วัน", user))
    return activity_id


def _mentions(database, values: tuple[str, ...]) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    hits = []
    for table, column, value in _every_value(database):
        rendered = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else str(value)
        if any(piece in rendered for piece in values):
            hits.append((table, column))
    return hits


def test_forget_leaves_no_text_and_no_link_to_the_person_in_any_table(app, database, person_who_wrote_everything) -> None:
    from bot.core.tables import User

    secrets = (PERSON, TIP[:20], NOTE[:20], COMMENT[:15])
    assert len(_mentions(database, secrets)) >= 4  # the fixture did write them all
    with database.session() as session:
        user_id = session.scalars(select(User.id).where(User.line_user_id == PERSON)).one()

    result = app.test_cli_runner().invoke(args=["users", "forget", PERSON, "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["tips_removed"] == 1 and report["notes_removed"] == 1 and report["comments_removed"] == 1
    assert _mentions(database, secrets) == []
    # Only the anonymous counts point at the person's row: the reach log and the row itself.
    import kb.tables  # noqa: F401
    import scheduler.tables  # noqa: F401

    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(key.column.table.name == "users" for key in column.foreign_keys) and table.name != "interaction_events":
                with database.engine.connect() as connection:
                    count = connection.execute(select(text("count(*)")).select_from(table).where(column == user_id)).scalar()
                assert count == 0, f"{table.name}.{column.name} still points at the forgotten person"


# The write-ahead log and free pages are SQLite's: this one runs on SQLite only.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_forget_leaves_the_line_id_nowhere_in_the_sqlite_files(app, database, person_who_wrote_everything) -> None:
    path = Path(database.engine.url.database)
    result = app.test_cli_runner().invoke(args=["users", "forget", PERSON])
    assert result.exit_code == 0, result.output
    database.dispose()
    for file in (path, path.with_name(path.name + "-wal")):
        if file.exists():
            raw = file.read_bytes()
            assert PERSON.encode() not in raw, f"{file.name} still holds the LINE id"
            assert NOTE.encode() not in raw and TIP.encode() not in raw
