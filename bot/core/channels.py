"""Where an interaction happened: the `channel` of every row of the reach log.

The evidence figures of the reach report count only real LINE traffic (`EVIDENCE_CHANNELS`,
plus any channel the office declares with KMBOT_REACH_CHANNELS); everything else is logged
too, so the report can show it separately, and never adds to the evidence.

The column holds at most 8 characters.
"""

from __future__ import annotations

from typing import Iterable

LINE_ONE_TO_ONE = "1:1"  # a LINE 1:1 chat with the bot
LINE_GROUP = "group"  # a LINE group or multi-person room, the bot addressed
LINE_PUSH = "push"  # a message the bot pushed to a LINE group (reminders, weekly knowledge)
LINE_LINK = "line"  # an article page opened from a signed read-more link sent in LINE
WEB_SIMULATOR = "web"  # the chat simulator on the public home page (local mode)
ADMIN_SIMULATOR = "admin"  # the chat simulator of a signed-in secretary, and articles she opens
ANONYMOUS = "anon"  # an article page opened without a valid read-more token
PREVIEW = "preview"  # an article page opened as a preview (`?from=preview`)
CRAWLER = "crawler"  # an article page fetched by a robot: link checker, preview fetcher, HEAD

# Real staff reached through LINE: the only channels the evidence figures count by default.
EVIDENCE_CHANNELS: tuple[str, ...] = (LINE_ONE_TO_ONE, LINE_GROUP, LINE_PUSH, LINE_LINK)
ALL_CHANNELS: tuple[str, ...] = (
    *EVIDENCE_CHANNELS, WEB_SIMULATOR, ADMIN_SIMULATOR, ANONYMOUS, PREVIEW, CRAWLER,
)

# Thai names, as the reports print them.
CHANNEL_LABELS: dict[str, str] = {
    LINE_ONE_TO_ONE: "LINE แชต 1:1",
    LINE_GROUP: "LINE กลุ่ม",
    LINE_PUSH: "LINE ส่งถึงกลุ่ม (push)",
    LINE_LINK: "เว็บไซต์ ผ่านลิงก์ใน LINE",
    WEB_SIMULATOR: "ระบบจำลองแชต (หน้าเว็บ)",
    ADMIN_SIMULATOR: "ผู้ดูแลระบบ (ระบบจำลอง/เปิดดู)",
    ANONYMOUS: "เว็บไซต์ ไม่ทราบผู้อ่าน",
    PREVIEW: "เปิดดูตัวอย่าง",
    CRAWLER: "โปรแกรมอัตโนมัติ (crawler)",
}


def evidence_channels(declared: Iterable[str] = ()) -> tuple[str, ...]:
    """LINE's channels and any the office declared real (KMBOT_REACH_CHANNELS), in a stable order."""
    extra = [channel for channel in declared if channel and channel not in EVIDENCE_CHANNELS]
    return (*EVIDENCE_CHANNELS, *dict.fromkeys(extra))
