"""Questions about a plan activity's own facts ("KMP 5 ต้องทำเมื่อไร", "ใครรับผิดชอบการวัดผล").

Pure text logic: which step (and plan) a question names and which fact it asks for. The
answer then comes straight from the activity's fields instead of from ranked passages, so a
"when" question gets the activity's dates and a "who" question its responsible unit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from kb.normalize import canonicalize, normalize_query

# The fact asked for -> words that ask for it (after normalisation and canonicalisation).
FACT_WORDS: dict[str, tuple[str, ...]] = {
    "when": ("period", "deadline", "กำหนดส่ง", "ครบกำหนด", "ถึงกำหนด", "เมื่อไร", "เมื่อไหร่", "ตอนไหน",
             "ช่วงไหน", "เดือนไหน", "วันไหน", "วันที่เท่าไร", "ทำช่วง", "ต้องเสร็จ"),
    "who": ("responsible", "ใคร", "ผู้รับผิดชอบ", "รับผิดชอบ", "หน่วยงานไหน", "ฝ่ายไหน", "กองไหน"),
    "evidence": ("evidence", "หลักฐาน", "เอกสารที่แสดงผล", "เอกสารอะไร"),
    "indicator": ("indicator", "ตัวชี้วัด", "kpi"),
    "target_group": ("กลุ่มเป้าหมาย",),
    "target": ("เป้าหมาย", "เป้า"),
    "status": ("เสร็จหรือยัง", "ทำแล้วหรือยัง", "ทำหรือยัง", "สถานะ", "คืบหน้า"),
}

_STEP_CODE = re.compile(r"\b(kmp|cmp)\s*([1-7])\b")
_PLAN_NUMBER = re.compile(r"\bplan\s*([0-9])\b")


@dataclass(frozen=True)
class ActivityQuestion:
    """What a question asks about an activity: its step (or name), plan number if given, and the fact."""

    fact: str
    step: str | None = None
    name: str | None = None
    plan_number: int | None = None


def read_activity_question(question: str, activity_names: Iterable[tuple[str, str]] = ()) -> ActivityQuestion | None:
    """An activity question, or None when the text does not name both an activity and a fact.

    `activity_names` are (step, name) pairs of the imported plans, so "การวัดผล" finds CMP5.
    """
    text = canonicalize(normalize_query(question))
    compact = text.replace(" ", "")
    fact = _fact_asked(text, compact)
    if fact is None:
        return None
    step = None
    match = _STEP_CODE.search(text)
    if match:
        step = f"{match.group(1).upper()}{match.group(2)}"
    name = None
    if step is None:
        for candidate_step, candidate_name in sorted(activity_names, key=lambda pair: -len(pair[1])):
            written = "".join(canonicalize(normalize_query(candidate_name)).split())
            if len(written) >= 4 and written in compact:
                step, name = candidate_step, candidate_name
                break
    if step is None:
        return None
    plan = _PLAN_NUMBER.search(text)
    return ActivityQuestion(fact=fact, step=step, name=name, plan_number=int(plan.group(1)) if plan else None)


def _fact_asked(text: str, compact: str) -> str | None:
    for fact, words in FACT_WORDS.items():
        if any((word in text.split()) if word.isascii() else (word in compact) for word in words):
            return fact
    return None
