"""Normalisation and canonical terms: examples from real messages, and properties."""

from __future__ import annotations

import os
import re

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.normalize import (
    _KAN_GUARD,
    _NO_DEPENDENT_SIGN,
    CANONICAL_TERMS,
    MONTHS,
    THAI_ABBREVIATIONS,
    _canonical_pattern,
    canonical_token,
    canonicalize,
    expand_synonyms,
    normalize_query,
    normalize_text,
    strip_trigger,
)
from kb.tokenizer import tokenize

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\ufeff", "\u2060"]

# Text that looks like what staff type: Thai letters and marks, digits of both kinds, Latin,
# punctuation, spaces, and the invisible characters copy-paste brings along.
thai_like_text = st.text(
    alphabet=st.one_of(
        st.characters(min_codepoint=0x0E01, max_codepoint=0x0E5B),
        st.sampled_from(list("abcKMPxyz0123456789 %?!.,-()/:\n\t") + ZERO_WIDTH),
    ),
    max_size=40,
)
any_text = st.text(max_size=40)

hypothesis_settings = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


# --- examples -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("๒๕๖๗", "2567"),
        ("ร้อยละ ๘๐", "ร้อยละ 80"),
        ("ส\u200bวัส\u200cดี\u200dครับ\ufeff\u2060", "สวัสดีครับ"),
        ("KM\x00 คือ\x07อะไร", "km คืออะไร"),
        # Decomposed sara am (nikhahit + sara aa), also with the tone mark typed in between.
        ("ทํา", "ทำ"),
        ("น\u0e4d\u0e49\u0e32", "น้ำ"),
        ("น\u0e49\u0e4d\u0e32", "น้ำ"),
        ("เเผน", "แผน"),
        # Emphasis by repetition.
        ("ดีมากกกก", "ดีมาก"),
        ("ครับบบบ", "ครับ"),
        ("ดีมากกกกเลย", "ดีมากเลย"),
        ("ดีีีี", "ดี"),
        ("ทำไม??", "ทำไม"),
        ("จริงหรอ?!!!", "จริงหรอ"),
        ("ก่อน?? หลัง", "ก่อน? หลัง"),
        # Real words with repeated letters survive.
        ("ระบบบริหาร", "ระบบบริหาร"),
        ("ระบบบบบ", "ระบบ"),
        ("คะแนนนิยม", "คะแนนนิยม"),
        # Digits are never collapsed: "55555" stays a number, thousands separators go.
        ("55555", "55555"),
        ("1,000,000 บาท", "1000000 บาท"),
        # Spacing, case, noise at the ends.
        ("  KMP   5\n\tใคร ", "kmp 5 ใคร"),
        ("ＫＭＰ５", "kmp5"),
        ("- ข้อแรก ...", "ข้อแรก"),
        ("ต่าง ๆ นานา", "ต่างๆ นานา"),
        ("ต่างๆนานา", "ต่างๆ นานา"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize_text_examples(written: str, expected: str) -> None:
    assert normalize_text(written) == expected


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("?KM คืออะไร", "km คืออะไร"),
        ("? KM คืออะไร", "km คืออะไร"),
        ("ถาม KM คืออะไร", "km คืออะไร"),
        ("ถาม: KM คืออะไร??", "km คืออะไร"),
        # ถาม as part of a word is not a trigger.
        ("ถามตอบเรื่อง KM", "ถามตอบเรื่อง km"),
    ],
)
def test_normalize_query_strips_group_trigger(message: str, expected: str) -> None:
    assert normalize_query(message) == expected


def test_strip_trigger_leaves_ordinary_text() -> None:
    assert strip_trigger("KM คืออะไร") == "KM คืออะไร"


@pytest.mark.parametrize(
    "forms",
    [
        ["เปอร์เซ็นต์", "ร้อยละ", "%", "percent"],
        ["ปีงบ", "ปีงบประมาณ"],
        ["ขั้นตอน", "ขั้น"],
        ["อบจ.", "อบจ", "องค์การบริหารส่วนจังหวัด"],
        ["KM", "เคเอ็ม", "การจัดการความรู้", "km"],
        ["KMP", "กระบวนการจัดการความรู้", "ขั้นตอนการจัดการความรู้"],
        ["KMP5", "KMP 5", "kmp๕", "KMP ๕", "kmp-5"],
        ["KMIP 1", "KMP1"],
        ["CMP", "การบริหารการเปลี่ยนแปลง", "กระบวนการบริหารจัดการการเปลี่ยนแปลง"],
        ["CMP 3", "cmp๓"],
        ["ก.พ.ร.", "กพร", "สำนักงานคณะกรรมการพัฒนาระบบราชการ"],
        ["LPA", "lpa", "Local Performance Assessment"],
        ["tacit", "Tacit Knowledge", "ความรู้ฝังลึก", "ความรู้ที่ฝังอยู่ในคน"],
        ["explicit", "Explicit Knowledge", "ความรู้ที่ชัดแจ้ง", "ความรู้ที่ชัดเจน"],
    ],
)
def test_interchangeable_terms_meet(forms: list[str]) -> None:
    tokenized = {tuple(tokenize(form)) for form in forms}
    assert len(tokenized) == 1, tokenized


def test_percent_sign_and_thai_word_meet_inside_sentences() -> None:
    assert set(tokenize("บุคลากรร้อยละ ๘๐")) == set(tokenize("บุคลากร 80%"))


def test_canonical_terms_do_not_eat_neighbouring_words() -> None:
    # กรรมการ (committee) keeps its การ; กิจกรรม (activity) is followed by การจัดการความรู้.
    assert tokenize("คณะกรรมการจัดการความรู้") == ["คณะกรรมการ", "km"]
    assert tokenize("กิจกรรมการจัดการความรู้") == ["กิจกรรม", "km"]
    # อบจ inside ordinary words is not the abbreviation.
    assert "pao" not in tokenize("ชอบจังเลย ตอบจดหมาย")
    # "km" is a whole Latin word only.
    assert canonicalize("kms kmz") == "kms kmz"


def test_step_codes() -> None:
    assert canonicalize("การเข้าถึงความรู้ (kmp 5)").split()[-2] == "kmp5"
    assert tokenize("KMP ๕ ใครรับผิดชอบ") == ["kmp5", "responsible"]
    assert tokenize("KMIP ๑") == ["kmp1"]


@pytest.mark.parametrize(
    ("forms", "word"),
    [
        (["แผน 2", "แผนที่ 2", "แผนที่๒", "แผนสอง", "แผน2", "แผน KM ที่ 2", "(KM Action Plan) ที่ ๒"], "plan2"),
        (["KMP 5", "การเข้าถึงความรู้", "ขั้นเข้าถึงความรู้", "ขั้น KMP5"], "kmp5"),
        (["KMP 1", "การบ่งชี้ความรู้"], "kmp1"),
        (["ปี 67", "ปี๖๗", "พ.ศ. ๒๕๖๗", "2567"], "2567"),
        (["ก.ค.", "กรกฎาคม", "กรกฎา"], "july"),
        (["ระยะเวลา", "ทำช่วงไหน", "เดือนไหน"], "period"),
        (["ผู้รับผิดชอบ", "ใครรับผิดชอบ", "ใครดูแล", "ฝ่ายไหนดูแล"], "responsible"),
        (["หลักฐาน", "เอกสารที่แสดงผลสำเร็จของงาน"], "evidence"),
        (["สถ.", "กรมส่งเสริมการปกครองท้องถิ่น"], "dla"),
    ],
)
def test_domain_forms_share_a_word(forms: list[str], word: str) -> None:
    for form in forms:
        assert word in tokenize(form), form


def test_counts_are_not_step_codes() -> None:
    # "KMP 7 ขั้น" is about the seven steps; "CMP 6 ข้อ" about the six components.
    assert "kmp7" not in tokenize("KMP 7 ขั้นตอนมีอะไรบ้าง")
    assert "cmp6" not in tokenize("การบริหารการเปลี่ยนแปลง 6 ขั้น")
    assert "kmp7" in tokenize("KMP 7 ทำอะไร")


def test_light_stemming_of_agent_and_nominaliser() -> None:
    assert tokenize("คณะผู้จัดทำ") == ["คณะ", "จัดทำ"]
    assert "ประมวล" in tokenize("การประมวลผล") or "ประมวลผล" in tokenize("การประมวลผล")
    # ความ is a word of its own meaning: ความรู้ stays ความรู้.
    assert tokenize("ความรู้") == ["ความรู้"]


def test_expand_synonyms_lists_the_group() -> None:
    forms = expand_synonyms("ร้อยละ")
    assert "เปอร์เซ็นต์" in forms and "%" in forms and forms[0] == "percent"
    assert "อบจ" in expand_synonyms("อบจ.")
    assert expand_synonyms("อบจ")[0] == "pao"
    assert expand_synonyms("ฝนตก") == ("ฝนตก",)


def test_canonical_token_maps_segmented_words() -> None:
    assert canonical_token("ขั้น") == "step"
    assert canonical_token("ปทุมธานี") == "ปทุมธานี"


def test_thai_abbreviations_only_at_word_edges() -> None:
    assert tokenize("งบของ อบจ") == tokenize("งบของ อบจ.") == ["งบ", "ของ", "pao"]
    assert tokenize("อบจปทุมธานี")[0] == "pao"
    assert tokenize("กพร กำหนด")[0] == "opdc"


def test_tokenize_drops_whitespace_and_punctuation() -> None:
    words = tokenize("ที่: ๕. | กิจกรรม: (KMP ๕) - บอร์ด / เว็บไซต์ ... ฯลฯ ๆ")
    assert words == ["ที่", "5", "กิจกรรม", "kmp5", "บอร์ด", "website"]


def test_tokenize_keeps_latin_words_and_numbers() -> None:
    assert tokenize("Best Practices 2567 KMP5") == ["best", "practices", "2567", "kmp5"]


def test_a_year_is_its_number_whatever_words_come_before_it() -> None:
    # "ปี" and "พ.ศ." before a year add nothing to the number; kept, "ปี" in a question would
    # be a rare word that the plan's "ปีงบประมาณ พ.ศ. ๒๕๖๗" does not contain.
    for form in ("ปี 67", "ปี๖๗", "ปี 2567", "พ.ศ. ๒๕๖๗", "ปี พ.ศ. ๒๕๖๗", "ในปี 2567"):
        assert "ปี" not in tokenize(form) and "2567" in tokenize(form), form
    assert tokenize("ปีงบประมาณ พ.ศ. ๒๕๖๗") == ["fiscalyear", "2567"]
    assert tokenize("ปีนี้") == ["ปี", "นี้"]
    # Other numbers are not years.
    assert tokenize("12567") == ["12567"]


# --- properties -----------------------------------------------------------------------------


@hypothesis_settings
@given(thai_like_text)
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@hypothesis_settings
@given(any_text)
def test_normalize_is_idempotent_on_any_unicode(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@hypothesis_settings
@given(thai_like_text)
def test_canonicalize_is_idempotent(text: str) -> None:
    once = canonicalize(normalize_text(text))
    assert canonicalize(once) == once


def _flat_alternation() -> re.Pattern[str]:
    """The canonical-term pattern written the obvious way: every form, longest first."""
    forms = [form for _, group in (*CANONICAL_TERMS, *MONTHS) for form in group]
    forms += [form[:-1] for _, group in MONTHS for form in group if form.endswith(".")]
    alternatives = []
    for form in sorted(forms, key=len, reverse=True):
        escaped = re.escape(form).replace(r"\ ", r"\s*")
        if form[0].isascii() and form[0].isalnum():
            escaped = rf"(?<![a-z0-9]){escaped}"
        if form[-1].isascii() and form[-1].isalnum():
            escaped = rf"{escaped}(?![a-z0-9])"
        if form.startswith("การ"):
            escaped = _KAN_GUARD + escaped
        alternatives.append(escaped)
    for abbreviation, _ in THAI_ABBREVIATIONS:
        alternatives.append(
            rf"(?:(?<![\u0e00-\u0e7f]){abbreviation}{_NO_DEPENDENT_SIGN}|{abbreviation}(?![\u0e00-\u0e7f]))"
        )
    return re.compile("|".join(alternatives))


# Text made of pieces of the written forms, so that forms overlap, nest and touch.
_FORM_PIECES = [form for _, group in (*CANONICAL_TERMS, *MONTHS) for form in group]
form_like_text = st.lists(
    st.one_of(
        st.sampled_from(_FORM_PIECES),
        st.sampled_from(_FORM_PIECES).flatmap(lambda form: st.integers(0, len(form)).map(lambda cut: form[cut:])),
        st.sampled_from(["ก", "การ", "กรรม", "กิจกรรม", "ของ", " ", "k", "m", "p", "5", ".", "อบจ", "สถ"]),
    ),
    max_size=6,
).map("".join)


@hypothesis_settings
@given(form_like_text)
def test_the_prefix_tree_finds_what_the_flat_alternation_finds(text: str) -> None:
    # The compiled pattern merges the forms into a tree of shared prefixes for speed; it
    # must replace exactly what the list of forms, longest first, would replace.
    text = normalize_text(text)
    tree, _ = _canonical_pattern()
    assert [match.span() for match in tree.finditer(text)] == [
        match.span() for match in _flat_alternation().finditer(text)
    ]


@hypothesis_settings
@given(thai_like_text)
def test_thai_and_arabic_digits_normalise_alike(text: str) -> None:
    arabic = text.translate(str.maketrans(THAI_DIGITS, "0123456789"))
    thai = text.translate(str.maketrans("0123456789", THAI_DIGITS))
    assert normalize_text(arabic) == normalize_text(thai)


@hypothesis_settings
@given(thai_like_text, st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(ZERO_WIDTH)), max_size=5))
def test_zero_width_characters_never_change_the_result(
    text: str, insertions: list[tuple[int, str]]
) -> None:
    clean = "".join(character for character in text if character not in ZERO_WIDTH)
    dirty = clean
    for position, character in insertions:
        position %= len(dirty) + 1
        dirty = dirty[:position] + character + dirty[position:]
    assert normalize_text(dirty) == normalize_text(clean)


@hypothesis_settings
@given(thai_like_text)
def test_normalised_text_has_single_spaces_and_no_edges(text: str) -> None:
    result = normalize_text(text)
    assert "  " not in result
    assert result == result.strip()
    assert "\n" not in result and "\t" not in result
    assert not any(character in THAI_DIGITS for character in result)


@hypothesis_settings
@given(thai_like_text)
def test_tokens_are_clean(text: str) -> None:
    for word in tokenize(text):
        assert word and not word.isspace()
        assert any(character.isalnum() for character in word)
        assert word == word.strip()


@pytest.mark.parametrize(
    ("asked", "written"),
    [
        ("ไปเทรนมาแล้วต้องเก็บอะไร", "อบรม"),  # an English word in Thai letters, cut whole
        ("ลงเฟสบุ๊คได้ไหม", "facebook"),
        ("ถ่ายรูปคนเข้าร่วมกิจกรรม", "ถ่ายภาพ"),  # not ถ่าย + รูปคน
        ("เดดไลน์ส่งรายงาน", "กำหนด"),
    ],
)
def test_words_staff_say_meet_the_words_documents_write(asked: str, written: str) -> None:
    assert written in tokenize(asked)


def test_a_loanword_inside_a_longer_word_is_left_alone() -> None:
    assert "ภาพ" not in tokenize("รูปแบบเอกสาร")  # รูปแบบ (format) is not รูป (picture)
    assert "facebook" not in tokenize("เฟสแรกของโครงการ")  # เฟส alone is a phase


@pytest.mark.parametrize("word", ["สถานะ", "สถานที่", "สถิติ", "สถาบัน"])
def test_a_word_that_starts_with_the_letters_of_an_abbreviation_is_left_alone(word: str) -> None:
    # สถ. is the local-government department, but สถานะ (status) is not สถ. + านะ.
    assert canonicalize(normalize_text(word)) == word
    assert canonicalize(normalize_text("ตามเกณฑ์ สถ. ปีนี้")) == "ตามเกณฑ์ dla ปีนี้"


def test_english_office_words_meet_the_thai_words_documents_use() -> None:
    assert tokenize("committee KM มีหน้าที่อะไร")[0] == tokenize("คณะกรรมการ")[0]
    assert tokenize("CMP 3 tools")[-1] == tokenize("เครื่องมือ")[0]
    assert tokenize("report ผล")[0] == "รายงาน"


@given(st.text(alphabet=st.characters(categories=["Cc", "Cf", "Co", "Lo", "Zs"]), max_size=40))
def test_no_control_format_or_private_use_character_survives_normalisation(text):
    import unicodedata

    assert not [character for character in normalize_text(text)
                if unicodedata.category(character) in ("Cc", "Cf", "Co") and not character.isspace()]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("จบปีแล้วจะประเมินผล", ["แล้ว", "จะ"]),  # not แล้ + วจะ
        ("เขาบอกว่าต้องทำ", ["บอก", "ว่า"]),  # not บอ + กว่า
        ("ความรู้เรื่องการเขียนแผน", ["ความรู้"]),  # not ความ + รู้เรื่อง
    ],
)
def test_common_phrases_keep_their_words(text: str, words: list[str]) -> None:
    tokens = tokenize(text)
    assert all(word in tokens for word in words), tokens


@pytest.mark.parametrize(
    ("everyday", "office"),
    [("ตัวย่อ", "คำย่อ"), ("บทบาท", "หน้าที่"), ("ทริค", "เคล็ดลับ"), ("โชว์", "แสดง"), ("command", "คำสั่ง"),
     ("ความรู้ที่ฝังในคน", "tacit")],
)
def test_everyday_words_meet_the_words_documents_use(everyday: str, office: str) -> None:
    assert tokenize(f"เรื่อง{everyday}") == tokenize(f"เรื่อง{office}") or canonical_token(everyday) == canonical_token(office)
