"""Text normalisation and canonical terms for Thai search and matching.

Two layers, both pure functions:

* `normalize_text` fixes how a text is *written* without changing what it says: Thai digits,
  invisible characters, decomposed sara am, emphasis by repetition, spacing, letter case.
  Use it wherever two texts must compare equal (search, "does this passage contain ...").
* `canonicalize` rewrites the words staff use interchangeably (ร้อยละ / เปอร์เซ็นต์ / %,
  อบจ. / องค์การบริหารส่วนจังหวัด, KMP 5 / kmp๕ ...) to one canonical term, so a question
  and a passage that say the same thing in different words meet in the index. The search
  applies it to passages and questions alike, so no query expansion is needed.

The synonym table is plain data below; add a row to teach the search a new way of saying
something. Regular expressions are compiled on first use, never at import.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import regex
from pythainlp.util import normalize as thai_normalize
from pythainlp.util import remove_dangling, thai_digit_to_arabic_digit

__all__ = [
    "CANONICAL_TERMS",
    "MONTHS",
    "THAI_ABBREVIATIONS",
    "LOANWORDS",
    "TOKEN_SYNONYMS",
    "canonical_token",
    "canonicalize",
    "expand_synonyms",
    "fold_thai",
    "normalize_query",
    "normalize_text",
    "strip_trigger",
]

# --- configuration: canonical terms ------------------------------------------------------
#
# Each row: (canonical term, written forms). Written forms are matched in *normalised* text
# (lower-case, Arabic digits), longest first, and replaced by the canonical term with spaces
# around it so the word segmenter sees it as one word. Latin forms only match as whole Latin
# words ("km" does not match inside "kms"); Thai forms match anywhere, so only forms that
# cannot occur inside an unrelated Thai word belong here. Short Thai abbreviations that could
# (อบจ inside ชอบจัง) go to THAI_ABBREVIATIONS instead.
# Canonical terms are Latin codes where possible, because the segmenter never splits a Latin
# word. A canonical term is never a written form of another row, and `canonicalize` repeats
# until nothing changes, so canonicalising is idempotent (property-tested).
CANONICAL_TERMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "percent",
        ("เปอร์เซ็นต์", "เปอร์เซนต์", "เปอร์เซ็นท์", "เปอร์เซ็น", "เปอร์เซน", "เปอเซ็นต์", "เปอเซ็น",
         "ร้อยละ", "%", "percent", "percentage"),
    ),
    (
        "fiscalyear",
        ("ปีงบประมาณ", "ปีงบ", "fiscal year"),
    ),
    (
        # ขั้นตอน and ขั้น are used interchangeably ("ขั้นที่ 5", "ขั้นตอนที่ 5"); ขั้นต่ำ and
        # ขั้นสูง stay as they are because the segmenter keeps them as their own words.
        "step",
        ("ขั้นตอน", "step"),
    ),
    (
        "pao",
        ("องค์การบริหารส่วนจังหวัด", "อบจ.", "อ.บ.จ.", "pao"),
    ),
    # The steps of the OPDC model by name: a question about "การบ่งชี้ความรู้" is a question
    # about KMP 1. Names too general to mean one step (การเรียนรู้, การสื่อสาร, การวัดผล)
    # are left out.
    ("kmp1", ("การบ่งชี้ความรู้", "บ่งชี้ความรู้")),
    ("kmp2", ("การสร้างและแสวงหาความรู้", "สร้างและแสวงหาความรู้", "การแสวงหาความรู้", "แสวงหาความรู้")),
    ("kmp3", ("การจัดความรู้ให้เป็นระบบ", "จัดความรู้ให้เป็นระบบ", "การจัดการความรู้ให้เป็นระบบ",
              "จัดการความรู้ให้เป็นระบบ")),
    ("kmp4", ("การประมวลและกลั่นกรองความรู้", "ประมวลและกลั่นกรองความรู้", "กลั่นกรองความรู้",
              "ประมวลความรู้")),
    ("kmp5", ("การเข้าถึงความรู้", "เข้าถึงความรู้")),
    ("kmp6", ("การแบ่งปันแลกเปลี่ยนความรู้", "การแบ่งปัน แลกเปลี่ยนความรู้", "แบ่งปันแลกเปลี่ยนความรู้",
              "แบ่งปันความรู้", "แลกเปลี่ยนความรู้")),
    ("cmp1", ("การเตรียมการและปรับเปลี่ยนพฤติกรรม", "เตรียมการและปรับเปลี่ยนพฤติกรรม")),
    ("cmp3", ("กระบวนการและเครื่องมือ",)),
    ("cmp4", ("การฝึกอบรมและการเรียนรู้", "ฝึกอบรมและการเรียนรู้")),
    ("cmp6", ("การยกย่องชมเชยและให้รางวัล", "ยกย่องชมเชยและให้รางวัล")),
    (
        # Not "kmp": a canonical term followed by a number must not read as a step code
        # ("กระบวนการจัดการความรู้ 7 ขั้น" is about all seven steps, not about KMP 7).
        "kmprocess",
        ("กระบวนการจัดการความรู้", "ขั้นตอนการจัดการความรู้", "กระบวนการจัดการองค์ความรู้",
         "knowledge management process", "kmp"),
    ),
    (
        "cmprocess",
        ("กระบวนการบริหารจัดการการเปลี่ยนแปลง", "กระบวนการบริหารการเปลี่ยนแปลง",
         "การบริหารจัดการการเปลี่ยนแปลง", "การบริหารการเปลี่ยนแปลง", "การจัดการการเปลี่ยนแปลง",
         "บริหารจัดการการเปลี่ยนแปลง", "บริหารการเปลี่ยนแปลง", "จัดการการเปลี่ยนแปลง",
         "change management process", "change management", "cmp"),
    ),
    (
        "km",
        ("การบริหารจัดการองค์ความรู้", "การบริหารจัดการความรู้", "การจัดการองค์ความรู้",
         "การจัดการความรู้", "บริหารจัดการองค์ความรู้", "บริหารจัดการความรู้", "จัดการองค์ความรู้",
         "จัดการความรู้", "เคเอ็ม", "knowledge management", "km"),
    ),
    (
        "lao",
        ("องค์กรปกครองส่วนท้องถิ่น", "อปท.", "อ.ป.ท.", "local administrative organization"),
    ),
    (
        "dla",
        ("กรมส่งเสริมการปกครองท้องถิ่น", "สถ.", "dla"),
    ),
    (
        "strategydivision",
        ("กองยุทธศาสตร์และงบประมาณ", "กองยุทธศาสตร์ฯ", "กองยุทธศาสตร์", "กองยุทธฯ", "กองยุทธ"),
    ),
    (
        "ประชาสัมพันธ์",
        ("ปชส.", "ประชาสัมพันธ์"),
    ),
    # The columns of a plan's activity table, as questions ask for them.
    (
        "period",
        ("ระยะเวลา", "ช่วงเวลาไหน", "ช่วงเวลา", "ช่วงไหน", "เดือนไหน", "ตอนไหน", "เมื่อไหร่", "เมื่อไร"),
    ),
    (
        "responsible",
        ("ผู้รับผิดชอบ", "ใครรับผิดชอบ", "รับผิดชอบ", "ใครทำ", "ใครเป็นคนทำ", "ใครดูแล"),
    ),
    (
        "evidence",
        ("เอกสารที่แสดงผลสำเร็จ ของงาน", "เอกสารที่แสดงผลสำเร็จ", "เอกสารผลสำเร็จ", "เอกสารหลักฐาน",
         "หลักฐาน", "evidence"),
    ),
    (
        "indicator",
        ("ตัวชี้วัด", "kpi"),
    ),
    (
        "website",
        ("เว็บไซต์", "เว็บไซท์", "เวปไซต์", "เว็ป", "เว็บ", "website", "web"),
    ),
    (
        "opdc",
        ("สำนักงานคณะกรรมการพัฒนาระบบราชการ", "ก.พ.ร.", "ก.พ.ร", "opdc"),
    ),
    (
        "lpa",
        ("local performance assessment", "แอลพีเอ", "lpa"),
    ),
    (
        "tacit",
        ("ความรู้ที่ฝังอยู่ในตัวคน", "ความรู้ที่ฝังอยู่ในคน", "ความรู้ฝังอยู่ในคน", "ความรู้ที่ฝังลึก",
         "ความรู้ฝังลึก", "ความรู้โดยนัย", "ความรู้ที่ฝังในตัวคน", "ความรู้ที่ฝังในคน", "ความรู้ฝังในคน",
         "ความรู้ที่อยู่ในตัวคน", "ความรู้ในตัวคน", "tacit knowledge", "tacit"),
    ),
    (
        "explicit",
        ("ความรู้ที่ชัดแจ้ง", "ความรู้ชัดแจ้ง", "ความรู้ที่ชัดเจน", "ความรู้ชัดเจน",
         "ความรู้ที่เป็นลายลักษณ์อักษร", "ความรู้ที่เป็นเอกสาร", "explicit knowledge", "explicit"),
    ),
    (
        "cop",
        ("ชุมชนนักปฏิบัติ", "community of practice", "cop"),
    ),
    (
        "ksf",
        ("ปัจจัยแห่งความสำเร็จ", "ปัจจัยความสำเร็จ", "key success factors", "key success factor", "ksf"),
    ),
    # Everyday words staff use for the formal ones the documents use.
    (
        "mentoring",
        ("ระบบพี่เลี้ยง", "รุ่นพี่สอนงาน", "พี่สอนงาน", "สอนงานน้องใหม่", "mentoring", "coaching"),
    ),
    (
        "แบ่งปัน",
        ("แชร์", "share"),
    ),
)

# A written form that starts with การ must not take the การ that ends another word:
# "คณะกรรมการจัดการความรู้" keeps กรรมการ (and becomes "คณะกรรมการ km"), while
# "กิจกรรมการจัดการความรู้" is กิจกรรม + การจัดการความรู้.
_KAN_GUARD = "(?:(?<!กรรม)(?<!อำนวย)(?<!บริ)(?<!ประ)|(?<=กิจกรรม))"

# Undotted Thai abbreviations: they also occur inside ordinary words (ชอบจัง, ตอบจดหมาย), so
# they only count next to a space, a non-Thai character or the edge of the text ("ของ อบจ",
# "อบจปทุมธานี", "กพร กำหนด"). The segmenter itself would cut อบจ into อบ + จ.
# ... and the letters of a word that continues with a vowel or tone sign are not one:
# "สถานะ", "สถิติ" are not สถ. + านะ, ิติ (no Thai word starts with such a sign).
_NO_DEPENDENT_SIGN = "(?![\u0e30-\u0e3a\u0e45\u0e47-\u0e4e])"
THAI_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("อบจ", "pao"),
    ("กพร", "opdc"),
    ("อปท", "lao"),
    ("สถ", "dla"),
    ("ปชส", "ประชาสัมพันธ์"),
)

# Months: plans write "ก.ค. ๒๕๖๗", staff write "กรกฎาคม", "กรกฎา" or "ก.ค.". Dotted
# abbreviations are safe substrings; "ก.พ." is read as February (ก.พ.ร. is matched first).
MONTHS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("january", ("มกราคม", "มกรา", "ม.ค.")),
    ("february", ("กุมภาพันธ์", "กุมภา", "ก.พ.")),
    ("march", ("มีนาคม", "มีนา", "มี.ค.")),
    ("april", ("เมษายน", "เมษา", "เม.ย.")),
    ("may", ("พฤษภาคม", "พฤษภา", "พ.ค.")),
    ("june", ("มิถุนายน", "มิถุนา", "มิ.ย.", "มี.ย.")),
    ("july", ("กรกฎาคม", "กรกฎา", "ก.ค.")),
    ("august", ("สิงหาคม", "สิงหา", "ส.ค.")),
    ("september", ("กันยายน", "กันยา", "ก.ย.")),
    ("october", ("ตุลาคม", "ตุลา", "ต.ค.")),
    ("november", ("พฤศจิกายน", "พฤศจิกา", "พ.ย.")),
    ("december", ("ธันวาคม", "ธันวา", "ธ.ค.")),
)

# Words the segmenter produces that mean the same as a canonical term ("ขั้นที่ 5" is cut
# into ขั้น + ที่ + 5); applied word by word after segmentation.
TOKEN_SYNONYMS: dict[str, str] = {
    "ขั้น": "step",
    "เป้า": "เป้าหมาย",
    "เซ็น": "ลงนาม",
    "เซ็นชื่อ": "ลงนาม",
    # Chat words for the formal ones documents use.
    "ข้างนอก": "ภายนอก",
    "ข้างใน": "ภายใน",
    # "ฝ่ายไหนดูแลงาน KM": ดูแล (to look after) is how staff say รับผิดชอบ.
    "ดูแล": "responsible",
    "เช็ค": "ตรวจสอบ",
    "เช็ก": "ตรวจสอบ",
    "ไลน์": "line",
    "บอท": "kmbot",
    "แชตบอท": "kmbot",
    "แชทบอท": "kmbot",
    # Numbers written as words meet numbers written as digits ("หกขั้นตอน", "๖ ขั้นตอน").
    "ตัวช่วย": "เครื่องมือ",
    # Everyday words for the ones office documents use: "ตัวย่อ" is คำย่อ, a role (บทบาท) is
    # a duty (หน้าที่), a law that forces (บังคับ) is one that lays down (กำหนด), what one gets
    # in return (ตอบแทน) is a reward, to put into action (ลงมือทำ) is ดำเนินการ.
    "ตัวย่อ": "คำย่อ",
    "บทบาท": "หน้าที่",
    "บังคับ": "กำหนด",
    "ตอบแทน": "รางวัล", "สิ่งตอบแทน": "รางวัล",
    "ลงมือทำ": "ดำเนินการ", "ลงมือ": "ดำเนินการ",
    "หน่วยงานราชการ": "ส่วนราชการ", "หน่วยราชการ": "ส่วนราชการ",
    "ปล่อย": "เผยแพร่",
    "หนึ่ง": "1", "สอง": "2", "สาม": "3", "สี่": "4", "ห้า": "5",
    "หก": "6", "เจ็ด": "7", "แปด": "8", "เก้า": "9", "สิบ": "10",
}

# English words staff write in Thai letters, and everyday words, for the word an office's
# documents use ("ไปเทรนมา" is ไปอบรมมา, "ถ่ายรูป" is ถ่ายภาพ). Not about KM: any office
# speaks like this. The segmenter learns each form as a word (kb.tokenizer), so "เทรน" is
# not cut into เท + รน.
LOANWORDS: dict[str, str] = {
    "เทรน": "อบรม", "เทรนนิ่ง": "อบรม", "เทรนนิ้ง": "อบรม",
    "เฟสบุ๊ค": "facebook", "เฟซบุ๊ค": "facebook", "เฟสบุ๊ก": "facebook", "เฟซบุ๊ก": "facebook",
    "เฟสบุค": "facebook", "เฟซบุค": "facebook", "fb": "facebook",
    "รีพอร์ต": "รายงาน", "รีพอร์ท": "รายงาน",
    "แพลน": "แผน",
    "โปรเจค": "โครงการ", "โปรเจ็ค": "โครงการ", "โปรเจกต์": "โครงการ", "โปรเจ็กต์": "โครงการ",
    "มีตติ้ง": "ประชุม", "มีทติ้ง": "ประชุม",
    "ฟีดแบค": "ความคิดเห็น", "ฟีดแบ็ค": "ความคิดเห็น", "ฟีดแบ็ก": "ความคิดเห็น",
    "เซอร์เวย์": "สำรวจ",
    "เดดไลน์": "กำหนด",
    "เมล": "email", "อีเมล": "email", "อีเมล์": "email",
    "ปริ้น": "พิมพ์", "ปริ้นท์": "พิมพ์", "ปริ๊นท์": "พิมพ์", "ปริ๊น": "พิมพ์",
    "ลิงก์": "link", "ลิ้งค์": "link", "ลิงค์": "link", "ลิ้ง": "link",
    "คอม": "คอมพิวเตอร์",
    "โชว์": "แสดง", "ทริค": "เคล็ดลับ", "ทริก": "เคล็ดลับ", "ทิป": "เคล็ดลับ", "ทิปส์": "เคล็ดลับ",
    "ถ่ายรูป": "ถ่ายภาพ", "รูปถ่าย": "ภาพถ่าย", "รูป": "ภาพ",
}
TOKEN_SYNONYMS.update({form: word for form, word in LOANWORDS.items() if form not in TOKEN_SYNONYMS})

# English office words staff mix into Thai ("committee KM มีหน้าที่อะไร"), for the Thai word
# documents use. Any office writes like this; each maps to one word, so a question and a
# passage that says it in Thai share the word. Words that already name a canonical term
# (KM, KMP, LPA, indicator, evidence, deadline, share …) are in CANONICAL_TERMS instead.
ENGLISH_WORDS: dict[str, str] = {
    "target": "เป้าหมาย", "targets": "เป้าหมาย", "goal": "เป้าหมาย", "goals": "เป้าหมาย",
    "objective": "วัตถุประสงค์", "objectives": "วัตถุประสงค์",
    "meeting": "ประชุม", "meetings": "ประชุม", "training": "อบรม", "workshop": "อบรม",
    "report": "รายงาน", "reports": "รายงาน", "summary": "สรุป",
    "budget": "งบประมาณ", "committee": "คณะกรรมการ", "team": "ทีม",
    "document": "เอกสาร", "documents": "เอกสาร", "form": "แบบฟอร์ม", "forms": "แบบฟอร์ม",
    "tool": "เครื่องมือ", "tools": "เครื่องมือ", "manual": "คู่มือ",
    "feedback": "ความคิดเห็น", "comment": "ความคิดเห็น", "comments": "ความคิดเห็น",
    "guideline": "แนวทาง", "guidelines": "แนวทาง", "policy": "นโยบาย", "strategy": "ยุทธศาสตร์",
    "vision": "วิสัยทัศน์", "mission": "พันธกิจ",
    "activity": "กิจกรรม", "activities": "กิจกรรม", "calendar": "ปฏิทิน",
    "award": "รางวัล", "awards": "รางวัล", "reward": "รางวัล", "rewards": "รางวัล", "prize": "รางวัล",
    "example": "ตัวอย่าง", "examples": "ตัวอย่าง", "benefit": "ประโยชน์", "benefits": "ประโยชน์",
    "topic": "หัวข้อ", "topics": "หัวข้อ", "staff": "บุคลากร",
    "evaluation": "ประเมิน", "monitoring": "ติดตาม", "monitor": "ติดตาม", "publish": "เผยแพร่",
    "command": "คำสั่ง", "commands": "คำสั่ง", "role": "หน้าที่", "roles": "หน้าที่", "duty": "หน้าที่",
    "tips": "เคล็ดลับ", "tip": "เคล็ดลับ", "trick": "เคล็ดลับ", "tricks": "เคล็ดลับ",
}
TOKEN_SYNONYMS.update({form: word for form, word in ENGLISH_WORDS.items() if form not in TOKEN_SYNONYMS})

# "KMP 5", "KMP5", "kmp๕" (after digit conversion), "KMIP 1" (a misspelling in real plans),
# "CMP 3": one code per step, so a question about KMP 5 finds the plan row about KMP 5.
# A number followed by a counting word is a count, not a step: "KMP 7 ขั้น", "CMP 6 ข้อ".
_STEP_CODE = re.compile(
    r"(?<![a-z0-9])(km|kmi|cm)p\s*[-.]?\s*([1-9])(?![a-z0-9])(?!\s*(?:ขั้น|ข้อ|องค์ประกอบ|กระบวน|step))"
)

# Staff write Buddhist-era years short ("ปี 67", "ปีงบ 66"); documents write them in full.
_SHORT_YEAR = re.compile(r"(ปีงบประมาณ|ปีงบ|ปี|พ\.ศ\.?)\s*([4-9][0-9])(?![0-9.])")
# "ปี 2567", "พ.ศ. 2567", "ปี พ.ศ. 2567" and a bare "2567" name the same year; the number says
# it all, so the words before it go. Otherwise "ปี" in a question ("นโยบายปี 67") would be a
# rare, decisive word against a document that writes "ปีงบประมาณ พ.ศ. ๒๕๖๗".
_YEAR_WORDS = re.compile(r"(?:ปี\s*)?(?:พ\.ศ\.?\s*)?(?<![0-9])(?=2[45][0-9]{2}(?![0-9]))")

# "แผน 2", "แผนที่ ๒", "แผนสอง", "แผน KM ที่ 2", and a plan table's caption "(KM Action Plan)
# ที่ ๒" all name the second plan of the year: one word, plan2, so a question about plan 2
# does not match plan 1 just as well.
_NUMBER_WORDS = {"หนึ่ง": "1", "สอง": "2", "สาม": "3", "สี่": "4", "ห้า": "5"}
_PLAN_NUMBER = re.compile(
    r"(?:แผน|action\s*plan\s*\)?)\s*(?:km\s*)?(?:ที่\s*)?([1-9]|หนึ่ง|สอง|สาม|สี่|ห้า)(?![0-9.])"
)

# "ขั้น KMP 5", "ขั้นบ่งชี้ความรู้" (→ "ขั้น kmp1"): ขั้น only introduces the step's name or
# code, which says it already.
_STEP_BEFORE_CODE = re.compile(r"(?:(?<=\s)|^)(?:ขั้นตอน|ขั้น|step)\s*(?:ที่\s*)?(?=(?:kmp|cmp)[0-9])")

# Group triggers in LINE: a question may start with "?" or the word ถาม.
_TRIGGER = re.compile(r"^\s*(?:[?？]+|ถาม(?=[\s:?]|$))[\s:]*")

# --- normalisation ------------------------------------------------------------------------

_THAI_CONSONANTS = "กขฃคฅฆงจฉชซฌญฎฏฐฑฒณดตถทธนบปผฝพฟภมยรฤลฦวศษสหฬอฮ"
# A Thai consonant typed three or more times at the end of a word ("มากกก", "ครับบบ") is
# emphasis. Inside a word, three in a row can be real ("ระบบบริหาร", "แบบบาง"), so there it
# takes four ("มากกกกเลย").
_EMPHASIS_AT_WORD_END = re.compile(rf"([{_THAI_CONSONANTS}])\1{{2,}}+(?=[^\u0e00-\u0e7f]|$)")
_EMPHASIS_INSIDE_WORD = re.compile(rf"([{_THAI_CONSONANTS}])\1{{3,}}+(?=[\u0e00-\u0e7f])")
# Repeated punctuation ("??", "!!!", "...", "ๆๆ") carries no meaning for search.
_REPEATED_PUNCTUATION = re.compile(r"([!?.,;:~*#\-_=+/|\\…ๆฯ'\"])\1+")
_MAIYAMOK = re.compile(r"\s*ๆ\s*")
_THOUSANDS_SEPARATOR = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")
_SPACES = re.compile(r"\s+")
_MAXIMUM_PASSES = 8
# Noise at either end of a message: trailing "?", "!!", leading bullets and dots.
_EDGE_NOISE = "?!.,;:~*•·-–—…ๆ \t\n"


@lru_cache(maxsize=1)
def _control_characters() -> "regex.Pattern[str]":
    # Control, format, private-use and surrogate code points as one Unicode property class of
    # the `regex` library: built in well under a millisecond, where listing them from Python's
    # own Unicode database scanned all 1.1 million code points (0.1–0.25 s at every start).
    # Whitespace controls (tab, newline, the separators U+001C–U+001F that Python counts as
    # space ...) are left for the spacing step, so they still part words.
    return regex.compile(r"[[\p{Cc}\p{Cf}\p{Co}\p{Cs}]--[\s\x1c-\x1f]]", regex.V1)


def _collapse_emphasis(text: str) -> str:
    text = _EMPHASIS_INSIDE_WORD.sub(r"\1", text)
    return _EMPHASIS_AT_WORD_END.sub(_restore_doubled_word_end, text)


def _restore_doubled_word_end(match: re.Match[str]) -> str:
    # A few real words end in a doubled or tripled consonant (อืมมม, ระบบ, รร); keep the
    # longest one the dictionary knows, otherwise keep one consonant.
    consonant = match.group(1)
    head = match.string[: match.start()]
    for count in (3, 2):
        for word in _words_ending_in_repeats(consonant, count):
            stem = word[:-count]
            if stem and head.endswith(stem):
                return consonant * count
            if not stem and (not head or not "\u0e00" <= head[-1] <= "\u0e7f"):
                return consonant * count
    return consonant


@lru_cache(maxsize=64)
def _words_ending_in_repeats(consonant: str, count: int) -> tuple[str, ...]:
    from pythainlp.corpus import thai_words

    ending = consonant * count
    words = [
        word
        for word in thai_words()
        if word.endswith(ending) and (len(word) == count or word[-count - 1] != consonant)
    ]
    return tuple(sorted(words, key=len, reverse=True))


def normalize_text(text: str) -> str:
    """Return `text` in the one written form used for search and matching.

    Thai digits become Arabic digits; zero-width, control and format characters go; Unicode
    compatibility forms are folded (full-width Latin, a decomposed sara am); tone marks and
    vowels are put in their standard order (pythainlp); letters repeated for emphasis are
    collapsed ("มากกกก" → "มาก", "??" → "?"); digits are never collapsed, so "55555" stays a
    number and "1,000" becomes "1000"; Latin letters are lower-cased; all whitespace becomes
    single spaces; punctuation noise at either end is stripped. The result is idempotent.
    """
    # Each step is idempotent, but a step can make room for an earlier one (pythainlp turns
    # "กๅๅ" into "กาๅ", whose "าๅ" it would fold again next time), so run the whole pipeline
    # until it changes nothing. Already-normal text, the common case, takes one extra pass.
    return _until_stable(_normalize_once, text)


def _until_stable(step: Callable[[str], str], text: str) -> str:
    """Apply `step` until it changes nothing (at most `_MAXIMUM_PASSES` times)."""
    for _ in range(_MAXIMUM_PASSES):
        changed = step(text)
        if changed == text:
            break
        text = changed
    return text


def _normalize_once(text: str) -> str:
    if not text:
        return ""
    # Zero-width spaces and joiners, BOM, word joiner, soft hyphen and direction marks arrive
    # from copy-paste (Word, web pages, LINE) and split words invisibly: all are format
    # characters (Cf), removed with the other control characters.
    text = _control_characters().sub("", text)
    # NFKC rather than NFC: it also folds full-width "ＫＭＰ" and "％" that Thai keyboards on
    # phones produce. Its one Thai effect, splitting sara am into nikhahit + sara aa, is undone
    # by pythainlp's normalize below, which also recombines the hand-typed decomposed form
    # (with a tone mark in between: น + ํ + ้ + า).
    text = unicodedata.normalize("NFKC", text)
    text = thai_digit_to_arabic_digit(text)
    text = text.lower()
    text = _SPACES.sub(" ", text)
    text = thai_normalize(text)
    text = _collapse_emphasis(text)
    text = _REPEATED_PUNCTUATION.sub(r"\1", text)
    text = _MAIYAMOK.sub("ๆ ", text)
    text = _THOUSANDS_SEPARATOR.sub("", text)
    # Stripping "?" from "?ิ" leaves a vowel with no consonant; drop it too.
    return remove_dangling(_SPACES.sub(" ", text).strip(_EDGE_NOISE)).strip()


def strip_trigger(text: str) -> str:
    """Remove a group-chat trigger ("?", "ถาม") from the start of a message."""
    return _TRIGGER.sub("", text, count=1)


def normalize_query(text: str) -> str:
    """Normalise a staff question: like `normalize_text`, without the group trigger."""
    return normalize_text(strip_trigger(normalize_text(text)))


# --- canonical terms ----------------------------------------------------------------------


@lru_cache(maxsize=1)
def _canonical_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    # A month abbreviation at the end of a message has lost its last dot to normalisation.
    months = tuple(
        (canonical, forms + tuple(form[:-1] for form in forms if form.endswith(".")))
        for canonical, forms in MONTHS
    )
    replacement_for: dict[str, str] = {}
    for canonical, forms in (*CANONICAL_TERMS, *months):
        for form in forms:
            replacement_for[_without_spaces(form)] = canonical
    forms = [form for _, group in (*CANONICAL_TERMS, *months) for form in group]
    # Some two hundred forms: as one flat alternation, the regex engine would try each of
    # them at every character of every passage, which made canonicalising most of the cost
    # of building the index. Merged into a tree of shared prefixes, it tries one branch per
    # character instead. Forms are grouped by the guard they need before them; forms of
    # different groups never start at the same place (Latin letters, การ, anything else).
    latin = [form for form in forms if form[0].isascii() and form[0].isalnum()]
    kan = [form for form in forms if form.startswith("การ")]
    plain = [form for form in forms if form not in latin and form not in kan]
    alternatives = [
        rf"(?<![a-z0-9]){_prefix_tree(latin)}",
        _KAN_GUARD + _prefix_tree(kan),
        _prefix_tree(plain),
    ]
    for abbreviation, canonical in THAI_ABBREVIATIONS:
        replacement_for[abbreviation] = canonical
        alternatives.append(
            rf"(?:(?<![\u0e00-\u0e7f]){abbreviation}{_NO_DEPENDENT_SIGN}|{abbreviation}(?![\u0e00-\u0e7f]))"
        )
    return re.compile("|".join(alternatives)), replacement_for


def _prefix_tree(forms: list[str]) -> str:
    """One regular expression matching the longest of `forms` that starts at a place.

    A space in a form matches any spacing, also none ("fiscal year", "fiscalyear"); a form
    ending in a Latin letter or digit only matches as a whole word ("km" not in "kms").
    """
    tree: dict[str, dict] = {}
    for form in forms:
        node = tree
        for character in form:
            node = node.setdefault(character, {})
        node[""] = {}
        if form[-1].isascii() and form[-1].isalnum():
            node["$"] = {}
    return _branches(tree)


def _branches(node: dict[str, dict]) -> str:
    branches = [
        (r"\s*" if character == " " else re.escape(character)) + _branches(child)
        for character, child in sorted(node.items())
        if character not in ("", "$")
    ]
    if "" in node:
        # Ending here is tried last, so the longest form wins.
        branches.append(r"(?![a-z0-9])" if "$" in node else "")
    if len(branches) == 1:
        return branches[0]
    return "(?:" + "|".join(branches) + ")"


def _without_spaces(text: str) -> str:
    return _SPACES.sub("", text)


def _replace_canonical(match: re.Match[str]) -> str:
    _, replacement_for = _canonical_pattern()
    return f" {replacement_for[_without_spaces(match.group(0))]} "


def canonicalize(text: str) -> str:
    """Rewrite interchangeable terms in normalised `text` to their canonical term.

    >>> canonicalize("ร้อยละ 80")
    'percent 80'
    >>> canonicalize("kmp 5 ของ อบจ.")
    'kmp5 ของ pao'
    """
    # A replacement puts spaces around its term, and a space is the edge an abbreviation
    # needs ("กสถอบจ." → "กสถ pao", then สถ is free-standing): repeat until stable.
    return _until_stable(_canonicalize_once, text)


def _canonicalize_once(text: str) -> str:
    text = _SHORT_YEAR.sub(lambda match: f"{match.group(1)} 25{match.group(2)}", text)
    text = _YEAR_WORDS.sub(lambda match: " " if match.group(0) else "", text)
    # Step codes first: the terms turn a bare "kmp" into "kmprocess".
    text = _STEP_CODE.sub(lambda match: f" {match.group(1).rstrip('i')}p{match.group(2)} ", text)
    pattern, _ = _canonical_pattern()
    text = pattern.sub(_replace_canonical, text)
    # After the terms, which turn "แผนการจัดการความรู้ (KM Action Plan) ที่ ๒" into
    # "แผน km ( km action plan) ที่ 2".
    text = _PLAN_NUMBER.sub(lambda match: f" plan{_NUMBER_WORDS.get(match.group(1), match.group(1))} ", text)
    text = _STEP_BEFORE_CODE.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def canonical_token(token: str) -> str:
    """The canonical form of one segmented word (`TOKEN_SYNONYMS`), else the word itself."""
    return TOKEN_SYNONYMS.get(token, token)


def expand_synonyms(term: str) -> tuple[str, ...]:
    """Every written form of the group `term` belongs to (the term itself if none).

    Useful to highlight a match or to explain to staff which words mean the same.
    """
    key = normalize_text(term)
    for canonical, forms in CANONICAL_TERMS:
        if key == canonical or key in forms:
            extra = [word for word, target in TOKEN_SYNONYMS.items() if target == canonical]
            extra += [word for word, target in THAI_ABBREVIATIONS if target == canonical]
            return (canonical, *forms, *(word for word in extra if word not in forms))
    for word, target in (*TOKEN_SYNONYMS.items(), *THAI_ABBREVIATIONS):
        if key == word:
            return expand_synonyms(target)
    return (key,)


def written_forms() -> dict[str, str]:
    """Every Thai written form of a canonical term or token synonym -> the word it becomes, for
    matching a misspelt question word against the words the store uses."""
    forms: dict[str, str] = {}
    for canonical, written in CANONICAL_TERMS + MONTHS:
        for form in written:
            if not form.isascii():
                forms["".join(form.split())] = canonical
    for word, canonical in TOKEN_SYNONYMS.items():
        forms.setdefault(word, canonical)
    return forms


# What typing Thai gets wrong most without changing how a word sounds: tone marks and ็ / ์
# left out or misplaced, ใ for ไ, a short vowel for a long one, one of the letters that
# share a sound (ณ/น, ศ/ษ/ส, ฎ/ฏ ...), a final ล/ร/ญ read as น.
_FOLD_DROP = dict.fromkeys(map(ord, "\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c"))
_FOLD_SAME = str.maketrans({
    "ใ": "ไ", "ู": "ุ", "ี": "ิ", "ื": "ึ",
    "ณ": "น", "ศ": "ส", "ษ": "ส", "ฎ": "ต", "ฏ": "ต", "ฑ": "ท", "ฒ": "ท", "ธ": "ท",
    "ภ": "พ", "ฐ": "ถ", "ฆ": "ค", "ฬ": "ล",
})
_FOLD_FINAL = re.compile(r"(?<=[\u0e01-\u0e2e\u0e31\u0e32\u0e34-\u0e39])[ลรญ]$")


def fold_thai(word: str) -> str:
    """A key two spellings of one word share when they differ only as a quick typist's
    do ("เซน" and "เซ็น", "ใหน" and "ไหน", "ปฎิบัติ" and "ปฏิบัติ", "บาง" and "บ้าง").

    Idempotent, and never longer than the word; non-Thai text is left as it is.
    """
    folded = word.translate(_FOLD_DROP).translate(_FOLD_SAME)
    return _FOLD_FINAL.sub("น", folded)
