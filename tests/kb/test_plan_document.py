"""Reading a KM plan's activity tables: the real FY 2567 plan, and the CSV/YAML template."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from kb.plan_document import (
    ActivityDraft,
    PlanFormatError,
    PlanReading,
    read_plan_csv,
    read_plan_file,
    read_plan_text,
    read_plan_yaml,
)

TEMPLATE_DOC = Path(__file__).resolve().parents[2] / "docs" / "plan-template.md"


@pytest.fixture(scope="module")
def sample(sample_plan_path) -> PlanReading:  # type: ignore[no-untyped-def]
    return read_plan_file(sample_plan_path)


def activity(reading: PlanReading, plan: int, step: str) -> ActivityDraft:
    (found,) = [a for a in reading.activities if a.plan == plan and a.step == step]
    return found


# --- the sample plan ----------------------------------------------------------------------------


def test_the_sample_has_two_plans_for_fiscal_year_2567(sample: PlanReading) -> None:
    assert [plan.number for plan in sample.plans] == [1, 2]
    assert {plan.fiscal_year for plan in sample.plans} == {2567}
    first, second = sample.plans
    assert first.knowledge == "เทคนิคการบริหารจัดการองค์ความรู้ (KM)"
    assert second.knowledge == "เพิ่มประสิทธิภาพการทำงาน โดยประชาสัมพันธ์การจัดการความรู้ของหน่วยงาน"
    assert first.unit == second.unit == "กองยุทธศาสตร์และงบประมาณ"
    assert first.title.startswith("ตารางที่ ๒.๒ แผนการจัดการความรู้ (KM Action Plan) ที่ ๑")
    assert len(sample.activities) == 26


def test_plan_1_lacks_rows_3_and_4_and_has_the_whole_change_process(sample: PlanReading) -> None:
    plan = sample.plans[0]
    knowledge_rows = [(a.number, a.step) for a in plan.activities if not a.step.startswith("CMP")]
    assert knowledge_rows == [
        (1, "KMP1"), (2, "KMP2"), (5, "KMP5"), (6, "KMP6"), (7, "KMP7"), (8, "RECOG"),
    ]  # fmt: skip
    change_steps = [a.step for a in plan.activities if a.step.startswith("CMP")]
    assert change_steps == [f"CMP{n}" for n in range(1, 7)]


def test_plan_2_has_every_step(sample: PlanReading) -> None:
    steps = [a.step for a in sample.plans[1].activities]
    assert steps == [f"KMP{n}" for n in range(1, 8)] + ["RECOG"] + [f"CMP{n}" for n in range(1, 7)]
    assert [a.number for a in sample.plans[1].activities][:8] == list(range(1, 9))


@pytest.mark.parametrize(
    ("plan", "step", "period_text", "start", "deadline", "open_ended"),
    [
        (2, "KMP1", "ธ.ค. ๒๕๖๖ - ก.พ. ๒๕๖๗", date(2023, 12, 1), date(2024, 2, 29), False),
        (2, "KMP5", "ก.ค. ๒๕๖๗ เป็นต้นไป", date(2024, 7, 1), date(2024, 9, 30), True),
        (1, "KMP2", "เม.ย. - พ.ค. ๒๕๖๗  เม.ย. - พ.ค. ๒๕๖๗", date(2024, 4, 1), date(2024, 5, 31), False),
        (1, "KMP7", "ก.ย. ๒๕๖๗ เป็นต้นไป", date(2024, 9, 1), date(2024, 9, 30), True),
        (1, "RECOG", "ก.ย. ๒๕๖๗", date(2024, 9, 1), date(2024, 9, 30), False),
        (1, "CMP1", "ธ.ค. ๒๕๖๖ - ม.ค. ๒๕๖๗", date(2023, 12, 1), date(2024, 1, 31), False),
        (1, "CMP5", "ภายในเดือนส.ค. - ก.ย. ๒๕๖๗", date(2024, 8, 1), date(2024, 9, 30), False),
        (2, "CMP1", "ธ.ค. ๒๕๖๖ เป็นต้นไป", date(2023, 12, 1), date(2024, 9, 30), True),
        (2, "CMP6", "ภายในเดือนก.ย. ๒๕๖๗", date(2024, 9, 1), date(2024, 9, 30), False),
        (2, "KMP2", "เม.ย. ๒๕๖๗", date(2024, 4, 1), date(2024, 4, 30), False),
    ],
)
def test_dates_of_sample_rows(
    sample: PlanReading,
    plan: int,
    step: str,
    period_text: str,
    start: date,
    deadline: date,
    open_ended: bool,
) -> None:
    row = activity(sample, plan, step)
    assert row.period_text == period_text
    assert (row.start, row.deadline, row.open_ended) == (start, deadline, open_ended)


def test_exactly_the_two_unreadable_periods_are_flagged(sample: PlanReading) -> None:
    assert [(a.plan, a.step) for a in sample.unreadable_activities] == [(1, "KMP1"), (2, "KMP4")]
    for row in sample.activities:
        if (row.plan, row.step) not in {(1, "KMP1"), (2, "KMP4")}:
            assert row.period.certain and row.deadline is not None
    unreadable = [w for w in sample.warnings if "อ่านระยะเวลา" in w]
    assert len(unreadable) == 2
    jo_kho, mi_yo = unreadable
    assert jo_kho.startswith("แผนที่ ๑ ตารางที่ ๒.๒ ลำดับที่ ๑ (KMP1)")
    assert "จ.ค. ๒๕๖๖" in jo_kho and "ต.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗ หรือ ธ.ค. ๒๕๖๖ - มี.ค. ๒๕๖๗" in jo_kho
    assert mi_yo.startswith("แผนที่ ๒ ตารางที่ ๒.๓ ลำดับที่ ๔ (KMP4)")
    assert "มี.ย. ๒๕๖๗" in mi_yo and "ข้อเสนอ: มิ.ย. ๒๕๖๗" in mi_yo


def test_the_unreadable_june_is_narrowed_by_its_neighbours(sample: PlanReading) -> None:
    row = activity(sample, 2, "KMP4")
    assert (row.start, row.deadline) == (None, None)
    assert row.period.candidates == ("มิ.ย. ๒๕๖๗",)


def test_the_gap_in_plan_1_and_the_kmip_typo_are_warned(sample: PlanReading) -> None:
    assert sample.plans[0].warnings == ("ตารางที่ ๒.๒: ไม่มีลำดับที่ ๓–๔ และไม่มีขั้นตอน KMP3, KMP4",)
    assert sample.plans[1].warnings == ()
    typos = [w for w in sample.warnings if "KMIP" in w]
    assert len(typos) == 2
    assert "ลำดับที่ ๑ (KMP1)" in typos[0] and "ลำดับที่ ๒ (KMP2)" in typos[1]


def test_the_whole_list_of_warnings(sample: PlanReading) -> None:
    # Gap, two KMIP typos, two unreadable periods, and the note on the period written twice.
    assert len(sample.warnings) == 6
    assert sum("เขียนซ้ำ" in w for w in sample.warnings) == 1


def test_activity_cells_are_split_and_cleaned(sample: PlanReading) -> None:
    access = activity(sample, 1, "KMP5")
    assert access.name == "การเข้าถึงความรู้"
    assert access.details.startswith("แลกเปลี่ยนเรียนรู้ของบุคลากร")
    assert access.target_group == "บุคลากรทั้งใน และนอกสังกัด"
    creation = activity(sample, 1, "KMP2")
    assert creation.responsible == "ฝ่ายส่งเสริม และเผยแพร่ วิชาการ; เจ้าหน้าที่ที่ เกี่ยวข้อง"
    assert creation.indicator == "ข้อมูลเชิงปริมาณ; ข้อมูลเชิงคุณภาพ"
    recognition = activity(sample, 2, "RECOG")
    assert (recognition.name, recognition.details) == ("การยกย่องชมเชย", "การให้รางวัล")
    assert recognition.evidence == "กิจกรรมการยกย่องชมเชย"


def test_change_rows_take_the_method_as_details_and_have_no_target_group(sample: PlanReading) -> None:
    preparing = activity(sample, 2, "CMP1")
    assert preparing.name == "การเตรียมการและปรับเปลี่ยนพฤติกรรม"
    assert preparing.details == "ส่งเสริมให้บุคลากรในสังกัด อบจ.ปทุมธานีเห็นความสำคัญของการจัดการความรู้"
    assert preparing.responsible == "หัวหน้าส่วนราชการแต่ละส่วน"
    assert (preparing.target_group, preparing.evidence) == ("", "")
    tools = activity(sample, 2, "CMP3")
    assert tools.details.startswith("การค้นหา; การถ่ายทอด; แลกเปลี่ยนความรู้; มีการจัดทำบอร์ด")
    assert activity(sample, 1, "CMP5").target == "รายงานผล อย่างน้อยปีละ ๑ ครั้ง"


# --- other plan texts ---------------------------------------------------------------------------

HEADER = "\t".join(
    [
        "ที่", "กิจกรรมการจัดการความรู้", "ระยะเวลา", "ตัวชี้วัด", "เป้าหมายตัวชี้วัด",
        "กลุ่มเป้าหมาย", "ผู้รับผิดชอบ", "เอกสารที่แสดงผลสำเร็จของงาน",
    ]
)  # fmt: skip


def test_a_cell_broken_over_two_lines_and_html_breaks_are_joined_with_spaces() -> None:
    text = "\n".join(
        [
            "แผนการจัดการความรู้ ประจำปีงบประมาณ พ.ศ. ๒๕๖๘",
            "ตารางที่ ๑ แผนการจัดการความรู้ (KM Action Plan) ที่ ๑ เรื่อง “การเบิกจ่าย”",
            HEADER,
            "๑.\tการบ่งชี้ความรู้ (KMP ๑)<br>ประชุมคณะทำงาน\tพ.ย. ๒๕๖๗"
            "\t- รายงาน\t- ๑ ฉบับ\t- คณะทำงาน\t- ฝ่ายแผน\t- รายงานการประชุม",
            "\tและสรุปผล\t\t\t\t\t\t",
        ]
    )
    reading = read_plan_text(text, source="inline")
    (row,) = reading.activities
    assert row.details == "ประชุมคณะทำงาน และสรุปผล"
    assert (row.start, row.deadline) == (date(2024, 11, 1), date(2024, 11, 30))
    assert reading.plans[0].fiscal_year == 2568
    assert reading.plans[0].knowledge == "การเบิกจ่าย"
    assert any("ไม่พบตารางกระบวนการบริหารจัดการการเปลี่ยนแปลง" in w for w in reading.warnings)


def test_text_without_plan_tables_reads_no_plans_and_says_so() -> None:
    reading = read_plan_text("บันทึกข้อความ\nไม่มีตาราง", source="memo.txt")
    assert reading.plans == ()
    assert reading.warnings and "ไม่พบตาราง" in reading.warnings[0]


# --- the template ---------------------------------------------------------------------------------


def template_example(language: str) -> str:
    # The template is part of the repository: without it the documented examples are untested.
    assert TEMPLATE_DOC.exists(), f"{TEMPLATE_DOC} is missing"
    blocks = re.findall(rf"```{language}\n(.*?)```", TEMPLATE_DOC.read_text(encoding="utf-8"), re.S)
    return blocks[0]


def test_the_documented_csv_example_imports() -> None:
    reading = read_plan_csv(template_example("csv"), "plan-template.md")
    (plan,) = reading.plans
    assert plan.fiscal_year == 2567
    assert plan.knowledge.startswith("เพิ่มประสิทธิภาพการทำงาน")
    assert plan.unit == "กองยุทธศาสตร์และงบประมาณ"
    assert [a.step for a in plan.activities] == ["KMP1", "KMP4", "KMP5", "CMP5"]
    processing = plan.activities[1]
    assert processing.period_text == "มี.ย. ๒๕๖๗" and not processing.period.certain
    assert (processing.start, processing.deadline) == (date(2024, 6, 1), date(2024, 6, 30))
    assert reading.unreadable_activities == ()
    assert not any("มี.ย." in w for w in reading.warnings)
    assert plan.activities[3].table == "ตารางกระบวนการบริหารจัดการการเปลี่ยนแปลง"


def test_the_documented_yaml_example_imports() -> None:
    reading = read_plan_yaml(template_example("yaml"), "plan-template.md")
    (plan,) = reading.plans
    assert (plan.number, plan.fiscal_year) == (1, 2567)
    assert plan.knowledge == "เทคนิคการบริหารจัดการองค์ความรู้ (KM)"
    identify, recognition, communication = plan.activities
    assert (identify.start, identify.deadline) == (date(2023, 12, 1), date(2024, 3, 31))
    assert (recognition.step, recognition.start, recognition.deadline) == (
        "RECOG",
        date(2024, 9, 1),
        date(2024, 9, 20),
    )
    assert communication.step == "CMP2" and communication.responsible == ""


def test_csv_with_a_byte_order_mark_thai_digit_steps_and_the_kmip_typo() -> None:
    text = (
        "\ufeffplan,fiscal_year,number,step,name,period\n"
        "1,2567,5,KMP ๕,,ก.ค. ๒๕๖๗ เป็นต้นไป\n"
        "1,2567,2,KMIP2,การสร้างและแสวงหาความรู้,เม.ย. ๒๕๖๗\n"
        "1,2567,8,RECOG,,ก.ย. ๒๕๖๗\n"
        "1,2567,3,,การจัดความรู้ให้เป็นระบบ,พ.ค. ๒๕๖๗\n"
    )
    reading = read_plan_csv(text, "plan.csv")
    steps = [(a.step, a.name) for a in reading.activities]
    assert steps == [
        ("KMP5", "การเข้าถึงความรู้"),
        ("KMP2", "การสร้างและแสวงหาความรู้"),
        ("RECOG", "การยกย่องชมเชย"),
        ("KMP3", "การจัดความรู้ให้เป็นระบบ"),
    ]
    assert reading.activities[0].open_ended
    assert any("KMIP2" in w for w in reading.warnings)


@pytest.mark.parametrize(
    ("written_deadline", "deadline"),
    [
        ("2024-06-30", date(2024, 6, 30)),
        ("2567-06-30", date(2024, 6, 30)),
        ("30/06/2567", date(2024, 6, 30)),
        ("๓๐ มิ.ย. ๒๕๖๗", date(2024, 6, 30)),
        ("มิ.ย. ๒๕๖๗", date(2024, 6, 30)),
        ("15 มิ.ย. 67", date(2024, 6, 15)),
    ],
)
def test_explicit_deadlines_in_the_forms_offices_write(written_deadline: str, deadline: date) -> None:
    text = (
        "plan,fiscal_year,number,step,period,start,deadline\n"
        f"1,2567,4,KMP4,มี.ย. ๒๕๖๗,มิ.ย. ๒๕๖๗,{written_deadline}\n"
    )
    (row,) = read_plan_csv(text).activities
    assert (row.start, row.deadline) == (date(2024, 6, 1), deadline)
    assert row.warnings == ()


def test_an_unreadable_period_without_explicit_dates_stays_unreadable_in_csv() -> None:
    text = "plan,fiscal_year,number,step,period\n1,2567,4,KMP4,มี.ย. ๒๕๖๗\n"
    reading = read_plan_csv(text)
    assert [a.step for a in reading.unreadable_activities] == ["KMP4"]
    assert any("ข้อเสนอ: มิ.ย. ๒๕๖๗" in w for w in reading.warnings)


def test_an_unreadable_explicit_date_is_reported() -> None:
    text = "plan,fiscal_year,number,step,period,deadline\n1,2567,1,KMP1,ก.ย. ๒๕๖๗,ปลายเดือน\n"
    (row,) = read_plan_csv(text).activities
    assert row.deadline == date(2024, 9, 30)
    assert any("ปลายเดือน" in w for w in row.warnings)


def test_a_missing_year_in_the_template_comes_from_its_fiscal_year() -> None:
    text = "plan,fiscal_year,number,step,period\n1,2567,1,KMP1,พ.ย. - ม.ค.\n"
    (row,) = read_plan_csv(text).activities
    assert (row.start, row.deadline) == (date(2023, 11, 1), date(2024, 1, 31))
    assert row.warnings


def test_csv_without_the_required_columns_is_refused() -> None:
    with pytest.raises(PlanFormatError):
        read_plan_csv("plan,number\n1,1\n")


def test_unknown_csv_columns_are_reported() -> None:
    reading = read_plan_csv("step,period,budget\nKMP1,ก.ย. ๒๕๖๗,5000\n")
    assert any("budget" in w for w in reading.warnings)


def test_yaml_as_a_plain_list_of_activities() -> None:
    text = "- {plan: 2, fiscal_year: 2567, step: CMP3, period: 'ม.ค. - ก.ย. ๒๕๖๗'}\n"
    (row,) = read_plan_yaml(text).activities
    assert (row.plan, row.step) == (2, "CMP3")
    assert (row.start, row.deadline) == (date(2024, 1, 1), date(2024, 9, 30))


def test_broken_yaml_is_refused() -> None:
    with pytest.raises(PlanFormatError):
        read_plan_yaml("activities: [unclosed")


def test_files_are_read_by_their_extension(tmp_path: Path) -> None:
    (tmp_path / "plan.yml").write_text("- {step: KMP1, period: ก.ย. ๒๕๖๗}\n", encoding="utf-8")
    (tmp_path / "plan.csv").write_text("step,period\nKMP1,ก.ย. ๒๕๖๗\n", encoding="utf-8")
    (tmp_path / "plan.docx").write_bytes(b"PK")
    assert read_plan_file(tmp_path / "plan.yml").activities[0].deadline == date(2024, 9, 30)
    assert read_plan_file(tmp_path / "plan.csv").source.endswith("plan.csv")
    with pytest.raises(PlanFormatError):
        read_plan_file(tmp_path / "plan.docx")
