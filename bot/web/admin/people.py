"""People and groups the bot knows, with their roles: who may see statistics and mark plan work done.

Names come from LINE when the secretary looks (`bot.core.people.refresh_names`, outside any
transaction) and are shown here only: chat replies and reports never carry them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from bot.core.calendar import format_thai_date, format_thai_datetime, to_bangkok
from bot.core.people import ROLE_NAMES, SIMULATOR_USER_PREFIX, create_invitation, masked_id, refresh_names
from bot.core.tables import GROUP_ROLES, ROLES, ChatGroup, User
from bot.web.admin import blueprint
from bot.web.admin.paging import paginate
from bot.web.extensions import get_database, get_line_client

GROUP_KIND_NAMES = {"group": "กลุ่ม", "room": "ห้องแชต"}


PEOPLE_PER_PAGE = 100


@blueprint.get("/people")
def people() -> str:
    line_client = get_line_client()
    if line_client is not None:
        with get_database().session() as session:
            user_ids = [user.id for user in paginate(session, select(User).order_by(User.role.desc(), User.last_seen_at.desc(), User.id), PEOPLE_PER_PAGE).items]
            group_ids = [group.id for group in paginate(session, select(ChatGroup).order_by(ChatGroup.active.desc(), ChatGroup.joined_at.desc(), ChatGroup.id),
                                                           PEOPLE_PER_PAGE, "groups_page").items]
        refresh_names(get_database(), line_client, user_ids, group_ids)
    with get_database().session() as session:
        user_page = paginate(session, select(User).order_by(User.role.desc(), User.last_seen_at.desc(), User.id), PEOPLE_PER_PAGE)
        group_page = paginate(session, select(ChatGroup).order_by(ChatGroup.active.desc(), ChatGroup.joined_at.desc(), ChatGroup.id),
                              PEOPLE_PER_PAGE, "groups_page")
        users = [
            {"id": user.id, "shown_id": masked_id(user.line_user_id), "role": user.role,
             "name": user.display_name if user.line_user_id else None,
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
        committee_choices = [
            {"id": group.id, "name": group.name or f"กลุ่มหมายเลข {group.id} (ไม่ทราบชื่อ)", "committee": group.role == "committee"}
            for group in session.scalars(select(ChatGroup).where(ChatGroup.active.is_(True)).order_by(ChatGroup.name, ChatGroup.id).limit(200))
        ]
    return render_template("admin/people.html", users=users, groups=groups, user_roles=ROLES, group_roles=GROUP_ROLES,
                           role_names=ROLE_NAMES, user_page=user_page, group_page=group_page,
                           committee_choices=committee_choices, invite_roles=("committee", "secretary"))


@blueprint.post("/people/committee")
def set_committee_group() -> Response:
    """Mark the committee group by its name: reminders go to it (and to no group unmarked here)."""
    chosen = {int(value) for value in request.form.getlist("group") if value.isdigit()}
    with get_database().session() as session:
        groups = session.scalars(select(ChatGroup).where(ChatGroup.active.is_(True))).all()
        for group in groups:
            if group.id in chosen:
                group.role = "committee"
            elif group.role == "committee":
                group.role = "staff"
        names = [group.name or f"หมายเลข {group.id}" for group in groups if group.id in chosen]
    flash("กลุ่มกรรมการ KM: " + (", ".join(f"“{name}”" for name in names) if names else "ไม่มี (ไม่มีกลุ่มใดได้รับการแจ้งเตือน)") + " ค่ะ",
          "success")
    return redirect(url_for("admin.people") + "#committee")


@blueprint.post("/people/invite")
def invite() -> Response | str:
    """A one-time code that gives its sender the role in LINE; shown once, only its hash is kept."""
    role = request.form.get("role", "")
    if role not in ("committee", "secretary"):
        abort(400)
    with get_database().session() as session:
        invitation = create_invitation(session, role)
    return render_template("admin/invitation.html", code=invitation.code, role_name=ROLE_NAMES[role],
                           expires=format_thai_datetime(invitation.expires_at, "arabic"))


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
