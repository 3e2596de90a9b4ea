"""People and groups the bot knows, with their roles: who may see statistics and mark plan work done."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from bot.core.calendar import format_thai_date, format_thai_datetime, to_bangkok
from bot.core.people import ROLE_NAMES, SIMULATOR_USER_PREFIX, masked_id
from bot.core.tables import GROUP_ROLES, ROLES, ChatGroup, User
from bot.web.admin import blueprint
from bot.web.admin.paging import paginate
from bot.web.extensions import get_database

GROUP_KIND_NAMES = {"group": "กลุ่ม", "room": "ห้องแชต"}


PEOPLE_PER_PAGE = 100


@blueprint.get("/people")
def people() -> str:
    with get_database().session() as session:
        user_page = paginate(session, select(User).order_by(User.role.desc(), User.last_seen_at.desc(), User.id), PEOPLE_PER_PAGE)
        group_page = paginate(session, select(ChatGroup).order_by(ChatGroup.active.desc(), ChatGroup.joined_at.desc(), ChatGroup.id),
                              PEOPLE_PER_PAGE, "groups_page")
        users = [
            {"id": user.id, "shown_id": masked_id(user.line_user_id), "role": user.role,
             "on_line": not (user.line_user_id or "").startswith(SIMULATOR_USER_PREFIX), "following": user.following,
             "first_seen": format_thai_date(to_bangkok(user.first_seen_at).date(), "arabic"),
             "last_seen": format_thai_datetime(user.last_seen_at, "arabic")}
            for user in user_page.items
        ]
        groups = [
            {"id": group.id, "name": group.name or "(ไม่ทราบชื่อกลุ่ม)", "kind": GROUP_KIND_NAMES.get(group.kind, group.kind),
             "role": group.role, "active": group.active, "members": group.member_count,
             "joined": format_thai_date(to_bangkok(group.joined_at).date(), "arabic")}
            for group in group_page.items
        ]
    return render_template("admin/people.html", users=users, groups=groups, user_roles=ROLES, group_roles=GROUP_ROLES,
                           role_names=ROLE_NAMES, user_page=user_page, group_page=group_page)


@blueprint.post("/people/users/<int:user_id>/role")
def set_user_role(user_id: int) -> Response:
    _set_role(User, user_id, ROLES)
    flash(f"เปลี่ยนสิทธิ์ผู้ใช้หมายเลข {user_id} เป็น “{ROLE_NAMES[request.form['role']]}” แล้วค่ะ", "success")
    return redirect(url_for("admin.people"))


@blueprint.post("/people/groups/<int:group_id>/role")
def set_group_role(group_id: int) -> Response:
    group = _set_role(ChatGroup, group_id, GROUP_ROLES)
    name = group.name or f"หมายเลข {group.id}"
    flash(f"ตั้งกลุ่ม “{name}” เป็น “{ROLE_NAMES[request.form['role']]}” แล้วค่ะ", "success")
    return redirect(url_for("admin.people") + "#groups")


def _set_role(model: type[User] | type[ChatGroup], row_id: int, allowed: tuple[str, ...]) -> User | ChatGroup:
    """Give the person or group the form's role; 400 for a role that does not exist, 404 for a row."""
    role = request.form.get("role", "")
    if role not in allowed:
        abort(400)
    with get_database().session() as session:
        row = session.get(model, row_id)
        if row is None:
            abort(404)
        row.role = role
    return row
