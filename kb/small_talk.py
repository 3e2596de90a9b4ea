"""Small talk: greetings, thanks, okays and a lone emoji are not questions.

Staff greet the bot, thank it and send 👍; such a message gets a short friendly reply, is not
counted as a question, and never becomes a knowledge gap. Pure text logic.
"""

from __future__ import annotations

import re
import unicodedata

from kb.normalize import normalize_query

# What a message may be made of, by the reply it gets. Spaces, particles and punctuation
# between them do not matter ("สวัสดีค่ะ", "ขอบคุณมากครับ 🙏", "โอเคค่ะ").
GREETINGS = ("สวัสดี", "หวัดดี", "ดีจ้า", "ดีครับ", "ดีค่ะ", "hello", "hi", "hey", "good morning", "อรุณสวัสดิ์")
THANKS = ("ขอบคุณ", "ขอบใจ", "thank you", "thanks", "thank", "thx", "ขอบคุง", "ขอบพระคุณ")
OKAYS = ("โอเค", "ok", "okay", "รับทราบ", "ได้เลย", "ได้ครับ", "ได้ค่ะ", "เข้าใจแล้ว", "ครับผม", "จ้า", "จ้ะ",
         "555", "ฮ่าๆ", "ฮ่า", "55")
# Particles and politeness that may go with any of them.
PARTICLES = ("ครับ", "คับ", "ค่ะ", "คะ", "ค่า", "นะ", "น้า", "จ้า", "จ้ะ", "มาก", "มากๆ", "ทุกคน", "น้องบอท", "บอท",
             "kmbot", "ๆ", "เลย", "ด้วย", "นะคะ", "นะครับ", "เช่นกัน")

REPLIES = {
    "greeting": "สวัสดีค่ะ 😊 มีเรื่องงาน KM อะไรให้ช่วยไหมคะ พิมพ์คำถามมาได้เลย หรือพิมพ์ /help เพื่อดูคำสั่งค่ะ",
    "thanks": "ยินดีค่ะ 😊 มีคำถามเพิ่มเติมถามมาได้ตลอดนะคะ",
    "okay": "ได้เลยค่ะ 😊",
    "emoji": "😊",
}

_LATIN_OR_THAI = re.compile(r"[A-Za-z0-9\u0e01-\u0e4e]")


def small_talk_kind(text: str) -> str | None:
    """"greeting", "thanks", "okay" or "emoji" when the message is only that; None for anything else."""
    if not text.strip():
        return None
    if not _LATIN_OR_THAI.search(text):
        # Emoji, stickers sent as text and punctuation only: a nod, not a question.
        return "emoji" if any(unicodedata.category(character) == "So" for character in text) else None
    rest = normalize_query(text).lower()
    found: list[str] = []
    for kind, words in (("greeting", GREETINGS), ("thanks", THANKS), ("okay", OKAYS)):
        for word in sorted(words, key=len, reverse=True):
            if word in rest:
                found.append(kind)
                rest = rest.replace(word, " ")
    for word in sorted(PARTICLES, key=len, reverse=True):
        rest = rest.replace(word, " ")
    if _LATIN_OR_THAI.search(rest) or not found:
        return None
    # "สวัสดีค่ะ ขอบคุณค่ะ": thanks is what needs a reply.
    return "thanks" if "thanks" in found else found[0]


def small_talk_reply(kind: str) -> str:
    return REPLIES[kind]
