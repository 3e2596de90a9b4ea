"""The chat simulator for a signed-in secretary, for when LINE is configured and `/` is a landing page."""

from __future__ import annotations

from flask import url_for

from bot.web.admin import blueprint
from bot.web.simulator_page import handle_chat_post, render_chat_page


@blueprint.get("/simulator")
def simulator() -> str:
    return render_chat_page("admin.simulator_send", back_url=url_for("admin.home"))


@blueprint.post("/simulator")
def simulator_send() -> str:
    # Marked "admin" in the reach log: the secretary's tries never count as staff reached.
    return handle_chat_post("admin.simulator_send", back_url=url_for("admin.home"), kind="admin")
