"""Photos and files (LINE message types `image` and `file`): the evidence of a plan activity.

After `/done N` (or the reminder's ทำแล้ว button) the bot opens a window (`kb.evidence.open_request`)
in which the same person's photos and files in the same chat attach to that activity. Within
the event's transaction only what LINE already told is checked (the file's name and size);
the content is fetched from LINE's content endpoint after the transaction commits (no network
call holds a transaction), retried by `LineClient`, checked by its first bytes, kept under its
SHA-256 and recorded in a short transaction of its own. The reply is decided then: it says what
was attached, what was refused and why, or that LINE could not give the file.

A file with no activity waiting is answered with how to attach one, in a 1:1 chat and in the
committee group; in a staff group a photo is people talking, and the bot stays quiet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from linebot.v3.messaging.models import Message, TextMessage
from linebot.v3.webhooks import Event, ImageMessageContent, MessageEvent

from bot.core.calendar import thai_digits
from bot.core.line_client import LineApiError
from handlers.commands import KM_TEAM
from handlers.context import HandlerContext
from handlers.message import NOT_TEXT_REPLY
from kb.evidence import (
    ActivityKey,
    EvidenceRefused,
    add_evidence,
    check_announced,
    check_content,
    display_name,
    evidence_folder,
    evidence_of,
    find_activity_by_key,
    open_request_for,
    request_key,
    store_bytes,
)
from kb.plan_store import activity_label

logger = logging.getLogger(__name__)

NO_ACTIVITY_WAITING = (
    "ได้รับไฟล์แล้วค่ะ แต่ตอนนี้ยังไม่มีกิจกรรมที่รอหลักฐานจากท่านนะคะ 🙏\n"
    "หากเป็นหลักฐานของกิจกรรมตามแผน KM พิมพ์ /done ตามด้วยเลขกิจกรรมก่อน (เช่น /done 5) "
    "แล้วส่งไฟล์อีกครั้งภายใน {minutes} นาที น้องบอทจะแนบให้ค่ะ ดูเลขกิจกรรมได้ด้วย /plan"
)
EXTERNAL_CONTENT = (
    "ขออภัยค่ะ รูปนี้ส่งมาจากแหล่งภายนอก LINE น้องบอทจึงดึงมาเก็บไม่ได้ "
    "ลองบันทึกรูปลงเครื่องแล้วส่งใหม่อีกครั้งนะคะ"
)
RECEIVED = "รับหลักฐานแล้วค่ะ ✅ “{name}” แนบกับ {label} แล้ว (หลักฐานของกิจกรรมนี้ {count} ไฟล์)"
FETCH_FAILED = (
    "ขออภัยค่ะ น้องบอทดึงไฟล์ “{name}” จาก LINE ไม่สำเร็จ (ลองแล้วหลายครั้ง) จึงยังไม่ได้แนบหลักฐานนะคะ "
    "รบกวนส่งไฟล์อีกครั้ง หรือให้เลขานุการอัปโหลดผ่านหน้าเว็บผู้ดูแลได้ค่ะ"
)
SAVE_FAILED = (
    "ขออภัยค่ะ น้องบอทบันทึกไฟล์ “{name}” ไม่สำเร็จ จึงยังไม่ได้แนบหลักฐานนะคะ "
    "รบกวนส่งอีกครั้ง หรือให้เลขานุการอัปโหลดผ่านหน้าเว็บผู้ดูแลได้ค่ะ"
)


@dataclass(frozen=True)
class PendingFile:
    """What the work after the commit needs: nothing from the closed session."""

    message_id: str
    name: str
    key: ActivityKey
    label: str
    user_id: int | None
    sent_at: datetime


def handle_media(event: Event, context: HandlerContext) -> list[Message]:
    assert isinstance(event, MessageEvent)
    content = event.message
    source = context.source
    chat_id = source.chat_id or source.user_id
    user = context.user
    user_id = user.id if user is not None else None
    request = open_request_for(context.session, chat_id=chat_id, user_id=user_id, at=context.received_at) if chat_id else None
    if request is None:
        return _nothing_waiting(context)
    name = getattr(content, "file_name", None) or ""
    try:
        check_announced(name, getattr(content, "file_size", None), context.config.evidence_max_bytes)
    except EvidenceRefused as refusal:
        return [TextMessage(text=str(refusal))]
    provider = getattr(getattr(content, "content_provider", None), "type", "line")
    if isinstance(content, ImageMessageContent) and str(getattr(provider, "value", provider)) != "line":
        return [TextMessage(text=EXTERNAL_CONTENT)]
    key = request_key(request)
    activity = find_activity_by_key(context.session, key)
    label = activity_label(activity) if activity is not None else key.step
    pending = PendingFile(content.id, name, key, label, user_id, context.occurred_at)
    # The reply is decided after the commit, when the file has been fetched and kept; until
    # then it says the file was not saved, which stays true if that work fails.
    replies: list[Message] = [TextMessage(text=SAVE_FAILED.format(name=name or "รูปภาพ"))]
    context.after_commit.append(lambda: fetch_and_attach(pending, context, replies))
    return replies


def _nothing_waiting(context: HandlerContext) -> list[Message]:
    group = context.group
    in_committee_group = group is not None and group.role == "committee"
    if in_committee_group or (context.source.is_one_to_one and context.user_role in KM_TEAM):
        return [TextMessage(text=NO_ACTIVITY_WAITING.format(minutes=thai_digits(context.config.evidence_window_minutes)))]
    if context.source.is_one_to_one:
        return [TextMessage(text=NOT_TEXT_REPLY)]
    return []


def fetch_and_attach(pending: PendingFile, context: HandlerContext, replies: list[Message]) -> None:
    """Fetch the content from LINE (outside any transaction), keep it, record it; set the reply."""
    shown = pending.name or "รูปภาพ"
    if context.line is None or context.database is None:
        replies[:] = [TextMessage(text=FETCH_FAILED.format(name=shown))]
        return
    try:
        data, _ = context.line.message_content(pending.message_id)
    except LineApiError as error:
        logger.warning("evidence content of a message could not be fetched (status %s)", error.status)
        replies[:] = [TextMessage(text=FETCH_FAILED.format(name=shown))]
        return
    try:
        kind = check_content(data, pending.name, context.config.evidence_max_bytes)
    except EvidenceRefused as refusal:
        replies[:] = [TextMessage(text=str(refusal))]
        return
    sha256, _ = store_bytes(evidence_folder(context.config), data, kind)
    name = display_name(pending.name, kind, pending.sent_at)
    with context.database.session() as session:
        add_evidence(
            session, pending.key, sha256=sha256, size=len(data), kind=kind, name=name, origin="line",
            user_id=pending.user_id, sent_at=pending.sent_at, line_message_id=pending.message_id[:64],
        )
        count = len(evidence_of(session, pending.key))
    replies[:] = [TextMessage(text=RECEIVED.format(name=name, label=pending.label, count=thai_digits(count)))]
