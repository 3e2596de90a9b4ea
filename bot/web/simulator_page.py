"""The home page: the chat simulator in local mode, a short landing page once LINE is configured.

The simulator page is plain server-rendered HTML. A form posts the typed text (or a button's
postback) and the answer comes back as HTML; a small script sends the same forms with fetch()
and appends the returned fragment, so the conversation grows in the page without a reload.
Without the script, the form post renders the page with the latest exchange.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, render_template, request, session, url_for

from bot.web.extensions import get_config, get_database, get_search
from bot.web.security import protect_forms

if TYPE_CHECKING:
    from bot.web.simulator import SimulatedExchange

blueprint = Blueprint("chat", __name__)

SIMULATOR_SESSION_KEY = "simulator_user"
FRAGMENT_HEADER = "X-Requested-With"
FRAGMENT_VALUE = "fetch"

_HEX_COLOR = re.compile(r"#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?")
_TEXT_SIZES = {"xxs", "xs", "sm", "md", "lg", "xl", "xxl", "3xl", "4xl", "5xl"}
_SPACINGS = {"none", "xs", "sm", "md", "lg", "xl", "xxl"}


@blueprint.get("/")
def home() -> str:
    config = get_config()
    if config.line_configured:
        return render_template("landing.html", admin_enabled=bool(config.admin_password))
    return render_chat_page("chat.send")


@blueprint.post("/chat/send")
def send() -> str:
    # Once LINE is configured the open simulator is gone; the signed-in one lives under /admin.
    if get_config().line_configured:
        abort(404)
    protect_forms()
    return handle_chat_post("chat.send")


def simulator_user_id() -> str:
    """This browser's simulated LINE user, kept in the session so the chat has one sender."""
    from bot.web.simulator import new_simulator_user_id

    user_id = session.get(SIMULATOR_SESSION_KEY)
    if not isinstance(user_id, str) or not user_id:
        user_id = new_simulator_user_id()
        session[SIMULATOR_SESSION_KEY] = user_id
        session.permanent = True
    return user_id


def render_chat_page(send_endpoint: str, exchanges: list[SimulatedExchange] | None = None, *, back_url: str | None = None) -> str:
    return render_template(
        "chat/page.html",
        exchanges=exchanges or [],
        send_url=url_for(send_endpoint),
        back_url=back_url,
    )


def handle_chat_post(send_endpoint: str, *, back_url: str | None = None, kind: str = "web") -> str:
    """Run the posted text or postback through the handlers; answer with a fragment or the page.

    `kind` marks the reach log's channel: "web" for the public page, "admin" for the secretary's."""
    text = (request.form.get("text") or "").strip()
    postback = (request.form.get("postback") or "").strip()
    if not text and not postback:
        exchange = None
    else:
        # The simulator's engine brings the LINE SDK's models and the handlers: loaded on first use
        # (`bot.web.extensions.load_event_stack`), as the webhook is.
        from bot.web.simulator import simulate_postback, simulate_text
        from bot.web.webhook import EventServices

        config = get_config()
        services = EventServices(get_database(), config, None, get_search(), config.public_base_url or request.host_url)
        user_id = simulator_user_id()
        if postback:
            exchange = simulate_postback(postback, user_id, services, display_text=(request.form.get("display") or "").strip(),
                                         kind=kind)
        else:
            exchange = simulate_text(text, user_id, services, kind)
    exchanges = [exchange] if exchange is not None else []
    if request.headers.get(FRAGMENT_HEADER) == FRAGMENT_VALUE:
        return render_template("chat/_exchanges.html", exchanges=exchanges, send_url=url_for(send_endpoint))
    return render_chat_page(send_endpoint, exchanges, back_url=back_url)


# --- turning LINE message JSON into something a template can draw safely ---------------------


def message_view(message: dict[str, Any]) -> dict[str, Any]:
    """A reply message as the chat page shows it: text, a Flex bubble (or carousel), or alt text."""
    kind = message.get("type")
    quick_replies = [action_view(item.get("action") or {}) for item in (message.get("quickReply") or {}).get("items", [])]
    view: dict[str, Any] = {"kind": "other", "text": "", "quick_replies": [item for item in quick_replies if item]}
    if kind == "text":
        view.update(kind="text", text=str(message.get("text", "")))
    elif kind == "flex":
        contents = message.get("contents") or {}
        bubbles = contents.get("contents", []) if contents.get("type") == "carousel" else [contents]
        view.update(kind="flex", text=str(message.get("altText", "")), bubbles=[bubble_view(bubble) for bubble in bubbles])
    else:
        view["text"] = str(message.get("altText") or message.get("text") or "")
    return view


def bubble_view(bubble: dict[str, Any]) -> dict[str, Any]:
    sections = []
    for name in ("header", "hero", "body", "footer"):
        block = bubble.get(name)
        if isinstance(block, dict):
            sections.append({"name": name, "component": component_view(block)})
    return {"sections": sections}


def component_view(component: dict[str, Any]) -> dict[str, Any] | None:
    """One Flex component, keeping only what the page can draw and only safe style values."""
    kind = component.get("type")
    style = _style(component)
    if kind == "box":
        children = [component_view(child) for child in component.get("contents", []) if isinstance(child, dict)]
        return {"kind": "box", "layout": "horizontal" if component.get("layout") == "horizontal" else "vertical",
                "spacing": _choice(component.get("spacing"), _SPACINGS), "style": style,
                "children": [child for child in children if child]}
    if kind == "text":
        text = component.get("text") or "".join(str(span.get("text", "")) for span in component.get("contents", []) if isinstance(span, dict))
        return {"kind": "text", "text": str(text), "size": _choice(component.get("size"), _TEXT_SIZES) or "md",
                "bold": component.get("weight") == "bold", "align": _choice(component.get("align"), {"start", "center", "end"}),
                "style": style}
    if kind == "separator":
        return {"kind": "separator", "style": style}
    if kind == "button":
        action = action_view(component.get("action") or {})
        if action is None:
            return None
        return {"kind": "button", "action": action, "button_style": _choice(component.get("style"), {"primary", "secondary", "link"}) or "link",
                "style": style}
    if kind == "image":
        url = component.get("url")
        return {"kind": "image", "url": url} if _is_web_url(url) else None
    return None


def action_view(action: dict[str, Any]) -> dict[str, Any] | None:
    """A button or quick-reply action: a link, a text to send, or a postback to post."""
    kind = action.get("type")
    label = str(action.get("label") or "")
    if kind == "uri" and _is_web_url(action.get("uri")):
        return {"kind": "link", "label": label, "uri": action["uri"]}
    if kind == "message":
        return {"kind": "text", "label": label, "text": str(action.get("text") or label)}
    if kind == "postback":
        return {"kind": "postback", "label": label, "data": str(action.get("data") or ""),
                "display": str(action.get("displayText") or action.get("text") or "")}
    return None


def _style(component: dict[str, Any]) -> str:
    parts = []
    color = component.get("color")
    if isinstance(color, str) and _HEX_COLOR.fullmatch(color):
        parts.append(f"--flex-color:{color}")
    background = component.get("backgroundColor")
    if isinstance(background, str) and _HEX_COLOR.fullmatch(background):
        parts.append(f"background-color:{background}")
    flex = component.get("flex")
    if isinstance(flex, int) and 0 <= flex <= 12:
        parts.append(f"flex:{flex} 1 0")
    margin = _choice(component.get("margin"), _SPACINGS)
    if margin:
        parts.append(f"margin-top:var(--space-{margin})")
    return ";".join(parts)


def _choice(value: Any, allowed: set[str]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def _is_web_url(value: Any) -> bool:
    return isinstance(value, str) and urlsplit(value).scheme in ("http", "https")


@blueprint.app_template_global("message_view")
def _message_view_global(message: dict[str, Any]) -> dict[str, Any]:
    return message_view(message)
