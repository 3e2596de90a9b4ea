"""Saving a read plan: keys that make a re-import an update, what the committee did survives it,
and the plan's knowledge article answers questions about the activities."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from bot.core.calendar import BANGKOK, to_bangkok
from kb.plan_document import PlanReading, read_plan_csv, read_plan_file
from kb.plan_store import (
    find_activities_by_step,
    mark_activity_done,
    plan_article_source,
    save_plan_reading,
    set_activity_dates,
)
from kb.tables import Activity, Article, Plan



@pytest.fixture
def sample(sample_plan_path) -> PlanReading:  # type: ignore[no-untyped-def]
    return read_plan_file(sample_plan_path)


def one_activity(session, plan_number: int, step: str) -> Activity:  # type: ignore[no-untyped-def]
    (activity,) = find_activities_by_step(session, step, plan_number)
    return activity


def test_the_sample_is_saved_as_two_plans_of_fiscal_year_2567(database, sample: PlanReading) -> None:
    with database.session() as session:
        summary = save_plan_reading(session, sample)

    assert (summary.plans_created, summary.plans_updated) == (2, 0)
    assert (summary.activities_created, summary.activities_updated, summary.activities_removed) == (26, 0, 0)
    assert summary.warnings == sample.warnings
    with database.session() as session:
        plans = session.scalars(select(Plan).order_by(Plan.number)).all()
        assert [(plan.fiscal_year, plan.number, plan.unit) for plan in plans] == [
            (2567, 1, "กองยุทธศาสตร์และงบประมาณ"), (2567, 2, "กองยุทธศาสตร์และงบประมาณ"),
        ]
        assert plans[0].knowledge_topic == "เทคนิคการบริหารจัดการองค์ความรู้ (KM)"
        assert any("ไม่มีลำดับที่ ๓–๔" in warning for warning in plans[0].warnings)
        kmp5 = one_activity(session, 1, "KMP5")
        assert (kmp5.number, kmp5.name, kmp5.start, kmp5.deadline, kmp5.open_ended) == (
            5, "การเข้าถึงความรู้", date(2024, 7, 1), date(2024, 9, 30), True,
        )
        assert kmp5.status == "pending" and kmp5.period_text == "ก.ค. ๒๕๖๗ เป็นต้นไป"
        unreadable = one_activity(session, 2, "KMP4")
        assert unreadable.deadline is None and unreadable.start is None
        assert any("มี.ย." in warning for warning in unreadable.warnings)


def test_reimport_updates_and_keeps_status_done_info_and_hand_set_dates(database, sample: PlanReading) -> None:
    done_at = datetime(2024, 7, 15, 10, 30, tzinfo=BANGKOK)
    with database.session() as session:
        save_plan_reading(session, sample)
        mark_activity_done(session, one_activity(session, 1, "KMP6"), user_id=None, note="ภาพกิจกรรมและรายงาน", at=done_at)
        set_activity_dates(session, one_activity(session, 2, "KMP4"), date(2024, 6, 1), date(2024, 6, 28))
        ids_before = dict(session.execute(select(Activity.id, Activity.step)).all())

    with database.session() as session:
        summary = save_plan_reading(session, sample)

    assert (summary.plans_created, summary.plans_updated) == (0, 2)
    assert (summary.activities_created, summary.activities_updated, summary.kept_hand_set_dates) == (0, 26, 1)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Activity)) == 26
        assert session.scalar(select(func.count()).select_from(Plan)) == 2
        assert dict(session.execute(select(Activity.id, Activity.step)).all()) == ids_before
        done = one_activity(session, 1, "KMP6")
        assert done.status == "done" and done.evidence_note == "ภาพกิจกรรมและรายงาน"
        assert done.done_at is not None and to_bangkok(done.done_at) == done_at
        hand_set = one_activity(session, 2, "KMP4")
        assert (hand_set.start, hand_set.deadline, hand_set.dates_set_by_hand) == (date(2024, 6, 1), date(2024, 6, 28), True)
        # The unreadable-period warning no longer applies once the committee set the dates.
        assert not any("มี.ย." in warning for warning in hand_set.warnings)


def test_an_activity_dropped_from_the_file_is_removed_unless_done(database, sample: PlanReading) -> None:
    with database.session() as session:
        save_plan_reading(session, sample)
        mark_activity_done(session, one_activity(session, 1, "KMP7"), user_id=None, note=None)
    plan_one = sample.plans[0]
    trimmed = replace(plan_one, activities=tuple(a for a in plan_one.activities if a.step not in ("KMP6", "KMP7")))
    reading = replace(sample, plans=(trimmed, sample.plans[1]))

    with database.session() as session:
        summary = save_plan_reading(session, reading)

    assert summary.activities_removed == 1
    assert any("KMP7" in warning and "เก็บไว้" in warning for warning in summary.warnings)
    with database.session() as session:
        assert find_activities_by_step(session, "KMP6", 1) == []
        assert one_activity(session, 1, "KMP7").status == "done"


def test_a_plan_without_a_fiscal_year_is_reported_not_guessed(database) -> None:
    text = "plan,number,step,name,period\n1,1,KMP1,การบ่งชี้ความรู้,ธ.ค. 2566 - ม.ค. 2567\n"
    reading = read_plan_csv(text, "plan.csv")

    with database.session() as session:
        skipped = save_plan_reading(session, reading)
    with database.session() as session:
        saved = save_plan_reading(session, reading, fiscal_year=2567)

    assert skipped.plan_ids == () and any("ไม่ทราบปีงบประมาณ" in warning for warning in skipped.warnings)
    assert len(saved.plan_ids) == 1
    with database.session() as session:
        assert one_activity(session, 1, "KMP1").deadline == date(2024, 1, 31)


def test_each_plan_is_a_knowledge_article_with_one_passage_per_activity(database, sample: PlanReading) -> None:
    with database.session() as session:
        save_plan_reading(session, sample)
        article = session.scalars(select(Article).where(Article.source == plan_article_source(2567, 1))).one()
        passages = {tuple(passage.heading_path)[-1]: passage.text for passage in article.passages}
        assert article.status == "published" and len(article.passages) == 12

    kmp5 = passages["KMP5 การเข้าถึงความรู้"]
    assert kmp5.startswith("KMP5 การเข้าถึงความรู้ (แผนที่ ๑ ลำดับที่ ๕ ปีงบประมาณ ๒๕๖๗)")
    assert "ต้องทำเมื่อไร (ช่วงเวลา กำหนดส่ง): ก.ค. ๒๕๖๗ เป็นต้นไป (เริ่ม ๑ ก.ค. ๒๕๖๗ ครบกำหนด ๓๐ ก.ย. ๒๕๖๗" in kmp5
    assert "สถานะ: ยังไม่เสร็จ" in kmp5
    cmp5 = passages["CMP5 การวัดผล"]
    assert "ตัวชี้วัด: รายงานผลการดำเนินงานตามแผนฯ" in cmp5
    assert "ใครรับผิดชอบ (ผู้รับผิดชอบ): สำนัก/กองเจ้าภาพที่รับผิดชอบขององค์ความรู้" in cmp5
    assert "ยังไม่ได้กำหนดวันที่แน่นอน" in passages["KMP1 การบ่งชี้ความรู้"]


def test_the_article_follows_the_activity_and_is_not_rewritten_when_nothing_changed(database, sample: PlanReading) -> None:
    with database.session() as session:
        save_plan_reading(session, sample)
        first_hash = session.scalars(select(Article.content_hash).where(Article.source == plan_article_source(2567, 2))).one()
        save_plan_reading(session, sample)
        assert session.scalars(select(Article.content_hash).where(Article.source == plan_article_source(2567, 2))).one() == first_hash
        mark_activity_done(session, one_activity(session, 2, "CMP5"), user_id=None, note="รายงานผลเสนอนายก อบจ.",
                           at=datetime(2024, 9, 20, 15, 0, tzinfo=BANGKOK))
        article = session.scalars(select(Article).where(Article.source == plan_article_source(2567, 2))).one()
        text = next(passage.text for passage in article.passages if passage.heading_path[-1] == "CMP5 การวัดผล")
    assert article.content_hash != first_hash
    assert "สถานะ: ทำแล้ว เมื่อ ๒๐ ก.ย. ๒๕๖๗ หลักฐาน: รายงานผลเสนอนายก อบจ." in text


@pytest.mark.parametrize(
    ("question", "expected", "fact"),
    [
        ("KMP 5 ต้องทำเมื่อไร", "KMP5 การเข้าถึงความรู้", "๓๐ ก.ย. ๒๕๖๗"),
        ("ใครรับผิดชอบการวัดผล", "CMP5 การวัดผล", "หัวหน้าส่วนราชการ"),
    ],
)
def test_questions_about_an_activity_are_answered_from_its_own_fields(database, sample: PlanReading, question: str, expected: str, fact: str) -> None:
    from kb.answering import find_answer
    from kb.search_service import KnowledgeSearch

    with database.session() as session:
        save_plan_reading(session, sample)
        answer = find_answer(session, KnowledgeSearch(), question)

    assert answer.answered
    assert answer.heading_path[-1] == expected
    assert fact in answer.text


def test_set_dates_refuses_a_start_after_the_deadline(database, sample: PlanReading) -> None:
    with database.session() as session:
        save_plan_reading(session, sample)
        with pytest.raises(ValueError):
            set_activity_dates(session, one_activity(session, 2, "KMP4"), date(2024, 7, 1), date(2024, 6, 1))
