"""Greetings, thanks, okays and a lone emoji are small talk; anything with a question in it is not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kb.small_talk import REPLIES, small_talk_kind, small_talk_reply


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("สวัสดีค่ะ", "greeting"),
        ("หวัดดีครับน้องบอท", "greeting"),
        ("ขอบคุณมากครับ 🙏", "thanks"),
        ("สวัสดีค่ะ ขอบคุณค่ะ", "thanks"),
        ("thank you", "thanks"),
        ("โอเคค่ะ", "okay"),
        ("รับทราบครับ", "okay"),
        ("👍", "emoji"),
        ("🙏🙏", "emoji"),
    ],
)
def test_small_talk_is_recognised(message: str, kind: str) -> None:
    assert small_talk_kind(message) == kind


@pytest.mark.parametrize(
    "message",
    ["สวัสดีครับ KM คืออะไร", "ขอบคุณค่ะ แล้ว KMP5 ทำเมื่อไร", "???", "", "   ", "ลาพักร้อนได้กี่วัน"],
)
def test_a_question_is_not_small_talk(message: str) -> None:
    assert small_talk_kind(message) is None


@given(st.sampled_from(["KMP", "ตัวชี้วัด", "หลักฐาน", "แผน"]), st.sampled_from(["สวัสดีค่ะ ", "ขอบคุณค่ะ ", ""]))
def test_a_content_word_always_makes_it_a_question(word: str, prefix: str) -> None:
    assert small_talk_kind(f"{prefix}{word} อะไรคะ") is None


def test_every_reply_is_short_and_polite_thai_or_an_emoji() -> None:
    for kind in REPLIES:
        reply = small_talk_reply(kind)
        assert 0 < len(reply) <= 120
        assert kind == "emoji" or reply.rstrip(" 😊").endswith(("ค่ะ", "คะ"))
