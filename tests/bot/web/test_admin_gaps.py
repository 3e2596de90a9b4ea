"""Keeping the gap list useful: a greeting dismissed stays hidden, two wordings of one
question merge and keep counting together, and neither counts as an open gap in the report."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.core.calendar import now, resolve_period
from bot.reach.queries import collect_report
from kb.gaps import record_gap, top_gaps
from kb.tables import KnowledgeGap


from tests.bot.web.admin_pages import ADMIN_PASSWORD, csrf_token_of, sign_in

@pytest.fixture
def app_config(app_config):  # type: ignore[no-untyped-def]
    return {**app_config, "admin_password": ADMIN_PASSWORD}


def token_of(client, path: str = "/admin/gaps") -> str:  # type: ignore[no-untyped-def]
    return csrf_token_of(client, path)


@pytest.fixture
def signed_in(client):  # type: ignore[no-untyped-def]
    return sign_in(client)


def asked(database, *questions: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        for question in questions:
            record_gap(session, question, now())
    with database.session() as session:
        return {gap.question: gap.id for gap in session.scalars(select(KnowledgeGap))}


def shown(database) -> dict[str, int]:  # type: ignore[no-untyped-def]
    with database.session() as session:
        return {gap.question: gap.count for gap in top_gaps(session, 100)}



def test_a_dismissed_greeting_leaves_the_list_and_stays_hidden_when_said_again(signed_in, database):
    ids = asked(database, "สวัสดีตอนเช้าจ้า", "ขอแบบฟอร์มลาพักผ่อน")

    response = signed_in.post(f"/admin/gaps/{ids['สวัสดีตอนเช้าจ้า']}/dismiss", data={"csrf_token": token_of(signed_in)},
                              follow_redirects=True)

    page = response.get_data(as_text=True)
    assert "ซ่อน “สวัสดีตอนเช้าจ้า” แล้วค่ะ" in page
    assert 'data-gap-id="%d"' % ids["สวัสดีตอนเช้าจ้า"] not in page
    asked(database, "สวัสดีตอนเช้าจ้า")
    assert shown(database) == {"ขอแบบฟอร์มลาพักผ่อน": 1}
    with database.session() as session:
        report = collect_report(session, resolve_period().fiscal_year)
    assert [gap.question for gap in report.gaps] == ["ขอแบบฟอร์มลาพักผ่อน"]


def test_two_wordings_merge_and_later_askings_count_on_the_one_kept(signed_in, database):
    ids = asked(database, "ขอแบบฟอร์มลาพักผ่อน", "ขอแบบฟอร์มลาพักผ่อน", "แบบฟอร์มลาพักร้อนอยู่ไหน")

    signed_in.post(f"/admin/gaps/{ids['แบบฟอร์มลาพักร้อนอยู่ไหน']}/merge",
                   data={"csrf_token": token_of(signed_in), "into": str(ids["ขอแบบฟอร์มลาพักผ่อน"])})
    assert shown(database) == {"ขอแบบฟอร์มลาพักผ่อน": 3}

    asked(database, "แบบฟอร์มลาพักร้อนอยู่ไหน")
    assert shown(database) == {"ขอแบบฟอร์มลาพักผ่อน": 4}


def test_merging_a_gap_into_itself_or_nothing_is_refused_in_thai(signed_in, database):
    ids = asked(database, "ขอแบบฟอร์มลาพักผ่อน")
    gap = ids["ขอแบบฟอร์มลาพักผ่อน"]
    for into in (str(gap), "", "99999"):
        page = signed_in.post(f"/admin/gaps/{gap}/merge", data={"csrf_token": token_of(signed_in), "into": into},
                              follow_redirects=True).get_data(as_text=True)
        assert "โปรดเลือกคำถามอื่น" in page
    assert shown(database) == {"ขอแบบฟอร์มลาพักผ่อน": 1}
