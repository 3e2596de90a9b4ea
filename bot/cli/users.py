"""`kmbot users grant|invite|forget`: people's roles, one-time registration codes, PDPA erasure."""

from __future__ import annotations

import json
import re

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from bot.core.calendar import format_thai_datetime, now
from bot.core.people import (
    DEFAULT_INVITE_DAYS,
    ROLE_NAMES,
    create_invitation,
    ensure_user,
    forget_user,
    masked_id,
)
from bot.core.line_client import LineApiError
from bot.core.rich_menus import apply_role_menu
from bot.core.tables import ROLES, User
from bot.web.extensions import get_database, get_line_client
from kb.forget import forget_contributions

# The shape of the ids the webhook accepts (bot.web.webhook): letters, digits, - and _.
LINE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
ROLE_CHOICES = [role for role in ROLES if role != "staff"] + ["staff"]


@click.group("users")
def users_group() -> None:
    """People and their roles."""


@users_group.command("grant")
@click.argument("user_id")
@click.argument("role", type=click.Choice(ROLE_CHOICES))
@with_appcontext
def users_grant_command(user_id: str, role: str) -> None:
    """Give the LINE user USER_ID a ROLE (secretary, committee, or back to staff)."""
    if not LINE_ID.fullmatch(user_id):
        raise click.ClickException(
            f"{user_id!r} ไม่ใช่รหัสผู้ใช้ LINE / is not a LINE user id (U followed by 32 letters and digits); "
            "nothing was changed"
        )
    with get_database().session() as session:
        user = ensure_user(session, user_id, now())
        user.role = role
    click.echo(f"{masked_id(user_id)} ได้สิทธิ์ “{ROLE_NAMES[role]}” แล้ว / is now {role}")
    line_client = get_line_client()
    if line_client is None:
        return  # local mode: no channel, no menus
    try:
        click.echo(apply_role_menu(line_client, user_id, role))
    except LineApiError as error:
        # The role is granted either way; the menu can follow with another grant.
        click.echo(f"ยังไม่ได้เปลี่ยนเมนูของผู้ใช้ / rich menu not changed: {error}", err=True)


@users_group.command("invite")
@click.argument("role", type=click.Choice([role for role in ROLES if role != "staff"]))
@click.option("--days", type=click.IntRange(1, 90), default=DEFAULT_INVITE_DAYS, show_default=True, help="Days the code stays valid.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def users_invite_command(role: str, days: int, as_json: bool) -> None:
    """Make a one-time code that gives ROLE to whoever sends it to the bot."""
    with get_database().session() as session:
        invitation = create_invitation(session, role, days=days)
    if as_json:
        click.echo(json.dumps({"code": invitation.code, "role": role, "expires_at": invitation.expires_at.isoformat()}, ensure_ascii=False))
        return
    click.echo(f"รหัสเชิญสำหรับ{ROLE_NAMES[role]}: {invitation.code}  (registration code for {role})")
    click.echo(f"ใช้ได้ครั้งเดียว ถึง {format_thai_datetime(invitation.expires_at, 'arabic')} "
               f"(valid once, until {invitation.expires_at.isoformat()})")
    click.echo("ให้ผู้ได้รับเชิญพิมพ์รหัสนี้ส่งถึงบอทในแชต LINE ส่วนตัว / the person sends this code to the bot in a 1:1 chat")


@users_group.command("forget")
@click.argument("user_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def users_forget_command(user_id: str, as_json: bool) -> None:
    """PDPA: remove the LINE user USER_ID's identity, keeping only anonymous counts."""
    database = get_database()
    with database.session() as session:
        user = session.scalars(select(User).where(User.line_user_id == user_id)).one_or_none()
        if user is None:
            raise click.ClickException("ไม่พบผู้ใช้ LINE นี้ / no such LINE user is known (already forgotten, or never seen)")
        comments = forget_user(session, user, now())
        contributions = forget_contributions(session, user.id)
        row_id = user.id
    # On SQLite the erased values would otherwise stay in the write-ahead log until a checkpoint.
    database.checkpoint()
    if as_json:
        click.echo(json.dumps({
            "forgotten": True, "user": row_id, "comments_removed": comments,
            "tips_removed": contributions.tips_removed, "notes_removed": contributions.notes_removed,
            "evidence_unlinked": contributions.evidence_unlinked,
            "expert_questions_removed": contributions.expert_questions_removed,
            "expert_answers_removed": contributions.expert_answers_removed,
        }))
        return
    click.echo(
        f"ลบข้อมูลตัวตนแล้ว / forgotten: the LINE id is removed (anonymous user #{row_id} keeps its counts); "
        f"removed {comments} survey comment(s), {contributions.tips_removed} shared tip(s), "
        f"{contributions.notes_removed} evidence note(s), {contributions.expert_questions_removed} question(s) to the "
        f"experts, {contributions.expert_answers_removed} expert answer(s); {contributions.evidence_unlinked} evidence "
        f"file(s) kept as the office's evidence, no longer linked to the person"
    )
