"""`kmbot groups list|set-role`: the LINE groups and rooms the bot is in."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from bot.cli.output import print_rows
from bot.core.people import ROLE_NAMES, refresh_names
from bot.core.tables import GROUP_ROLES, ChatGroup
from bot.web.extensions import get_database, get_line_client


@click.group("groups")
def groups_group() -> None:
    """LINE groups and rooms the bot is in."""


@groups_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def groups_list_command(as_json: bool) -> None:
    """Every group and room the bot has met, with its name, role and member count."""
    line_client = get_line_client()
    if line_client is not None:
        # The names as LINE shows them now (GET /v2/bot/group/{groupId}/summary), kept on the
        # rows; asked with no transaction open. The stored name stays when LINE cannot say.
        with get_database().session() as session:
            group_ids = [group.id for group in session.scalars(select(ChatGroup).order_by(ChatGroup.id))]
        refresh_names(get_database(), line_client, [], group_ids, limit=len(group_ids), fresh_for=timedelta(0))
    with get_database().session() as session:
        groups = session.scalars(select(ChatGroup).order_by(ChatGroup.id)).all()
        rows = [
            {
                "id": group.line_group_id,
                "name": group.name,
                "kind": group.kind,
                "role": group.role,
                "active": group.active,
                "member_count": group.member_count,
                "joined_at": group.joined_at.isoformat() if group.joined_at else None,
            }
            for group in groups
        ]
    if not as_json:
        # The table shows the day joined, so that the 33-character group id fits 80 columns unwrapped.
        # Kind and state go into the role column ("committee, room, left"); --json has them apart.
        rows = [
            {**row, "joined": (row["joined_at"] or "")[:10],
             "shown_role": ", ".join([row["role"]] + (["room"] if row["kind"] == "room" else []) + ([] if row["active"] else ["left"]))}
            for row in rows
        ]
    print_rows(
        rows,
        [("id", "รหัสกลุ่ม"), ("name", "ชื่อกลุ่ม"), ("shown_role", "บทบาท"), ("member_count", "สมาชิก"), ("joined", "เข้าร่วม")],
        as_json=as_json,
        title="กลุ่ม LINE ที่บอทอยู่ (LINE groups)",
        no_wrap=("id",),
    )


@groups_group.command("set-role")
@click.argument("group_id")
@click.argument("role", type=click.Choice(list(GROUP_ROLES)))
@with_appcontext
def groups_set_role_command(group_id: str, role: str) -> None:
    """Mark GROUP_ID as the `committee` group (it gets the reminders), the `experts` group (it gets
    the questions the bot could not answer, for its members to answer), or back to `staff`."""
    with get_database().session() as session:
        group = session.scalars(select(ChatGroup).where(ChatGroup.line_group_id == group_id)).one_or_none()
        if group is None:
            raise click.ClickException(
                f"ยังไม่รู้จักกลุ่มนี้ เชิญบอทเข้ากลุ่มก่อน / no group {group_id} is known yet: "
                "add the bot to the group first (see `kmbot groups list`)"
            )
        group.role = role
    click.echo(f"ตั้งกลุ่ม {group_id} เป็น “{ROLE_NAMES[role]}” แล้ว / group is now {role}")
