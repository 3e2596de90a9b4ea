"""Why an answer did not help: the reasons a person may give after pressing 👎.

One vocabulary for the button that asks (handlers.feedback) and the committee's daily digest
that reports them (scheduler.feedback_digest). Labels fit a LINE quick-reply button (20 characters).
"""

from __future__ import annotations

FEEDBACK_REASONS: dict[str, str] = {
    "off_topic": "ไม่ตรงกับที่ถาม",
    "incomplete": "ข้อมูลไม่ครบ",
    "outdated": "ข้อมูลเก่าแล้ว",
    "unclear": "อ่านแล้วไม่เข้าใจ",
}
