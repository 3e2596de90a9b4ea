"""The table of chat commands and postback actions.

Adding a command is one function in its own module and one line in `COMMANDS` (plus its aliases).
"""

from __future__ import annotations

from typing import Callable

from linebot.v3.messaging.models import Message

from handlers import (
    done_command,
    feedback,
    help_command,
    plan_command,
    registration,
    share_command,
    stats_command,
    survey_command,
)
from handlers.context import HandlerContext

CommandHandler = Callable[[str, HandlerContext], list[Message]]
PostbackHandler = Callable[[dict[str, str], HandlerContext], list[Message]]

# Command name -> function taking the text typed after the command.
COMMANDS: dict[str, CommandHandler] = {
    "help": help_command.run,
    "plan": plan_command.run,
    "done": done_command.run,
    "stats": stats_command.run,
    "survey": survey_command.run,
    "comment": survey_command.run_comment,
    "register": registration.run,
    "share": share_command.run,
}

# What people type -> command name. `/alias` always works; a bare alias only as the whole message.
COMMAND_ALIASES: dict[str, str] = {
    "help": "help",
    "วิธีใช้": "help",
    "ช่วยเหลือ": "help",
    "เมนู": "help",
    "plan": "plan",
    "แผน": "plan",
    "งาน": "plan",
    "กำหนดส่ง": "plan",
    "done": "done",
    "ทำแล้ว": "done",
    "เสร็จแล้ว": "done",
    "stats": "stats",
    "สถิติ": "stats",
    "รายงาน": "stats",
    "survey": "survey",
    "แบบสอบถาม": "survey",
    "ประเมิน": "survey",
    "ความพึงพอใจ": "survey",
    "comment": "comment",
    "ความเห็น": "comment",
    "ข้อเสนอแนะ": "comment",
    "register": "register",
    "ลงทะเบียน": "register",
    "share": "share",
    "แบ่งปัน": "share",
    "เสนอความรู้": "share",
}

# Postback `action=...` -> function taking the postback's data fields.
POSTBACK_ACTIONS: dict[str, PostbackHandler] = {
    "help": help_command.run_from_postback,
    "done": done_command.run_from_postback,
    "feedback": feedback.run_from_postback,
    "survey": survey_command.run_from_postback,
}


def find_command(text: str) -> tuple[str, str] | None:
    """The command a message asks for and the text after it, or None for a question."""
    stripped = text.strip()
    if not stripped:
        return None
    first_word, _, rest = stripped.partition(" ")
    if first_word.startswith("/"):
        name = COMMAND_ALIASES.get(first_word[1:].lower())
        return (name, rest.strip()) if name else ("unknown", stripped)
    name = COMMAND_ALIASES.get(stripped.lower())
    return (name, "") if name else None
