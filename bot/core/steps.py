"""The KM plan's step vocabulary: the step codes, their Thai names, and how people write them.

The OPDC (ก.พ.ร.) KM model has seven knowledge-management steps (KMP 1-7) and six
change-management steps (CMP 1-6); the office's plans add a recognition row (การยกย่องชมเชย)
to the knowledge table without a code, stored as ``RECOG``. Codes are written many ways: "KMP 5",
"KMP๕", "kmp5", "(CMP ๓)", and the sample plan's misprint "KMIP ๑". Every module that reads or
shows a step code uses this table and `STEP_CODE`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from pythainlp.util import thai_digit_to_arabic_digit

Section = Literal["knowledge", "change"]

RECOGNITION = "RECOG"


@dataclass(frozen=True)
class Step:
    code: str
    section: Section
    names: tuple[str, ...]
    """Thai names as plans write them; the first is the one the bot shows."""
    nicknames: tuple[str, ...] = ()
    """What staff call the activity besides its name ("แลกเปลี่ยนเรียนรู้" for KMP 6)."""

    @property
    def name(self) -> str:
        return self.names[0]


STEPS: dict[str, Step] = {
    step.code: step
    for step in (
        Step("KMP1", "knowledge", ("การบ่งชี้ความรู้",)),
        Step("KMP2", "knowledge", ("การสร้างและแสวงหาความรู้",)),
        Step("KMP3", "knowledge", ("การจัดความรู้ให้เป็นระบบ", "การจัดการความรู้ให้เป็นระบบ")),
        Step("KMP4", "knowledge", ("การประมวลและกลั่นกรองความรู้",)),
        Step("KMP5", "knowledge", ("การเข้าถึงความรู้",)),
        Step("KMP6", "knowledge", ("การแบ่งปันแลกเปลี่ยนความรู้",), ("แลกเปลี่ยนเรียนรู้", "แบ่งปันความรู้")),
        Step("KMP7", "knowledge", ("การเรียนรู้",)),
        Step(RECOGNITION, "knowledge", ("การยกย่องชมเชย",)),
        Step("CMP1", "change", ("การเตรียมการและปรับเปลี่ยนพฤติกรรม",)),
        Step("CMP2", "change", ("การสื่อสาร",)),
        Step("CMP3", "change", ("กระบวนการและเครื่องมือ",)),
        Step("CMP4", "change", ("การฝึกอบรมและการเรียนรู้",)),
        Step("CMP5", "change", ("การวัดผล",), ("วัดผล",)),
        Step("CMP6", "change", ("การยกย่องชมเชยและให้รางวัล",)),
    )
}
"""Every step, in plan order: the knowledge table (KMP1-7, RECOG), then the change table."""

MISPRINTED_PREFIXES = {"KMIP": "KMP"}
"""Prefixes seen in real plans that mean another one."""

STEP_CODE = re.compile(
    r"(?<![A-Za-z])(?:"
    r"(?P<prefix>KMI?P|CMP)\s*[-.]?\s*(?P<number>[0-9๐-๙]+)"
    r"|(?P<recognition>RECOG(?:NITION)?)"
    r")(?![A-Za-z0-9๐-๙])",
    re.IGNORECASE,
)
"""A step code as written: "KMP 5", "KMP๕", "kmp-5", "KMIP ๑", "CMP3", "RECOG"."""


def code_of(match: re.Match[str]) -> str:
    """The canonical code ("KMP5", "RECOG") of a `STEP_CODE` match; not necessarily a known step."""
    if match.group("recognition"):
        return RECOGNITION
    prefix = match.group("prefix").upper()
    prefix = MISPRINTED_PREFIXES.get(prefix, prefix)
    return f"{prefix}{int(thai_digit_to_arabic_digit(match.group('number')))}"


def is_misprint(match: re.Match[str]) -> bool:
    """True when the match used a misprinted prefix such as "KMIP"."""
    prefix = match.group("prefix")
    return prefix is not None and prefix.upper() in MISPRINTED_PREFIXES


def normalise_code(text: str) -> str | None:
    """"KMP 5", "kmp๕", "KMIP 5" -> "KMP5"; None when the text is not exactly a known step's code."""
    match = STEP_CODE.fullmatch(text.strip())
    if match is None:
        return None
    code = code_of(match)
    return code if code in STEPS else None


def step_name(code: str) -> str:
    """The Thai name of a step ("KMP5" -> "การเข้าถึงความรู้"); KeyError for an unknown code."""
    return STEPS[code].name


def section_steps(section: Section) -> tuple[str, ...]:
    """The codes of one table of the plan, in order."""
    return tuple(code for code, step in STEPS.items() if step.section == section)
