"""The committee's daily 👎 digest: which answers staff found unhelpful, once a working day, only when there were any."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.tables import InteractionEvent
from kb.tables import Article
from scheduler.clock import FeedbackDigestSettings, ReminderClock
from scheduler.feedback_digest import UnhelpfulArticle, digest_text, digest_window, send_feedback_digest
from scheduler.policy import ReminderSettings

COMMITTEE_GROUP = "C3333333333333333333333333committee"
STAFF_GROUP = "C1111111111111111111111111111staff"
SETTINGS = ReminderSettings(hour=9, holidays=frozenset({date(2024, 4, 8)}))


@pytest.fixture
def groups(add_group, line_stub) -> None:  # type: ignore[no-untyped-def]
    line_stub.member_counts.update({COMMITTEE_GROUP: 6, STAFF_GROUP: 30})
    add_group(COMMITTEE_GROUP, role="committee")
    add_group(STAFF_GROUP, role="staff")


def add_articles_and_presses(database, at, presses):  # type: ignore[no-untyped-def]
    """presses: (title, day moment, value, channel[, reason])"""
    with database.session() as session:
        ids = {}
        for title, moment, value, channel, *reason in presses:
            if title not in ids:
                article = Article(title=title, body="เนื้อหา", source=f"test:{title}", content_hash="0" * 64, status="published")
                session.add(article)
                session.flush()
                ids[title] = article.id
            session.add(InteractionEvent(kind="feedback", occurred_at=moment, channel=channel, article_id=ids[title], value=value,
                                         detail={"reason": reason[0]} if reason else None))


def test_monday_covers_the_weekend_and_a_holiday_is_skipped():
    assert digest_window(date(2024, 3, 4), SETTINGS) == (date(2024, 3, 1), date(2024, 3, 3))  # Monday: Fri–Sun
    assert digest_window(date(2024, 3, 5), SETTINGS) == (date(2024, 3, 4), date(2024, 3, 4))
    assert digest_window(date(2024, 3, 9), SETTINGS) is None  # Saturday
    assert digest_window(date(2024, 4, 8), SETTINGS) is None  # the office's holiday
    assert digest_window(date(2024, 4, 9), SETTINGS) == (date(2024, 4, 5), date(2024, 4, 8))


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)))
def test_working_days_digests_cover_every_day_exactly_once(day):
    covered = []
    for offset in range(14):
        window = digest_window(date.fromordinal(day.toordinal() + offset), SETTINGS)
        if window is not None:
            first, last = window
            covered += [date.fromordinal(n) for n in range(first.toordinal(), last.toordinal() + 1)]
    assert len(covered) == len(set(covered))
    assert covered == sorted(covered) and covered == [
        date.fromordinal(n) for n in range(covered[0].toordinal(), covered[-1].toordinal() + 1)
    ]


def test_the_text_is_thai_with_thai_digits_and_fits_line():
    articles = [UnhelpfulArticle("เรื่อง " + "ยาว" * 200, 3)] + [UnhelpfulArticle(f"เรื่องที่ {n}", 1) for n in range(15)]
    text = digest_text(date(2024, 3, 1), date(2024, 3, 3), articles, "https://km.example.go.th")

    assert "๑ มี.ค. ๒๕๖๗" in text and "๓ มี.ค. ๒๕๖๗" in text
    assert "รวม ๑๘ ครั้ง" in text and "(๓ ครั้ง)" in text and "และอีก ๖ เรื่อง" in text
    assert "https://km.example.go.th/admin/kb" in text
    assert len(text.encode("utf-16-le")) // 2 <= 5000


def test_the_committee_gets_one_digest_of_real_staff_presses_at_the_reminder_hour(database, line_stub, line_client, groups, at):
    add_articles_and_presses(database, at, [
        ("การลาพักผ่อน", at(2024, 3, 2, 14), 0, "group", "outdated"),
        ("การลาพักผ่อน", at(2024, 3, 3, 10), 0, "1:1"),
        ("การเบิกค่าเดินทาง", at(2024, 3, 1, 16), 0, "1:1"),
        ("การเบิกค่าเดินทาง", at(2024, 3, 1, 16), 1, "1:1"),  # a 👍 is not in the digest
        ("ระเบียบพัสดุ", at(2024, 3, 3, 11), 0, "web"),  # tried in the simulator: not staff
        ("ระเบียบพัสดุ", at(2024, 3, 4, 8), 0, "1:1"),  # today, before the digest: tomorrow's
    ])

    assert send_feedback_digest(database, line_client, at(2024, 3, 4, 8, 59), SETTINGS) == []
    assert send_feedback_digest(database, line_client, at(2024, 3, 4, 9, 0), SETTINGS) == [COMMITTEE_GROUP]
    assert send_feedback_digest(database, line_client, at(2024, 3, 4, 15, 0), SETTINGS) == []

    [push] = line_stub.delivered_pushes
    assert push.body["to"] == COMMITTEE_GROUP
    text = push.body["messages"][0]["text"]
    assert text.index("การลาพักผ่อน (๒ ครั้ง, ข้อมูลเก่าแล้ว ๑)") < text.index("การเบิกค่าเดินทาง (๑ ครั้ง)")
    assert "ระเบียบพัสดุ" not in text and "รวม ๓ ครั้ง" in text

    assert send_feedback_digest(database, line_client, at(2024, 3, 5, 9, 0), SETTINGS) == [COMMITTEE_GROUP]
    assert "ระเบียบพัสดุ (๑ ครั้ง)" in line_stub.delivered_pushes[-1].body["messages"][0]["text"]


def test_no_unhelpful_answer_no_push(database, line_stub, line_client, groups, at):
    add_articles_and_presses(database, at, [("การลาพักผ่อน", at(2024, 3, 4, 10), 1, "1:1")])

    assert send_feedback_digest(database, line_client, at(2024, 3, 5, 9, 0), SETTINGS) == []
    assert line_stub.delivered_pushes == []


def test_a_failed_digest_is_retried_with_the_same_key_and_arrives_once(database, line_stub, line_client, groups, at):
    add_articles_and_presses(database, at, [("การลาพักผ่อน", at(2024, 3, 4, 10), 0, "1:1")])
    # An outage: every one of the client's four attempts answered 503.
    line_stub.fail_next("/v2/bot/message/push", 503, times=4)

    assert send_feedback_digest(database, line_client, at(2024, 3, 5, 9, 0), SETTINGS) == []
    assert send_feedback_digest(database, line_client, at(2024, 3, 5, 9, 1), SETTINGS) == [COMMITTEE_GROUP]
    assert send_feedback_digest(database, line_client, at(2024, 3, 5, 9, 2), SETTINGS) == []

    attempts = line_stub.pushes
    assert [call.status for call in attempts] == [503, 503, 503, 503, 200]
    assert len({call.headers["X-Line-Retry-Key"] for call in attempts}) == 1
    assert len(line_stub.delivered_pushes) == 1


def test_the_clock_sends_the_digest_when_it_is_on(database, line_stub, line_client, groups, at):
    add_articles_and_presses(database, at, [("การลาพักผ่อน", at(2024, 3, 4, 10), 0, "1:1")])
    reminder_clock = ReminderClock(database, line_client)
    reminder_clock.tick(at(2024, 3, 5, 9, 0))
    assert line_stub.delivered_pushes == []

    reminder_clock.feedback_digest = FeedbackDigestSettings()
    reminder_clock.tick(at(2024, 3, 5, 9, 1))
    assert [push.body["to"] for push in line_stub.delivered_pushes] == [COMMITTEE_GROUP]
