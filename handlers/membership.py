"""The bot joins or leaves a group or room, and members come and go: recorded for the reach log."""

from __future__ import annotations

import logging

from linebot.v3.messaging.models import Message, TextMessage
from linebot.v3.webhooks import Event, MemberJoinedEvent, MemberLeftEvent

from bot.core.line_client import LineApiError
from handlers.commands import help_quick_reply
from handlers.context import HandlerContext

logger = logging.getLogger(__name__)

JOIN_GREETING = (
    "สวัสดีค่ะทุกท่าน 🙏 ขอบคุณที่ชวนน้องบอทเข้ากลุ่มนะคะ\n"
    "น้องบอทช่วยตอบคำถามเรื่องการจัดการความรู้ (KM) จากคลังความรู้ของหน่วยงาน "
    "และแจ้งเตือนกำหนดส่งงานตามแผน KM ค่ะ\n\n"
    "ในกลุ่มนี้ น้องบอทจะตอบเฉพาะข้อความที่แท็กถึงบอท หรือขึ้นต้นด้วย ? หรือ \"ถาม\" "
    "เช่น \"? ใครรับผิดชอบ KMP 5\" จะได้ไม่รบกวนการคุยกันในกลุ่มค่ะ\n"
    "ดูคำสั่งทั้งหมด: พิมพ์ /help"
)


def handle_join(event: Event, context: HandlerContext) -> list[Message]:
    group = context.group
    if group is None:
        return []
    group.active = True
    group.left_at = None
    group.joined_at = context.received_at
    refresh_member_count(context)
    refresh_group_name(context)
    context.record("join", recipients=group.member_count)
    return [TextMessage(text=JOIN_GREETING, quick_reply=help_quick_reply())]


def handle_leave(event: Event, context: HandlerContext) -> list[Message]:
    group = context.group
    if group is not None:
        group.active = False
        group.left_at = context.received_at
    context.record("leave")
    return []


def handle_member_joined(event: Event, context: HandlerContext) -> list[Message]:
    assert isinstance(event, MemberJoinedEvent)
    count = len(event.joined.members)
    _adjust_member_count(context, count)
    context.record("member_joined", value=count)
    return []


def handle_member_left(event: Event, context: HandlerContext) -> list[Message]:
    assert isinstance(event, MemberLeftEvent)
    count = len(event.left.members)
    _adjust_member_count(context, -count)
    context.record("member_left", value=count)
    return []


def refresh_member_count(context: HandlerContext) -> int | None:
    """Ask LINE how many members the group has; keep the last known count when LINE cannot say."""
    group = context.group
    if group is None or context.line is None:
        return None
    try:
        group.member_count = context.line.member_count(group.line_group_id, group.kind)
        group.member_count_at = context.received_at
    except LineApiError as error:
        logger.warning("member count unavailable for a %s (status %s)", group.kind, error.status)
    return group.member_count


def refresh_group_name(context: HandlerContext) -> str | None:
    """The group's name from LINE's group summary (rooms have none); the stored one when LINE cannot say."""
    group = context.group
    if group is None or context.line is None or group.kind != "group":
        return None
    name = context.line.group_name(group.line_group_id)
    if name:
        group.name = name[:200]
    return group.name


def _adjust_member_count(context: HandlerContext, change: int) -> None:
    group = context.group
    if group is not None and group.member_count is not None:
        group.member_count = max(0, group.member_count + change)
        group.member_count_at = context.received_at
