"""Public web pages: knowledge articles at `/kb/<id>`, and the Thai web font they use."""

from __future__ import annotations

import markdown
import nh3
from flask import Blueprint, abort, render_template, request, send_from_directory
from markupsafe import Markup

from bot.core.calendar import format_thai_date, to_bangkok
from bot.core.fonts import SARABUN_FILES, sarabun_directory
from bot.core.read_token import read_token_key
from bot.reach.views import record_article_view, view_channel
from bot.web.admin.auth import is_signed_in
from bot.web.extensions import get_config, get_database
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
    """The article; the visit is logged by who made it (bot.reach.views): only a signed read-more
    token from LINE counts as a person reading, once per person, article and day."""
    origin = request.args.get("from", "")
    if not 0 < article_id <= MAX_ROW_ID:
        abort(404)  # no article has such an id, and no database column could even hold it
    with get_database().session() as session:
        article = session.get(Article, article_id)
        if article is None or article.status != "published":
            abort(404)
        channel, reader = view_channel(
            session, article.id, method=request.method, user_agent=request.headers.get("User-Agent", ""),
            signed_in_admin=is_signed_in(), origin=origin, token=request.args.get("t"),
            key=read_token_key(get_config()),
        )
        record_article_view(session, article.id, channel, reader, from_line=origin == "line")
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
