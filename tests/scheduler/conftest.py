"""Fixtures for the reminder tests: the real sample plan imported, a committee group, the LINE client."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from scheduler.clock import BANGKOK

SAMPLE_PLAN = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "000_7109b574315d70a7.txt"
COMMITTEE_GROUP = "C0000000000000000000000000committee"
BEFORE_THE_FISCAL_YEAR = datetime(2023, 9, 1, 8, 0, tzinfo=BANGKOK)


@pytest.fixture
def sample_plan_path() -> Path:
    if not SAMPLE_PLAN.exists():
        pytest.skip(f"the sample KM plan is not on this machine ({SAMPLE_PLAN})")
    return SAMPLE_PLAN


@pytest.fixture
def imported_plan(database, sample_plan_path):  # type: ignore[no-untyped-def]
    """The sample FY 2567 plan saved in the database; returns {(plan, step): activity id}."""
    from kb.plan_document import read_plan_file
    from kb.plan_models import Activity
    from kb.plan_store import save_plan_reading
    from sqlalchemy import select

    with database.session() as session:
        save_plan_reading(session, read_plan_file(sample_plan_path))
        return {(activity.plan.number, activity.step): activity.id for activity in session.scalars(select(Activity))}


@pytest.fixture
def add_group(database):  # type: ignore[no-untyped-def]
    """Makes a LINE group the bot is in, a committee group unless told otherwise; returns its row id."""
    from handlers.context import ensure_group

    def add(line_group_id: str, *, role: str = "committee", joined_at: datetime = BEFORE_THE_FISCAL_YEAR,
            member_count: int | None = None, active: bool = True) -> int:
        with database.session() as session:
            group = ensure_group(session, line_group_id, "group", joined_at)
            group.role = role
            group.member_count = member_count
            group.active = active
            session.flush()
            return group.id

    return add


@pytest.fixture
def committee_group(add_group) -> str:  # type: ignore[no-untyped-def]
    add_group(COMMITTEE_GROUP)
    return COMMITTEE_GROUP


@pytest.fixture
def line_client(app):  # type: ignore[no-untyped-def]
    from bot.extensions import get_line_client

    return get_line_client(app)
