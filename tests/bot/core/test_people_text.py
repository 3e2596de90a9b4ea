"""How people and long texts are shown: masked LINE ids, and texts cut to LINE's limits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.line_client import shorten
from bot.core.people import SIMULATOR_USER_PREFIX, masked_id


def test_a_line_id_is_masked_and_a_simulator_person_named() -> None:
    assert masked_id("U1234567890abcdef1234567890abcdef") == "U1234…cdef"
    assert masked_id(None) == "(ลบข้อมูลตัวตนแล้ว)"
    assert masked_id(SIMULATOR_USER_PREFIX + "abc") == "ผู้ทดลองผ่านหน้าเว็บ"


def test_shorten_keeps_lines_of_a_short_text_only_when_asked() -> None:
    assert shorten("a\nb", 10) == "a b"
    assert shorten("a\nb", 10, squeeze=False) == "a\nb"
    # "ฝัง" is one Thai character cluster: it is not cut after "ฝ".
    assert shorten("ความรู้ ฝังลึก คืออะไร", 10) == "ความรู้…"


@given(st.text(max_size=300), st.integers(min_value=1, max_value=200), st.booleans())
def test_shorten_never_passes_the_limit(text: str, limit: int, squeeze: bool) -> None:
    assert len(shorten(text, limit, squeeze=squeeze)) <= limit
