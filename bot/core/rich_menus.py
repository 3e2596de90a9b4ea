"""The staff and committee rich menus: their buttons, their image (drawn with Pillow in Sarabun,
the Thai font kmbot ships) and setting them up on the channel.

Rich menus show in the 1:1 chat with the bot. Staff get ask, plan, share, survey and help; the
committee (and the secretary) get done and stats as well. Every button works as typed: a
message action carrying the command (``/plan``), which the bot reads in any chat; "ask" is a
postback that only opens the keyboard (``inputOption: openKeyboard``), and the bot ignores its
data. The staff menu is the channel's default; `kmbot users grant` links the committee menu to
a person.

Limits (Messaging API reference, #rich-menu-object and #upload-rich-menu-image): size 800–2500
wide, at least 250 high, width/height at least 1.45 (2500 × 1686 here); at most 20 areas inside
the image; chatBarText at most 14 characters; the image JPEG or PNG of exactly the menu's size,
at most 1 MB.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Any, Protocol

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 2500, 1686
MAX_IMAGE_BYTES = 1024 * 1024
# The menus kmbot made carry these names; setup replaces menus of these names and no others.
STAFF_MENU = "kmbot-staff"
COMMITTEE_MENU = "kmbot-committee"
MENU_NAMES = (STAFF_MENU, COMMITTEE_MENU)
CHAT_BAR_TEXT = "เมนูน้องบอท KM"

# The roles that see the committee menu.
COMMITTEE_ROLES = frozenset({"committee", "secretary"})


@dataclass(frozen=True)
class MenuButton:
    label: str  # Thai, drawn on the image
    hint: str  # the small line under it
    action: dict[str, Any]
    color: str


def _command(text: str) -> dict[str, Any]:
    return {"type": "message", "text": text}


ASK = MenuButton("ถามคำถาม", "พิมพ์คำถามได้เลย", {"type": "postback", "data": "action=menu&item=ask", "inputOption": "openKeyboard"}, "#1B4F72")
PLAN = MenuButton("งานตามแผน", "/plan", _command("/plan"), "#117A65")
SHARE = MenuButton("แบ่งปันความรู้", "/share", _command("/share"), "#7D3C98")
SURVEY = MenuButton("ประเมินความพึงพอใจ", "/survey", _command("/survey"), "#B9770E")
HELP = MenuButton("วิธีใช้", "/help", _command("/help"), "#566573")
DONE = MenuButton("บันทึกงานเสร็จ", "/done", _command("/done"), "#A93226")
STATS = MenuButton("สถิติการใช้งาน", "/stats", _command("/stats"), "#2E4053")

# Rows of buttons, top to bottom.
STAFF_ROWS: tuple[tuple[MenuButton, ...], ...] = ((ASK, PLAN, SHARE), (SURVEY, HELP))
COMMITTEE_ROWS: tuple[tuple[MenuButton, ...], ...] = ((ASK, PLAN, DONE, STATS), (SHARE, SURVEY, HELP))


def layout(rows: tuple[tuple[MenuButton, ...], ...]) -> list[tuple[MenuButton, dict[str, int]]]:
    """Each button with its bounds: equal rows, equal cells in a row, the whole image covered."""
    placed = []
    for row_index, row in enumerate(rows):
        top = HEIGHT * row_index // len(rows)
        bottom = HEIGHT * (row_index + 1) // len(rows)
        for column, button in enumerate(row):
            left = WIDTH * column // len(row)
            right = WIDTH * (column + 1) // len(row)
            placed.append((button, {"x": left, "y": top, "width": right - left, "height": bottom - top}))
    return placed


def menu_object(name: str, rows: tuple[tuple[MenuButton, ...], ...]) -> dict[str, Any]:
    """The rich menu object (#rich-menu-object) LINE is asked to create."""
    return {
        "size": {"width": WIDTH, "height": HEIGHT},
        "selected": False,
        "name": name,
        "chatBarText": CHAT_BAR_TEXT,
        "areas": [{"bounds": bounds, "action": button.action} for button, bounds in layout(rows)],
    }


def menu_image(rows: tuple[tuple[MenuButton, ...], ...]) -> bytes:
    """The menu's PNG: one coloured tile per button, its Thai label in Sarabun Bold."""
    from PIL import Image, ImageDraw, ImageFont

    from bot.core.fonts import sarabun_font_path

    image = Image.new("RGB", (WIDTH, HEIGHT), "#FFFFFF")
    draw = ImageDraw.Draw(image)
    label_font = ImageFont.truetype(str(sarabun_font_path("Bold")), 120)
    hint_font = ImageFont.truetype(str(sarabun_font_path("Regular")), 72)
    gap = 12
    for button, bounds in layout(rows):
        box = (bounds["x"] + gap, bounds["y"] + gap, bounds["x"] + bounds["width"] - gap, bounds["y"] + bounds["height"] - gap)
        draw.rounded_rectangle(box, radius=40, fill=button.color)
        centre_x = bounds["x"] + bounds["width"] / 2
        centre_y = bounds["y"] + bounds["height"] / 2
        font = _fitting(draw, button.label, label_font, bounds["width"] - 4 * gap)
        draw.text((centre_x, centre_y - 40), button.label, font=font, fill="#FFFFFF", anchor="mm")
        draw.text((centre_x, centre_y + 110), button.hint, font=hint_font, fill="#E5E8E8", anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    data = buffer.getvalue()
    assert len(data) <= MAX_IMAGE_BYTES, "LINE takes rich menu images of at most 1 MB"
    return data


def _fitting(draw: Any, text: str, font: Any, width: int) -> Any:
    """The label's font, smaller until the label fits its tile."""
    while draw.textlength(text, font=font) > width and font.size > 40:
        font = font.font_variant(size=font.size - 8)
    return font


class RichMenuApi(Protocol):
    def rich_menus(self) -> list[dict[str, Any]]: ...
    def create_rich_menu(self, menu: dict[str, Any]) -> str: ...
    def set_rich_menu_image(self, rich_menu_id: str, image: bytes, content_type: str = ...) -> None: ...
    def delete_rich_menu(self, rich_menu_id: str) -> None: ...
    def set_default_rich_menu(self, rich_menu_id: str) -> None: ...
    def link_rich_menu(self, user_id: str, rich_menu_id: str) -> None: ...
    def unlink_rich_menu(self, user_id: str) -> None: ...


@dataclass(frozen=True)
class SetupResult:
    staff: str
    committee: str
    replaced: list[str]


def set_up_menus(line: RichMenuApi) -> SetupResult:
    """Create both menus with their images, make the staff menu the default, then delete the
    menus an earlier setup made (by name), so running it again replaces instead of piling up.
    The old menus go last: people keep a working menu until the new ones are in place."""
    earlier = [menu["richMenuId"] for menu in line.rich_menus() if menu.get("name") in MENU_NAMES]
    created = {}
    for name, rows in ((STAFF_MENU, STAFF_ROWS), (COMMITTEE_MENU, COMMITTEE_ROWS)):
        menu_id = line.create_rich_menu(menu_object(name, rows))
        line.set_rich_menu_image(menu_id, menu_image(rows), "image/png")
        created[name] = menu_id
    line.set_default_rich_menu(created[STAFF_MENU])
    for menu_id in earlier:
        line.delete_rich_menu(menu_id)
    return SetupResult(staff=created[STAFF_MENU], committee=created[COMMITTEE_MENU], replaced=earlier)


def committee_menu_id(line: RichMenuApi) -> str | None:
    """The committee menu on the channel (the newest, should there be several); None before setup."""
    found = [menu["richMenuId"] for menu in line.rich_menus() if menu.get("name") == COMMITTEE_MENU]
    return found[-1] if found else None


def apply_role_menu(line: RichMenuApi, user_id: str, role: str) -> str:
    """Link the committee menu to a committee member or secretary, unlink it for staff; what was done."""
    if role in COMMITTEE_ROLES:
        menu_id = committee_menu_id(line)
        if menu_id is None:
            return "no committee rich menu on the channel yet (run `kmbot richmenu setup`)"
        line.link_rich_menu(user_id, menu_id)
        return "committee rich menu linked"
    line.unlink_rich_menu(user_id)
    return "staff rich menu (the default) restored"
