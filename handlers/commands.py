"""Every chat command, declared once: what people type, who may use it, its /help line, its function.

`COMMANDS` below is the whole list. From it come the words the bot recognises (`find_command`),
the `/help` reply (`help_text`), the one role check (`permitted`), and the buttons (postback
`action=<name>`) that run a command. Adding a command is one `Command(...)` in `COMMANDS`.

A command's function takes the text typed after the command; its button function takes the
postback's data fields. Buttons that belong to no command (the 👍/👎 under an answer) are in
`BUTTONS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from linebot.v3.messaging.models import (
    Message,
    PostbackAction,
    QuickReply,
    QuickReplyItem,
    TextMessage,
)

from bot.core.text import shorten

from handlers import (
    ask_experts,
    done_command,
    feedback,
    plan_command,
    quiz_command,
    registration,
    share_command,
    stats_command,
    survey_command,
)
from handlers.context import HandlerContext

CommandHandler = Callable[[str, HandlerContext], list[Message]]
PostbackHandler = Callable[[dict[str, str], HandlerContext], list[Message]]

# Roles are a person's own (`kmbot users grant`, or a registration code): being in the
# committee's LINE group is not enough, because the bot cannot tell who was added to it.
# Only where LINE sends no userId at all (group events from LINE for PC, and events LINE sends
# without one) is the committee group itself the authority: see `permitted`.
KM_TEAM = ("secretary", "committee")

# A question button's postback: `action=ask&q=<question>`; the chat shows the question
# (displayText), so the button works in a group as well, where a plain text without `?` or a
# mention would be ignored. LINE's limits: data 300 characters, displayText 300 and label 20
# (grapheme clusters) (Messaging API reference, #postback-action).
ASK_ACTION = "ask"
POSTBACK_DATA_LIMIT = 300
LABEL_LIMIT = 20
DISPLAY_TEXT_LIMIT = 300


@dataclass(frozen=True)
class Command:
    name: str
    """The English name: `/name` always works, and it is the postback's `action`."""
    aliases: tuple[str, ...]
    """Other words for it, Thai first. `/alias` always works; a bare alias only as the whole message."""
    run: CommandHandler
    help: str | None = None
    """Its line in /help; None keeps it out of the list."""
    roles: tuple[str, ...] | None = None
    """Who may use it; None is everyone."""
    refusal: str = ""
    """The reply to someone without one of `roles`."""
    button: PostbackHandler | None = None
    """What a button with `action=<name>` runs (checked against `roles` the same way)."""
    help_as: str | None = None
    """How /help writes the command; "/name หรือ /first-alias" unless given."""

    @property
    def words(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def help_line(self) -> str:
        written = self.help_as or f"/{self.name} หรือ /{self.aliases[0]}"
        return f"• {written} — {self.help}"


def _help(arguments: str, context: HandlerContext) -> list[Message]:
    return [TextMessage(text=help_text(), quick_reply=help_quick_reply())]


def _help_button(data: dict[str, str], context: HandlerContext) -> list[Message]:
    return _help("", context)


# The /help list follows this order.
COMMANDS: tuple[Command, ...] = (
    Command("plan", ("แผน", "งาน", "กำหนดส่ง"), plan_command.run,
            help="ดูกิจกรรมตามแผน KM ที่ใกล้ถึงกำหนด"),
    Command("done", ("ทำแล้ว", "เสร็จแล้ว"), done_command.run,
            help="กรรมการ KM บันทึกว่ากิจกรรมเสร็จแล้ว",
            roles=KM_TEAM, refusal=done_command.REFUSAL, button=done_command.run_from_postback),
    Command("share", ("แบ่งปัน", "เสนอความรู้"), share_command.run,
            help="ส่งเกร็ดความรู้ให้คณะทำงานตรวจก่อนเผยแพร่"),
    Command("survey", ("แบบสอบถาม", "ประเมิน", "ความพึงพอใจ"), survey_command.run,
            help="ให้คะแนนความพึงพอใจ 1–5", button=survey_command.run_from_postback),
    Command("quiz", ("แบบทดสอบ",), quiz_command.run,
            help="ทำแบบทดสอบความเข้าใจเรื่องการจัดการความรู้", button=quiz_command.run_from_postback),
    Command("stats", ("สถิติ", "รายงาน"), stats_command.run,
            help="สรุปตัวเลขการใช้งาน (เลขานุการและกรรมการ)",
            roles=KM_TEAM, refusal=stats_command.REFUSAL),
    Command("experts", ("ถามผู้รู้",), ask_experts.run_ask_command,
            help="ส่งคำถามถึงผู้รู้ในสำนักงาน (ไม่ระบุชื่อผู้ถาม)", help_as="/experts หรือ /ถามผู้รู้ ตามด้วยคำถาม",
            button=ask_experts.run_offer),
    Command("answer", ("ตอบ",), ask_experts.run_answer_command,
            help="ผู้รู้ตอบคำถาม (ในกลุ่มผู้รู้) เช่น /answer ๑๒ คำตอบ", help_as="/answer เลขข้อ คำตอบ"),
    Command("credit", ("ใส่ชื่อ",), ask_experts.run_credit_command,
            help="ผู้รู้ให้แสดงชื่อในคำตอบและนับในการยกย่องชมเชย", help_as="/credit ชื่อ-สกุล"),
    Command("help", ("วิธีใช้", "ช่วยเหลือ", "เมนู"), _help,
            help="ดูข้อความนี้อีกครั้ง", help_as="/help หรือ วิธีใช้", button=_help_button),
    Command("comment", ("ความเห็น", "ข้อเสนอแนะ"), survey_command.run_comment),
    Command("register", ("ลงทะเบียน",), registration.run),
)

# Buttons that are not a command: postback `action` -> function taking the data fields.
BUTTONS: dict[str, PostbackHandler] = {
    "feedback": feedback.run_from_postback,
    feedback.REASON_ACTION: feedback.run_reason_from_postback,
    ask_experts.expert_pushes.ANSWER_ACTION: ask_experts.run_answer_button,
    ask_experts.expert_pushes.PASS_ACTION: ask_experts.run_pass_button,
    ask_experts.expert_pushes.FEEDBACK_ACTION: ask_experts.run_feedback_button,
}

COMMANDS_BY_WORD: dict[str, Command] = {word.lower(): command for command in COMMANDS for word in command.words}

HELP_INTRO = (
    "น้องบอท KM ช่วยอะไรได้บ้าง 📚\n\n"
    "• ถามความรู้: พิมพ์คำถามได้เลย เช่น \"ความรู้ฝังลึกคืออะไร\"\n"
    "  (ในกลุ่ม ให้แท็กถึงบอท หรือขึ้นต้นด้วย ? หรือ \"ถาม\")"
)


def help_text() -> str:
    """The /help reply: what the bot does, then one line per listed command."""
    return "\n".join([HELP_INTRO, *(command.help_line() for command in COMMANDS if command.help)])


def help_quick_reply() -> QuickReply:
    """Buttons for a first try: two sample questions and the plan command."""
    samples = [("KM คืออะไร", "KM คืออะไร"), ("ขั้นตอน KMP", "ขั้นตอนการจัดการความรู้มีอะไรบ้าง"), ("งานใกล้กำหนด", "/plan")]
    return QuickReply(items=[question_button(text, label) for label, text in samples])


def question_button(question: str, label: str | None = None) -> QuickReplyItem:
    """A quick-reply button that asks ``question`` (or runs the command it names) when tapped,
    in a 1:1 chat and in a group alike."""
    shown = shorten(question, DISPLAY_TEXT_LIMIT, unit="grapheme")
    return QuickReplyItem(action=PostbackAction(
        # LINE counts a label in grapheme clusters; counting UTF-16 units keeps it within that
        # limit and within any tool that counts code points.
        label=shorten(label or question, LABEL_LIMIT),
        data=ask_postback_data(question),
        display_text=shown,
    ))


def ask_postback_data(question: str) -> str:
    """`action=ask&q=...` within LINE's 300 characters; only the query string's own signs are escaped."""
    prefix = f"action={ASK_ACTION}&q="
    text = shorten(question, POSTBACK_DATA_LIMIT - len(prefix) - 40)
    escaped = text.replace("%", "%25").replace("&", "%26").replace("=", "%3D").replace("+", "%2B")
    while len(prefix) + len(escaped) > POSTBACK_DATA_LIMIT:  # only a question full of & or = gets here
        text = shorten(text, len(text) - 10)
        escaped = text.replace("%", "%25").replace("&", "%26").replace("=", "%3D").replace("+", "%2B")
    return prefix + escaped


def find_command(text: str) -> tuple[Command | None, str] | None:
    """The command a message asks for and the text after it; (None, text) for an unknown
    `/word`; None for a question."""
    stripped = text.strip()
    if not stripped:
        return None
    first_word, _, rest = stripped.partition(" ")
    if first_word.startswith("/"):
        command = COMMANDS_BY_WORD.get(first_word[1:].lower())
        return (command, rest.strip()) if command else (None, stripped)
    command = COMMANDS_BY_WORD.get(stripped.lower())
    return (command, "") if command else None


def permitted(command: Command, context: HandlerContext) -> bool:
    """The one role check, for typed commands and their buttons alike.

    A person's own role decides. LINE leaves out the userId of a group event sent from LINE for
    PC (and of events it sends without one); then nobody can be asked for a role, and the
    committee's own LINE group is the authority: whoever acts in it is acting for the committee.
    A person LINE does name must hold the role themselves, in any chat.
    """
    if command.roles is None:
        return True
    if context.user is not None:
        return context.user_role in command.roles
    group = context.group
    return group is not None and group.role == "committee" and "committee" in command.roles


def run_command(command: Command, arguments: str, context: HandlerContext) -> list[Message]:
    context.record("command", detail={"command": command.name})
    if not permitted(command, context):
        return [TextMessage(text=command.refusal)]
    return command.run(arguments, context)


def postback_action(action: str) -> PostbackHandler | None:
    """The function a button's `action` runs (behind the command's role check), or None."""
    for command in COMMANDS:
        if command.name == action and command.button is not None:
            button = command.button

            def checked(data: dict[str, str], context: HandlerContext) -> list[Message]:
                if not permitted(command, context):
                    return [TextMessage(text=command.refusal)]
                return button(data, context)

            return checked
    return BUTTONS.get(action)


POSTBACK_ACTIONS: frozenset[str] = frozenset(
    {command.name for command in COMMANDS if command.button is not None} | set(BUTTONS)
)
"""Every `action` a button may carry."""
