"""The KM step vocabulary: one table of codes and Thai names, one pattern for how codes are written."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pythainlp.util import arabic_digit_to_thai_digit

from bot.core.steps import (
    RECOGNITION,
    STEP_CODE,
    STEPS,
    code_of,
    is_misprint,
    normalise_code,
    section_steps,
    step_name,
)

known_steps = st.sampled_from([code for code in STEPS if code != RECOGNITION])


def test_the_table_holds_the_opdc_steps_in_plan_order() -> None:
    assert section_steps("knowledge") == ("KMP1", "KMP2", "KMP3", "KMP4", "KMP5", "KMP6", "KMP7", RECOGNITION)
    assert section_steps("change") == ("CMP1", "CMP2", "CMP3", "CMP4", "CMP5", "CMP6")


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("KMP 5", "KMP5"),
        ("KMP๕", "KMP5"),
        ("kmp5", "KMP5"),
        ("KMP-5", "KMP5"),
        ("CMP3", "CMP3"),
        ("CMP ๓", "CMP3"),
        ("KMIP ๑", "KMP1"),
        ("recog", RECOGNITION),
        ("RECOGNITION", RECOGNITION),
    ],
)
def test_every_way_of_writing_a_code_is_read(written: str, code: str) -> None:
    assert normalise_code(written) == code


@pytest.mark.parametrize("written", ["KMP8", "CMP7", "KMP", "KMP 5 x", "XKMP5", "KMP55", "", "การเข้าถึงความรู้"])
def test_what_is_not_a_known_code_is_none(written: str) -> None:
    assert normalise_code(written) is None


def test_the_misprint_is_read_and_noticed() -> None:
    match = STEP_CODE.search("การบ่งชี้ความรู้ (KMIP ๑) การประชุม")
    assert match is not None and code_of(match) == "KMP1" and is_misprint(match)
    match = STEP_CODE.search("การเข้าถึงความรู้ (KMP ๕) แลกเปลี่ยน")
    assert match is not None and code_of(match) == "KMP5" and not is_misprint(match)


def test_thai_names() -> None:
    assert step_name("KMP5") == "การเข้าถึงความรู้"
    assert step_name("CMP6") == "การยกย่องชมเชยและให้รางวัล"
    assert step_name(RECOGNITION) == "การยกย่องชมเชย"
    with pytest.raises(KeyError):
        step_name("KMP9")


@given(
    code=known_steps,
    case=st.sampled_from([str.upper, str.lower, str.title]),
    gap=st.sampled_from(["", " ", "  ", "-", " - ", "."]),
    thai=st.booleans(),
)
def test_any_spelling_of_a_known_code_normalises_to_it(code: str, case, gap: str, thai: bool) -> None:
    prefix, number = code[:3], code[3:]
    written = case(prefix) + gap + (arabic_digit_to_thai_digit(number) if thai else number)
    assert normalise_code(written) == code


@given(code=known_steps, before=st.text(alphabet="กขคง ()", max_size=8), after=st.text(alphabet="กขคง ()", max_size=8))
def test_a_code_is_found_inside_thai_text(code: str, before: str, after: str) -> None:
    match = STEP_CODE.search(f"{before}{code}{after}")
    assert match is not None and code_of(match) == code


def test_every_code_and_name_of_the_sample_plan_is_in_the_table(sample_plan_path: Path) -> None:
    text = sample_plan_path.read_text(encoding="utf-8")
    codes = {code_of(match) for match in STEP_CODE.finditer(text)}
    assert codes <= set(STEPS)
    assert codes >= {code for code in STEPS if code != RECOGNITION}
    for code in STEPS:
        assert any(name in text.replace(" ", "") for name in STEPS[code].names), code
