"""Questions about a plan activity's facts are recognised, and answered from the activity itself."""

from __future__ import annotations


import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.activity_questions import read_activity_question

NAMES = [("CMP5", "การวัดผล"), ("KMP5", "การเข้าถึงความรู้"), ("RECOG", "การยกย่องชมเชย"), ("CMP6", "การยกย่องชมเชยและให้รางวัล")]


@pytest.mark.parametrize(
    ("question", "fact", "step", "plan"),
    [
        ("KMP 5 ต้องทำเมื่อไร", "when", "KMP5", None),
        ("kmp๕ แผนที่ ๒ ใครรับผิดชอบคะ", "who", "KMP5", 2),
        ("ใครรับผิดชอบการวัดผล", "who", "CMP5", None),
        ("CMP2 ต้องเสร็จเมื่อไหร่", "when", "CMP2", None),
        ("หลักฐานของ KMP 2 ใช้อะไร", "evidence", "KMP2", None),
        ("ตัวชี้วัด CMP 3 คืออะไร", "indicator", "CMP3", None),
        ("การยกย่องชมเชยและให้รางวัล ทำเดือนไหน", "when", "CMP6", None),
    ],
)
def test_a_question_names_a_step_and_a_fact(question, fact, step, plan):
    asked = read_activity_question(question, NAMES)

    assert asked is not None
    assert (asked.fact, asked.step, asked.plan_number) == (fact, step, plan)


TOPICS = [(1, "เทคนิคการบริหารจัดการองค์ความรู้ (KM)"),
          (2, "เพิ่มประสิทธิภาพการทำงาน โดยประชาสัมพันธ์การจัดการความรู้ของหน่วยงาน")]


@pytest.mark.parametrize(
    ("question", "facts", "step", "plan"),
    [
        # the target group is asked with "ใคร" too, and is not who is responsible
        ("แผน 1 KMP1 กลุ่มเป้าหมายคือใครคะ", ("target_group",), "KMP1", 1),
        # two facts in one question, both answered
        ("แผน 2 KMP3 ใครรับผิดชอบ กลุ่มเป้าหมายใคร", ("who", "target_group"), "KMP3", 2),
        # how a plan's activity is done is its details column
        ("CMP 3 แผน 2 ใช้เครื่องมืออะไร", ("method",), "CMP3", 2),
        # a plan named by its topic
        ("KMP6 แผนประชาสัมพันธ์ ทำผ่านช่องทางไหน", ("method",), "KMP6", 2),
        # an activity named as staff say it, without การ or ความรู้
        ("แผน 2 ขั้นแลกเปลี่ยนเรียนรู้ ตัวชี้วัดคืออะไร", ("indicator",), "KMP6", 2),
        ("แผน 1 ยกย่องชมเชยต้องเผยแพร่กี่ช่องทาง", ("target",), "RECOG", 1),
        # a plan's activity and no fact: the whole row answers
        ("แผน1 มีขั้น KMP3 ไหมคะ", ("summary",), "KMP3", 1),
    ],
)
def test_a_question_asks_the_facts_it_asks(question, facts, step, plan):
    asked = read_activity_question(question, NAMES + [("KMP6", "การแบ่งปัน แลกเปลี่ยนความรู้"), ("KMP1", "การบ่งชี้ความรู้")], TOPICS)

    assert asked is not None
    assert (asked.facts, asked.step, asked.plan_number) == (facts, step, plan)


@pytest.mark.parametrize("question", ["KMP 5 คืออะไร", "KM คืออะไร", "ใครเป็นคนคิดเรื่อง KM", "พรุ่งนี้ฝนตกไหม",
                                      "KMP6 ทำอย่างไร",  # how a step is done in general: the articles
                                      "ประเมินผลการปฏิบัติงานรอบตุลาคมต้องส่งภายในวันไหน"])
def test_other_questions_go_to_search(question):
    assert read_activity_question(question, NAMES) is None


@given(st.sampled_from(["KMP", "kmp", "KMP ", "kmp "]), st.integers(min_value=1, max_value=7), st.booleans())
def test_thai_and_arabic_digits_name_the_same_step(prefix, number, thai_digits):
    digit = "๐๑๒๓๔๕๖๗๘๙"[number] if thai_digits else str(number)

    asked = read_activity_question(f"{prefix}{digit} ต้องทำเมื่อไร")

    assert asked is not None and asked.step == f"KMP{number}"


def test_with_the_starter_pack_a_when_question_gets_the_activitys_dates(webhook, line_events, line_stub, starter_pack, database,
                                                                        sample_plan_path):
    from kb.plan_document import read_plan_file
    from kb.plan_store import save_plan_reading

    with database.session() as session:
        save_plan_reading(session, read_plan_file(sample_plan_path))

    webhook.send(line_events.text("KMP 5 แผน 2 ต้องทำเมื่อไรคะ"))

    bubble = line_stub.replies[0].body["messages"][0]["contents"]
    body_texts = [component.get("text", "") for component in bubble["body"]["contents"]]
    assert body_texts[0] == "ช่วงเวลา: KMP5 การเข้าถึงความรู้"
    assert any("๑ ก.ค. ๒๕๖๗ – ๓๐ ก.ย. ๒๕๖๗" in text and "แผนที่ ๒" in text for text in body_texts)
