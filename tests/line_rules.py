"""What LINE's Messaging API accepts, as the strict LINE stub checks it.

Each rule names its source: the Messaging API reference (https://developers.line.biz/en/reference/messaging-api/,
cited by its anchor as REF#anchor), the "Character counting in a text" page (COUNT:
https://developers.line.biz/en/docs/messaging-api/text-character-count), or LINE's OpenAPI spec
(OPENAPI: github.com/line/line-openapi, messaging-api.yml, cited by schema name).

`problems(path, headers, body)` lists what LINE would refuse in one request, each as
``(property, message)``, the way LINE's 400 ``details`` name them.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any, Iterator
from urllib.parse import urlsplit

from bot.core.text import grapheme_length, utf16_length

Problem = tuple[str, str]

# OPENAPI ReplyMessageRequest / PushMessageRequest.messages: minItems 1, maxItems 5.
MAX_MESSAGES = 5
# REF#text-message: text "Max character limit: 5000", counted in UTF-16 code units (COUNT).
MAX_TEXT = 5000
# REF#flex-message altText and REF#template-messages altText: kmbot keeps to 400, the limit of
# every message type that has an alt text (the Flex reference now allows 1500; 400 is safe for all).
MAX_ALT_TEXT = 400
# OPENAPI QuickReply.items: maxItems 13 (REF#quick-reply).
MAX_QUICK_REPLY_ITEMS = 13
# REF#action-objects: every action's label "Max character limit: 20", counted in grapheme
# clusters (COUNT). Required for quick reply buttons (REF#items-object).
MAX_LABEL = 20
# REF#postback-action: data "Max character limit: 300" (OPENAPI PostbackAction.data maxLength 300);
# displayText "Max character limit: 300" (grapheme clusters, COUNT).
MAX_POSTBACK_DATA = 300
MAX_DISPLAY_TEXT = 300
# REF#message-action: text "Max character limit: 300" (grapheme clusters, COUNT).
MAX_MESSAGE_ACTION_TEXT = 300
# REF#uri-action: uri "Max character limit: 1000"; schemes http, https, line and tel.
MAX_URI = 1000
URI_SCHEMES = ("http", "https", "line", "tel")
# REF#f-bubble: "The maximum size of JSON data that defines a bubble is 30 KB";
# REF#f-carousel: contents "Max: 12 bubbles", "The maximum size of JSON data that defines a carousel is 50 KB".
MAX_BUBBLE_BYTES = 30 * 1024
MAX_CAROUSEL_BYTES = 50 * 1024
MAX_CAROUSEL_BUBBLES = 12
# OPENAPI pushMessage X-Line-Retry-Key: "a UUID in hexadecimal format (e.g. 123e4567-e89b-12d3-a456-426614174000)".
RETRY_KEY = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
# REF#send-reply-message: a reply token is used once; a redelivered event's token cannot be used
# once 20 minutes have passed since the event (REF#send-reply-message, "Redelivered webhooks").
REPLY_TOKEN_MAX_AGE_SECONDS = 20 * 60

ACTION_TYPES = {"postback", "message", "uri", "datetimepicker", "camera", "cameraRoll", "location", "richmenuswitch", "clipboard"}
FLEX_COMPONENTS = {"box", "button", "image", "video", "icon", "text", "span", "separator", "filler"}
BOX_LAYOUTS = {"horizontal", "vertical", "baseline"}


def request_problems(path: str, headers: dict[str, str], body: Any) -> list[Problem]:
    if path == "/v2/bot/message/reply":
        found = _messages_problems(body)
        if not isinstance(body, dict) or not isinstance(body.get("replyToken"), str) or not body.get("replyToken"):
            found.append(("replyToken", "Must not be empty"))
        return found
    if path == "/v2/bot/message/push":
        found = _messages_problems(body)
        if not isinstance(body, dict) or not isinstance(body.get("to"), str) or not body.get("to"):
            found.append(("to", "Must not be empty"))
        retry_key = _header(headers, "X-Line-Retry-Key")
        if retry_key is not None and not RETRY_KEY.match(retry_key):
            found.append(("X-Line-Retry-Key", "The retry key must be a UUID in hexadecimal format"))
        return found
    if path in ("/v2/bot/richmenu", "/v2/bot/richmenu/validate"):
        return list(rich_menu_problems(body))
    return []


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _messages_problems(body: Any) -> list[Problem]:
    if not isinstance(body, dict):
        return [("", "The request body must be a JSON object")]
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return [("messages", "Must not be empty")]
    found: list[Problem] = []
    if len(messages) > MAX_MESSAGES:
        found.append(("messages", f"Size must be between 1 and {MAX_MESSAGES}"))
    for index, message in enumerate(messages):
        found.extend(message_problems(message, f"messages[{index}]"))
    return found


def message_problems(message: Any, where: str) -> Iterator[Problem]:
    if not isinstance(message, dict):
        yield where, "Must be an object"
        return
    kind = message.get("type")
    if kind == "text":
        text = message.get("text")
        if not isinstance(text, str) or not text:
            yield f"{where}.text", "Must not be empty"
        elif utf16_length(text) > MAX_TEXT:
            yield f"{where}.text", f"Length must be between 0 and {MAX_TEXT}"
    elif kind == "flex":
        yield from _alt_text_problems(message, where)
        contents = message.get("contents")
        yield from container_problems(contents, f"{where}.contents")
    elif kind == "template":
        yield from _alt_text_problems(message, where)
    elif kind in ("sticker", "image", "video", "audio", "location", "imagemap"):
        pass
    else:
        yield f"{where}.type", f"Unknown message type {kind!r}"
    quick_reply = message.get("quickReply")
    if quick_reply is not None:
        yield from quick_reply_problems(quick_reply, f"{where}.quickReply")


def _alt_text_problems(message: dict[str, Any], where: str) -> Iterator[Problem]:
    alt_text = message.get("altText")
    if not isinstance(alt_text, str) or not alt_text:
        yield f"{where}.altText", "Must not be empty"
    elif utf16_length(alt_text) > MAX_ALT_TEXT:
        yield f"{where}.altText", f"Length must be between 0 and {MAX_ALT_TEXT}"


def quick_reply_problems(quick_reply: Any, where: str) -> Iterator[Problem]:
    items = quick_reply.get("items") if isinstance(quick_reply, dict) else None
    if not isinstance(items, list) or not items:
        yield f"{where}.items", "Must not be empty"
        return
    if len(items) > MAX_QUICK_REPLY_ITEMS:
        yield f"{where}.items", f"Size must be between 1 and {MAX_QUICK_REPLY_ITEMS}"
    for index, item in enumerate(items):
        action = item.get("action") if isinstance(item, dict) else None
        yield from action_problems(action, f"{where}.items[{index}].action", label_required=True)


def action_problems(action: Any, where: str, *, label_required: bool) -> Iterator[Problem]:
    if not isinstance(action, dict):
        yield where, "Must be an object"
        return
    kind = action.get("type")
    if kind not in ACTION_TYPES:
        yield f"{where}.type", f"Unknown action type {kind!r}"
        return
    label = action.get("label")
    if label is None:
        if label_required:
            yield f"{where}.label", "Must not be empty"
    elif not isinstance(label, str) or not label or grapheme_length(label) > MAX_LABEL:
        yield f"{where}.label", f"Length must be between 1 and {MAX_LABEL}"
    if kind == "postback":
        data = action.get("data")
        if not isinstance(data, str) or utf16_length(data) > MAX_POSTBACK_DATA:
            yield f"{where}.data", f"Length must be between 0 and {MAX_POSTBACK_DATA}"
        display = action.get("displayText")
        if display is not None and (not isinstance(display, str) or not display or grapheme_length(display) > MAX_DISPLAY_TEXT):
            yield f"{where}.displayText", f"Length must be between 1 and {MAX_DISPLAY_TEXT}"
        if display is not None and action.get("text") is not None:
            # REF#postback-action: displayText and text cannot be used together.
            yield f"{where}.text", "displayText and text cannot be specified together"
    elif kind == "message":
        text = action.get("text")
        if not isinstance(text, str) or not text or grapheme_length(text) > MAX_MESSAGE_ACTION_TEXT:
            yield f"{where}.text", f"Length must be between 1 and {MAX_MESSAGE_ACTION_TEXT}"
    elif kind == "uri":
        yield from uri_problems(action.get("uri"), f"{where}.uri")


def uri_problems(uri: Any, where: str) -> Iterator[Problem]:
    if not isinstance(uri, str) or not uri or len(uri) > MAX_URI:
        yield where, f"Length must be between 1 and {MAX_URI}"
        return
    parts = urlsplit(uri)
    if parts.scheme.lower() not in URI_SCHEMES:
        yield where, f"Invalid uri scheme: the scheme must be one of {', '.join(URI_SCHEMES)}"
        return
    if parts.scheme.lower() in ("http", "https") and not parts.hostname:
        yield where, "Invalid uri: no host"
    if any(ord(character) > 0x7E or character in ' "<>\\^`{|}' for character in uri):
        # RFC 3986: characters outside the URI grammar must be percent-encoded.
        yield where, "Invalid uri: characters must be percent-encoded"


def container_problems(container: Any, where: str) -> Iterator[Problem]:
    if not isinstance(container, dict):
        yield where, "Must be an object"
        return
    size = len(json.dumps(container, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    if container.get("type") == "bubble":
        if size > MAX_BUBBLE_BYTES:
            yield where, f"The bubble is {size} bytes; at most {MAX_BUBBLE_BYTES}"
        yield from _bubble_problems(container, where)
    elif container.get("type") == "carousel":
        bubbles = container.get("contents")
        if not isinstance(bubbles, list) or not bubbles or len(bubbles) > MAX_CAROUSEL_BUBBLES:
            yield f"{where}.contents", f"Size must be between 1 and {MAX_CAROUSEL_BUBBLES}"
            return
        if size > MAX_CAROUSEL_BYTES:
            yield where, f"The carousel is {size} bytes; at most {MAX_CAROUSEL_BYTES}"
        for index, bubble in enumerate(bubbles):
            if not isinstance(bubble, dict) or bubble.get("type") != "bubble":
                yield f"{where}.contents[{index}]", "Must be a bubble"
            else:
                yield from _bubble_problems(bubble, f"{where}.contents[{index}]")
    else:
        yield f"{where}.type", "Must be bubble or carousel"


def _bubble_problems(bubble: dict[str, Any], where: str) -> Iterator[Problem]:
    # REF#bubble: header, hero, body and footer are blocks; header/body/footer are boxes.
    for block in ("header", "body", "footer"):
        if block in bubble:
            box = bubble[block]
            if not isinstance(box, dict) or box.get("type") != "box":
                yield f"{where}.{block}", "Must be a box"
            else:
                yield from component_problems(box, f"{where}.{block}")
    if "hero" in bubble:
        yield from component_problems(bubble["hero"], f"{where}.hero")


def component_problems(component: Any, where: str) -> Iterator[Problem]:
    if not isinstance(component, dict):
        yield where, "Must be an object"
        return
    kind = component.get("type")
    if kind not in FLEX_COMPONENTS:
        yield f"{where}.type", f"Unknown component type {kind!r}"
        return
    if kind == "box":
        # REF#box: layout and contents are required.
        if component.get("layout") not in BOX_LAYOUTS:
            yield f"{where}.layout", "Must be horizontal, vertical or baseline"
        contents = component.get("contents")
        if not isinstance(contents, list):
            yield f"{where}.contents", "Must be an array"
        else:
            for index, child in enumerate(contents):
                yield from component_problems(child, f"{where}.contents[{index}]")
    elif kind == "text":
        # REF#f-text: text is required unless contents (spans) are given.
        text = component.get("text")
        if not component.get("contents") and (not isinstance(text, str) or not text):
            yield f"{where}.text", "Must not be empty"
    elif kind == "button":
        # REF#button: action is required.
        yield from action_problems(component.get("action"), f"{where}.action", label_required=True)
    elif kind == "image":
        url = component.get("url")
        if not isinstance(url, str) or not url.startswith("https://"):
            yield f"{where}.url", "Must be an https URL"
    if "action" in component and kind != "button":
        yield from action_problems(component["action"], f"{where}.action", label_required=False)


# REF#rich-menu-object / REF#upload-rich-menu-image: width 800 to 2500, height at least 250,
# width / height at least 1.45; the image is exactly the menu's size, JPEG or PNG, at most 1 MB.
RICH_MENU_MIN_WIDTH, RICH_MENU_MAX_WIDTH, RICH_MENU_MIN_HEIGHT, RICH_MENU_MIN_RATIO = 800, 2500, 250, 1.45
RICH_MENU_MAX_IMAGE_BYTES = 1024 * 1024
# REF#postback-action: inputOption is one of these.
INPUT_OPTIONS = {"closeRichMenu", "openRichMenu", "openKeyboard", "openVoice"}


def rich_menu_problems(body: Any) -> Iterator[Problem]:
    """REF#rich-menu-object: size (see above); selected a boolean; name max 300, chatBarText max 14
    (grapheme clusters, COUNT); 1 to 20 areas, each with bounds inside the menu and an action."""
    if not isinstance(body, dict):
        yield "", "Must be an object"
        return
    size = body.get("size") or {}
    width, height = size.get("width"), size.get("height")
    if not (isinstance(width, int) and isinstance(height, int) and RICH_MENU_MIN_WIDTH <= width <= RICH_MENU_MAX_WIDTH
            and height >= RICH_MENU_MIN_HEIGHT and width / height >= RICH_MENU_MIN_RATIO):
        yield "size", "width must be 800 to 2500, height at least 250, width/height at least 1.45"
        width = height = None
    if not isinstance(body.get("selected"), bool):
        yield "selected", "Must be a boolean"
    name = body.get("name")
    if not isinstance(name, str) or not name or grapheme_length(name) > 300:
        yield "name", "Length must be between 1 and 300"
    chat_bar = body.get("chatBarText")
    if not isinstance(chat_bar, str) or not chat_bar or grapheme_length(chat_bar) > 14:
        yield "chatBarText", "Length must be between 1 and 14"
    areas = body.get("areas")
    if not isinstance(areas, list) or not 1 <= len(areas) <= 20:
        yield "areas", "Size must be between 1 and 20"
        return
    for index, area in enumerate(areas):
        bounds = area.get("bounds") if isinstance(area, dict) else None
        if not isinstance(bounds, dict) or not all(isinstance(bounds.get(key), int) for key in ("x", "y", "width", "height")):
            yield f"areas[{index}].bounds", "Must have x, y, width and height"
        elif (bounds["x"] < 0 or bounds["y"] < 0 or bounds["width"] < 1 or bounds["height"] < 1
              or (width is not None and bounds["x"] + bounds["width"] > width)
              or (height is not None and bounds["y"] + bounds["height"] > height)):
            yield f"areas[{index}].bounds", "The area must lie inside the rich menu"
        action = area.get("action") if isinstance(area, dict) else None
        yield from action_problems(action, f"areas[{index}].action", label_required=False)
        if isinstance(action, dict) and action.get("inputOption") is not None and action.get("inputOption") not in INPUT_OPTIONS:
            yield f"areas[{index}].action.inputOption", "Invalid inputOption"


def rich_menu_image_problems(menu: dict[str, Any], content_type: str, image: bytes) -> list[Problem]:
    """REF#upload-rich-menu-image: JPEG or PNG, at most 1 MB, of the same size as the menu object."""
    import io

    from PIL import Image

    if content_type not in ("image/png", "image/jpeg"):
        return [("Content-Type", "The image must be JPEG or PNG")]
    if len(image) > RICH_MENU_MAX_IMAGE_BYTES:
        return [("", "The image must be at most 1 MB")]
    try:
        with Image.open(io.BytesIO(image)) as opened:
            found_format, dimensions = opened.format, opened.size
    except Exception:
        return [("", "The image cannot be read")]
    if found_format not in ("PNG", "JPEG") or f"image/{found_format.lower()}" != content_type:
        return [("Content-Type", "The image is not of the type its Content-Type says")]
    size = menu.get("size") or {}
    if dimensions != (size.get("width"), size.get("height")):
        return [("", f"The image is {dimensions[0]}x{dimensions[1]}; the rich menu is {size.get('width')}x{size.get('height')}")]
    return []


def error_body(problems: list[Problem]) -> dict[str, Any]:
    """LINE's error response (REF#error-responses; OPENAPI ErrorResponse): message and details."""
    return {
        "message": "The request body has {} error(s)".format(len(problems)),
        "details": [{"message": message, "property": prop} for prop, message in problems],
    }


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
