"""Public web pages: knowledge articles at `/kb/<id>`, and the Thai web font they use."""

from __future__ import annotations

import markdown
import nh3
from flask import Blueprint, abort, render_template, request, send_from_directory
from markupsafe import Markup

from bot.core.calendar import format_thai_date, now, to_bangkok
from bot.core.fonts import SARABUN_FILES, sarabun_directory
from bot.core.tables import InteractionEvent
from bot.web.extensions import get_database
from kb.tables import Article

blueprint = Blueprint("pages", __name__)

FONT_FILES = SARABUN_FILES
# Row ids are 32-bit integers on PostgreSQL; a larger one in a URL names no row.
MAX_ROW_ID = 2**31 - 1


def render_markdown(text: str) -> Markup:
    """Markdown to HTML with anything active (scripts, handlers, javascript: links) removed, and
    images only from kmbot itself: an image from elsewhere tells its server who read the page
    (a tracking pixel in an imported article or a /done note)."""
    html = markdown.markdown(text, extensions=["tables", "sane_lists"])
    return Markup(nh3.clean(html, attribute_filter=_local_images_only))


def _local_images_only(element: str, attribute: str, value: str) -> str | None:
    if element == "img" and attribute in ("src", "srcset"):
        plain = "".join(value.split()).lower()
        if attribute == "srcset" or ":" in plain.split("/")[0] or plain.startswith("//") or plain.startswith("\\"):
            return None
    return value


@blueprint.get("/kb/<int:article_id>")
def article_page(article_id: int) -> str:
    origin = request.args.get("from", "web")
    if not 0 < article_id <= MAX_ROW_ID:
        abort(404)  # no article has such an id, and no database column could even hold it
    with get_database().session() as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "published":
            abort(404)
        if origin == "line":
            session.add(InteractionEvent(kind="link_click", occurred_at=now(), channel="web", article_id=article.id))
        session.add(InteractionEvent(kind="article_view", occurred_at=now(), channel="web", article_id=article.id))
        return render_template(
            "article.html",
            article=article,
            body=render_markdown(article.body),
            updated=format_thai_date(to_bangkok(article.updated_at).date()),
        )


@blueprint.get("/fonts/<name>")
def font(name: str):  # type: ignore[no-untyped-def]
    if name not in FONT_FILES:
        abort(404)
    response = send_from_directory(sarabun_directory(), name, max_age=31536000)
    return response
