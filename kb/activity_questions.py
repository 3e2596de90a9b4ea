"""Questions about a plan activity's own facts ("KMP 5 ต้องทำเมื่อไร", "ใครรับผิดชอบการวัดผล").

Pure text logic: which step (and plan) a question names and which facts it asks for. The
answer then comes straight from the activity's fields instead of from ranked passages, so a
"when" question gets the activity's dates and a "who" question its responsible unit. A
question that names an activity of a plan but none of its facts ("CMP3 แผน 2 ใช้เครื่องมืออะไร")
is answered with the activity's whole row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from bot.core.steps import STEP_CODE, STEPS, code_of
from kb.normalize import canonicalize, normalize_query
from kb.tokenizer import word_starts

# The fact asked for -> words that ask for it (after normalisation and canonicalisation).
# Where one word is part of another ("เป้าหมาย" of "กลุ่มเป้าหมาย"), the longer one wins.
FACT_WORDS: dict[str, tuple[str, ...]] = {
    "when": ("period", "deadline", "กำหนดส่ง", "ครบกำหนด", "ถึงกำหนด", "เมื่อไร", "เมื่อไหร่", "ตอนไหน",
             "ช่วงไหน", "เดือนไหน", "วันไหน", "วันที่เท่าไร", "ทำช่วง", "ต้องเสร็จ", "ระยะเวลา", "เริ่ม"),
    "who": ("responsible", "ใคร", "ผู้รับผิดชอบ", "รับผิดชอบ", "หน่วยงานไหน", "ฝ่ายไหน", "กองไหน"),
    "evidence": ("evidence", "หลักฐาน", "เอกสารที่แสดงผล", "เอกสารอะไร", "เอกสารผลสำเร็จ"),
    "indicator": ("indicator", "ตัวชี้วัด", "kpi", "วัดจากอะไร"),
    "target_group": ("กลุ่มเป้าหมาย",),
    "target": ("เป้าหมาย", "เป้า", "กี่ครั้ง", "กี่ช่องทาง", "กี่เรื่อง", "กี่คน", "กี่รายการ"),
    "method": ("ทำอย่างไร", "ทำยังไง", "ทำไง", "ต้องทำอะไร", "ทำอะไร", "วิธี", "เครื่องมือ", "ช่องทาง",
               "รายละเอียด", "กิจกรรมอะไร", "ยังไง", "อย่างไร"),
    "status": ("เสร็จหรือยัง", "ทำแล้วหรือยัง", "ทำหรือยัง", "สถานะ", "คืบหน้า"),
}
# "ใคร" asks who is responsible, unless the question is about the target group.
_WHO_ONLY_BY_ITSELF = "ใคร"

_PLAN_NUMBER = re.compile(r"\bplan\s*([0-9])\b")
_LEADING_NOUN = "การ"
_TRAILING_OBJECT = "ความรู้"


@dataclass(frozen=True)
class ActivityQuestion:
    """What a question asks about an activity: its step (or name), plan number if given, and the
    facts, in the order asked ("summary" when it names a plan's activity and no fact)."""

    fact: str
    step: str | None = None
    name: str | None = None
    plan_number: int | None = None
    facts: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.facts:
            object.__setattr__(self, "facts", (self.fact,))


def read_activity_question(
    question: str,
    activity_names: Iterable[tuple[str, str]] = (),
    plan_topics: Iterable[tuple[int, str]] = (),
) -> ActivityQuestion | None:
    """An activity question, or None when the text does not name an activity and what is asked.

    `activity_names` are (step, name) pairs of the imported plans, so "การวัดผล" finds CMP5;
    `plan_topics` are (plan number, knowledge topic), so "แผนประชาสัมพันธ์" finds plan 2.
    """
    written = normalize_query(question)
    text = canonicalize(written)
    compact = text.replace(" ", "")
    facts = facts_asked(text, compact)
    step, name = _step_named(text, written.replace(" ", ""), list(activity_names))
    if step is None:
        return None
    plan = _PLAN_NUMBER.search(text)
    plan_number = int(plan.group(1)) if plan else _plan_by_topic(compact, list(plan_topics))
    if plan_number is None:
        # How a step is done in general is what the articles explain; a plan's own method is
        # asked with its plan.
        facts = tuple(fact for fact in facts if fact != "method")
    if not facts:
        if plan_number is None:
            return None  # "KMP1 คืออะไร" is about the step in general: the articles answer it
        facts = ("summary",)
    return ActivityQuestion(fact=facts[0], step=step, name=name, plan_number=plan_number, facts=facts)


def facts_asked(text: str, compact: str) -> tuple[str, ...]:
    """Every fact the question asks for, in the order it asks them."""
    found: list[tuple[int, int, str]] = []  # (start, end, fact)
    words = text.split()
    for fact, fact_words in FACT_WORDS.items():
        for word in fact_words:
            if word.isascii():
                if word in words:
                    found.append((compact.find(word), compact.find(word) + len(word), fact))
                continue
            start = compact.find(word)
            while start != -1:
                found.append((start, start + len(word), fact))
                start = compact.find(word, start + 1)
    # A match inside a longer match is the longer word's.
    kept = [
        (start, end, fact) for start, end, fact in found
        if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in found)
    ]
    facts = [fact for _, _, fact in sorted(kept)]
    if "target_group" in facts and "who" in facts and not any(
        (word in words) if word.isascii() else (word in compact)
        for word in FACT_WORDS["who"] if word != _WHO_ONLY_BY_ITSELF
    ):
        facts = [fact for fact in facts if fact != "who"]
    return tuple(dict.fromkeys(facts))


def _step_named(text: str, written: str, activity_names: list[tuple[str, str]]) -> tuple[str | None, str | None]:
    """The step a question names: by its code (canonical text), else by the activity's name or
    a nickname as written (the canonical text has already turned a full name into its code)."""
    match = STEP_CODE.search(text)
    if match and code_of(match) in STEPS:
        return code_of(match), None
    starts: frozenset[int] | None = None
    for candidate_step, candidate_name in sorted(activity_names, key=lambda pair: -len(pair[1])):
        for form in _written_forms(candidate_name):
            if form in written:
                starts = word_starts(written) if starts is None else starts
                if _named_at(written, form, starts):
                    return candidate_step, form
    for step in STEPS.values():
        for nickname in step.nicknames:
            if nickname in written and any(candidate == step.code for candidate, _ in activity_names):
                starts = word_starts(written) if starts is None else starts
                if _named_at(written, nickname, starts):
                    return step.code, nickname
    return None, None


def _named_at(written: str, name: str, starts: frozenset[int]) -> bool:
    """Whether `name` occurs in `written` starting where a word starts: "ตัวชี้วัดผลสัมฤทธิ์"
    (an indicator of achievement) does not name the activity การวัดผล."""
    position = written.find(name)
    while position != -1:
        if position in starts:
            return True
        position = written.find(name, position + 1)
    return False


def _written_forms(name: str) -> list[str]:
    """A name as staff may write it: whole, without its leading การ, without a trailing ความรู้."""
    whole = "".join(normalize_query(name).split())
    forms = [whole]
    bare = whole.removeprefix(_LEADING_NOUN)
    if bare != whole:
        forms.append(bare)
    short = bare.removesuffix(_TRAILING_OBJECT)
    if short != bare:
        forms.append(short)
    return [form for form in forms if len(form) >= 4]


def _plan_by_topic(compact: str, plan_topics: list[tuple[int, str]]) -> int | None:
    """The plan a question names by a word of its topic that no other plan's topic has."""
    for number, topic in plan_topics:
        others = "".join(other for other_number, other in plan_topics if other_number != number)
        for word in canonicalize(normalize_query(topic)).split():
            if len(word) >= 5 and word not in others and f"แผน{word}" in compact:
                return number
    return None
