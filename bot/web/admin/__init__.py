"""The secretary's web pages under /admin: reach dashboard, knowledge store, gaps, tips, plan, people.

The pages exist only when KMBOT_ADMIN_PASSWORD is set; without it nothing is registered and
every /admin address is a 404. Every page needs a signed-in session, and every form post a
CSRF token.
"""

from __future__ import annotations

from flask import Blueprint, Flask

from bot.core.config import Config

blueprint = Blueprint("admin", __name__, url_prefix="/admin")

NAVIGATION: tuple[tuple[str, str], ...] = (
    ("admin.reach", "สถิติการเข้าถึง"),
    ("admin.articles", "คลังความรู้"),
    ("admin.gaps", "คำถามที่ยังตอบไม่ได้"),
    ("admin.tips", "เกร็ดความรู้รอตรวจ"),
    ("admin.experts", "ถามผู้รู้"),
    ("admin.plan", "แผน KM"),
    ("admin.evidence", "หลักฐานและรายงานประจำปี"),
    ("admin.people", "ผู้ใช้และกลุ่ม"),
    ("admin.simulator", "ทดลองแชต"),
    ("admin.settings", "ตั้งค่า"),
)


def register(app: Flask, config: Config) -> None:
    """Add the /admin pages to the app when an admin password is configured."""
    if not config.admin_password:
        return
    # Importing the view modules attaches their routes to the blueprint.
    from bot.web.admin import auth, evidence, experts, knowledge, people, plan, reach, settings, simulator  # noqa: F401

    app.register_blueprint(blueprint)
