"""The reach report's arithmetic, without a database: figures, rates, targets and indicators."""

from __future__ import annotations

from datetime import date, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.calendar import BANGKOK, fiscal_months
from bot.reach.figures import (
    DEFAULT_TARGET_SOURCE,
    FIGURE_KEYS,
    Figures,
    KindCount,
    PlanTargetText,
    RawCounts,
    SurveyAnswer,
    add_figures,
    assemble_report,
    build_indicators,
    channel_names,
    channels_target,
    documents_target,
    figures_from_counts,
    is_met,
    latest_answer_per_person,
    percent,
    read_target_numbers,
    satisfaction_target,
    staff_percent_targets,
)

# The targets of the sample FY 2567 plan, as the plan import stores them.
SAMPLE_PLAN_TARGETS = [
    PlanTargetText(1, "KMP5", "จัดเก็บข้อมูลของ องค์ความรู้อย่างเป็น ระบบ; จำนวนเอกสาร เผยแพร่ความรู้ ฯลฯ", "จัดเก็บและเผยแพร่ องค์ความรู้ อย่างน้อย ๒ ช่องทาง"),
    PlanTargetText(1, "KMP6", "หน่วยงานในสังกัด สามารถนำองค์ความรู้ที่ ได้รับมาพัฒนาปรับปรุง งานได้", "จำนวนอย่างน้อย ๒ เรื่อง"),
    PlanTargetText(1, "KMP7", "บุคลากรได้เรียนรู้ การจัดการความรู้; ความพึงพอใจ", "บุคลากรทุกคนที่ เกี่ยวข้องร้อยละ ๘๐"),
    PlanTargetText(1, "CMP1", "บุคลากรในสังกัดทราบเป้าหมาย KM", "บุคลากรทุกคนที่เกี่ยวข้อง ร้อยละ ๘๐"),
    PlanTargetText(2, "KMP1", "ช่องทาง; ประชาสัมพันธ์", "ไม่น้อยกว่า ๒ ช่องทาง"),
    PlanTargetText(2, "KMP5", "จำนวนการเข้าถึง ฐานข้อมูลความรู้ ด้านต่างๆ", "จัดเก็บและเผยแพร่ อย่างน้อย ๒ ช่องทาง"),
    PlanTargetText(2, "KMP7", "บุคลากรได้เรียนรู้อะไร การจัดการความรู้", "ร้อยละ ๗๐"),
    PlanTargetText(2, "CMP1", "บุคลากรในสังกัด อบจ.ทราบเป้าหมาย KM ของอบจ.ปทุมธานี", "จำนวนบุคลากรที่ทราบเป้าหมาย KM ของอบจ.ปทุมธานี อย่างน้อย ๗๐%"),
]

counts_strategy = st.dictionaries(
    st.sampled_from(["question", "answer", "fallback", "article_view", "feedback", "reminder_push", "knowledge_push"]),
    st.builds(
        lambda events, recipients, helpful: KindCount(events, recipients, min(helpful, events)),
        st.integers(0, 10_000), st.integers(0, 100_000), st.integers(0, 10_000),
    ),
)
month_strategy = st.tuples(counts_strategy, st.integers(0, 500), st.lists(st.integers(-2, 8), max_size=50))


def test_target_texts_of_the_sample_plan_are_read_with_thai_digits():
    assert [(number.value, number.unit) for number in read_target_numbers("บุคลากรทุกคนที่ เกี่ยวข้องร้อยละ ๘๐")] == [(80, "percent")]
    assert [(number.value, number.unit) for number in read_target_numbers("อย่างน้อย ๗๐%")] == [(70, "percent")]
    assert [(number.value, number.unit) for number in read_target_numbers("จัดเก็บและเผยแพร่ อย่างน้อย ๒ ช่องทาง")] == [(2, "channels")]
    assert [(number.value, number.unit) for number in read_target_numbers("จำนวนอย่างน้อย ๒ เรื่อง")] == [(2, "items")]
    assert [(number.value, number.unit) for number in read_target_numbers("ไม่น้อยกว่า 80 เปอร์เซ็นต์")] == [(80, "percent")]
    # A year is not a target.
    assert read_target_numbers("มีแผนการจัดการความรู้ ปีพ.ศ. ๒๕๖๗ ภายในกำหนด") == []
    assert read_target_numbers("") == []


def test_targets_are_chosen_from_the_plan_per_indicator():
    reached = staff_percent_targets(SAMPLE_PLAN_TARGETS)
    assert {plan: target.value for plan, target in reached.items()} == {1: 80, 2: 70}
    assert reached[1].source.startswith("แผนที่ 1 KMP7")
    assert satisfaction_target(SAMPLE_PLAN_TARGETS).value == 80
    assert channels_target(SAMPLE_PLAN_TARGETS).value == 2
    assert documents_target(SAMPLE_PLAN_TARGETS).value == 2
    # Without a plan, the documented defaults, marked as such.
    assert satisfaction_target([]).source == DEFAULT_TARGET_SOURCE
    assert channels_target([]).value == 2


def test_indicators_against_the_sample_plan():
    totals = Figures(questions=10, answered=8, fallbacks=2, distinct_users=75, article_views=5,
                     feedback_helpful=3, feedback_unhelpful=1, survey_responses=4, survey_satisfied=3, survey_score_total=17)
    indicators = build_indicators(totals, staff_count=100, plan_activities=SAMPLE_PLAN_TARGETS,
                                  documents_disseminated=3, channels=["LINE", "เว็บไซต์"], open_gaps=2)
    by_key = {indicator.key: indicator for indicator in indicators}
    accesses = by_key["accesses"].as_dict()
    assert {key: accesses[key] for key in ("name", "value", "target", "met", "events")} == {
        "name": "จำนวนการเข้าถึงคลังความรู้ (KMP 5)", "value": 13, "target": None, "met": None, "events": 13}
    assert accesses["rule"]
    # KMP 7's and CMP 1-2's percentages are about learning and understanding, not using the bot.
    reached = by_key["staff_reached_percent"]
    assert (reached.value, reached.target, reached.met) == (75.0, None, None)
    assert (by_key["satisfaction_percent"].value, by_key["satisfaction_percent"].met) == (75.0, False)
    assert (by_key["channels"].value, by_key["channels"].met) == (2, True)
    assert (by_key["documents_disseminated"].value, by_key["documents_disseminated"].met) == (3, True)
    assert by_key["answer_rate"].value == 80.0
    assert by_key["helpful_percent"].value == 75.0
    assert by_key["knowledge_gaps"].value == 2


def test_without_a_roster_size_the_percent_reached_is_unknown_not_zero():
    indicators = build_indicators(Figures(distinct_users=5), staff_count=None, plan_activities=[],
                                  documents_disseminated=0, channels=[], open_gaps=0)
    reached = next(indicator for indicator in indicators if indicator.key == "staff_reached_percent")
    assert (reached.value, reached.target, reached.met) == (None, None, None)
    assert "ตั้งค่า" in reached.note and "KMBOT_" not in reached.note


def test_rates_never_divide_by_zero():
    empty = Figures()
    assert (empty.answer_rate, empty.satisfaction_percent, empty.satisfaction_mean, empty.helpful_percent) == (None, None, None, None)
    assert percent(0, 0) is None
    assert is_met(None, 80) is None and is_met(80, None) is None and is_met(80.0, 80) is True


def test_each_person_counts_with_their_latest_survey_answer():
    answers = [
        SurveyAnswer(1, datetime(2024, 1, 5, 9, tzinfo=BANGKOK), 2),
        SurveyAnswer(1, datetime(2024, 3, 5, 9, tzinfo=BANGKOK), 5),
        SurveyAnswer(2, datetime(2024, 2, 1, 9, tzinfo=BANGKOK), 4),
        SurveyAnswer(None, datetime(2024, 2, 2, 9, tzinfo=BANGKOK), 3),
        SurveyAnswer(3, datetime(2024, 2, 3, 9, tzinfo=BANGKOK), 9),  # not a score: ignored
    ]
    kept = latest_answer_per_person(answers)
    assert [(answer.user_id, answer.score) for answer in kept] == [(2, 4), (None, 3), (1, 5)]


def test_channels_are_media_not_chat_types():
    assert channel_names(["group", "1:1", "push", "line"]) == ["LINE", "เว็บไซต์"]
    assert channel_names(["group"]) == ["LINE"]


@settings(max_examples=200, deadline=None)
@given(st.lists(month_strategy, min_size=1, max_size=12), st.integers(0, 1000))
def test_totals_are_the_sum_of_the_months(months, distinct_total):
    rows = [figures_from_counts(counts, users, scores) for counts, users, scores in months]
    totals = add_figures(rows, distinct_total)
    for key in FIGURE_KEYS:
        if key == "distinct_users":
            assert totals.distinct_users == distinct_total
        else:
            assert getattr(totals, key) == sum(getattr(row, key) for row in rows)
    for figures in (*rows, totals):
        for rate in (figures.answer_rate, figures.satisfaction_percent, figures.helpful_percent):
            assert rate is None or 0.0 <= rate <= 100.0 or figures.answered > figures.questions
        assert figures.feedback_helpful >= 0 and figures.feedback_unhelpful >= 0
        assert figures.survey_satisfied <= figures.survey_responses
        if figures.satisfaction_mean is not None:
            assert 1.0 <= figures.satisfaction_mean <= 5.0


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_percent_is_within_bounds_whenever_the_part_is_within_the_whole(part, extra):
    value = percent(part, part + extra)
    assert value is None if part + extra == 0 else 0.0 <= value <= 100.0


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(fiscal_months(2567)), month_strategy))
def test_a_report_lists_every_fiscal_month_in_order_october_first(data):
    raw = RawCounts(
        kind_counts={month: counts for month, (counts, _users, _scores) in data.items()},
        month_users={month: users for month, (_counts, users, _scores) in data.items()},
        total_users=max([users for _counts, users, _scores in data.values()] or [0]),
        survey_answers=[],
    )
    report = assemble_report(raw, fiscal_year=2567, months=fiscal_months(2567), period_start=date(2023, 10, 1),
                             period_end=date(2024, 9, 30), staff_count=None, generated_at=datetime(2024, 10, 1, tzinfo=BANGKOK))
    assert [row.label for row in report.months] == [
        "2566-10", "2566-11", "2566-12", "2567-01", "2567-02", "2567-03",
        "2567-04", "2567-05", "2567-06", "2567-07", "2567-08", "2567-09",
    ]
    assert report.totals.questions == sum(row.figures.questions for row in report.months)
