"""The `kmbot` command line: Flask's CLI with the product's commands (`flask --app bot ...` works too)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import Sequence

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from bot.cli_output import print_rows
from bot.logging_setup import configure_logging
from bot.extensions import get_config, get_database, get_search
from bot.models import GROUP_ROLES, ROLES, ChatGroup, User

logger = logging.getLogger(__name__)

ROLE_CHOICES = [role for role in ROLES if role != "staff"] + ["staff"]


def register_commands(app: Flask) -> None:
    from bot.reach_cli import reach_group, users_forget_command, users_invite_command
    from kb.cli import ask_command, kb_group
    from kb.plan_cli import plan_group
    from scheduler.cli import reminders_group, scheduler_group

    app.cli.add_command(serve_command)
    app.cli.add_command(ask_command)
    app.cli.add_command(kb_group)
    app.cli.add_command(db_group)
    app.cli.add_command(users_group)
    app.cli.add_command(groups_group)
    app.cli.add_command(plan_group)
    app.cli.add_command(reminders_group)
    app.cli.add_command(scheduler_group)
    app.cli.add_command(reach_group)
    users_group.add_command(users_invite_command)
    users_group.add_command(users_forget_command)


LONG_RUNNING_COMMANDS = {"serve", "scheduler"}


def main(argv: Sequence[str] | None = None) -> None:
    from dotenv import find_dotenv, load_dotenv

    from bot import create_app

    arguments = list(argv) if argv is not None else sys.argv[1:]
    load_dotenv(find_dotenv(usecwd=True))  # before logging: the log format and the secrets to mask may be in .env
    # Long-running processes log what they do; one-shot commands print only their result.
    long_running = bool(arguments) and arguments[0] in LONG_RUNNING_COMMANDS
    level = os.environ.get("KMBOT_LOG_LEVEL") or ("INFO" if long_running else "WARNING")
    try:
        configure_logging(level, os.environ)
    except ValueError as error:
        raise SystemExit(f"kmbot: {error}") from None
    cli = FlaskGroup(
        name="kmbot",
        create_app=lambda: create_app(),
        add_default_commands=False,
        load_dotenv=True,
        set_debug_flag=False,
        help="kmbot: the office's KM assistant on LINE. Every command that prints data has --json.",
    )
    cli.main(args=arguments, prog_name="kmbot")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port (default: $PORT or 8000).")
@click.option("--threads", type=int, default=8, show_default=True)
@with_appcontext
def serve_command(host: str, port: int | None, threads: int) -> None:
    """Run the whole product in one process: web, webhook and the reminder scheduler."""
    from flask import current_app
    from waitress import serve

    from bot.migrate import upgrade_database

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = get_config(app)
    database = get_database(app)
    port = port or int(os.environ.get("PORT") or 8000)
    if database.is_sqlite:
        upgrade_database(database)
    _load_starter_pack_if_empty(database)
    if config.line_configured:
        click.echo(f"kmbot: LINE webhook ready at http://{host}:{port}/callback")
    else:
        click.echo(
            "kmbot: local mode (LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN not set): "
            f"the webhook answers 503; open http://{host}:{port}/ to try the bot."
        )
    from scheduler.cli import clock_for_app

    # systemd and Procfile platforms stop a process with SIGTERM: stop the way Ctrl-C does,
    # so the clock gives its lease up and a restarted process sends at once. Installed before
    # the clock starts, so a stop during start-up gives the lease up too.
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    reminder_clock = clock_for_app(app)
    try:
        if reminder_clock is not None:
            reminder_clock.start(catch_up_in_background=True)
        # The first question would otherwise wait for the whole index to be built.
        threading.Thread(target=_warm_search_index, args=(app,), name="warm-search-index", daemon=True).start()
        click.echo(f"kmbot: serving on http://{host}:{port}")
        serve(app, host=host, port=port, threads=threads, ident="kmbot")
    except KeyboardInterrupt:
        click.echo("kmbot: stopping")
    finally:
        if reminder_clock is not None:
            reminder_clock.shutdown()


def _stop_like_ctrl_c(signal_number: int, frame: object) -> None:
    raise KeyboardInterrupt


def _warm_search_index(app: Flask) -> None:
    try:
        with get_database(app).session() as session:
            get_search(app).index(session)
    except Exception:  # noqa: BLE001 - the first question builds it then; serving goes on
        logger.exception("search index could not be built at start")


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade_command() -> None:
    """Apply all migrations (run it on every release)."""
    from bot.migrate import current_revision, upgrade_database

    database = get_database()
    upgrade_database(database)
    click.echo(f"database is at revision {current_revision(database)}")
    _load_starter_pack_if_empty(database)


def _load_starter_pack_if_empty(database) -> None:  # type: ignore[no-untyped-def]
    """A new install can answer on day one: an empty store gets the shipped starter articles."""
    from kb.store import load_starter_pack

    with database.session() as session:
        added = load_starter_pack(session)
    if added:
        click.echo(f"knowledge store was empty: loaded {added} starter articles")


@click.group("users")
def users_group() -> None:
    """People and their roles."""


@users_group.command("grant")
@click.argument("user_id")
@click.argument("role", type=click.Choice(ROLE_CHOICES))
@with_appcontext
def users_grant_command(user_id: str, role: str) -> None:
    """Give the LINE user USER_ID a ROLE (secretary, committee, or back to staff)."""
    from handlers.context import ensure_user
    from scheduler.clock import now

    with get_database().session() as session:
        user = ensure_user(session, user_id, now())
        user.role = role
    click.echo(f"{_masked(user_id)} is now {role}")


@click.group("groups")
def groups_group() -> None:
    """LINE groups and rooms the bot is in."""


@groups_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@with_appcontext
def groups_list_command(as_json: bool) -> None:
    """Every group and room the bot has met, with role and member count."""
    with get_database().session() as session:
        groups = session.scalars(select(ChatGroup).order_by(ChatGroup.id)).all()
        rows = [
            {
                "id": group.line_group_id,
                "kind": group.kind,
                "role": group.role,
                "active": group.active,
                "member_count": group.member_count,
                "joined_at": group.joined_at.isoformat() if group.joined_at else None,
            }
            for group in groups
        ]
    print_rows(
        rows,
        [("id", "group"), ("kind", "kind"), ("role", "role"), ("active", "active"), ("member_count", "members"), ("joined_at", "joined")],
        as_json=as_json,
        title="LINE groups",
    )


@groups_group.command("set-role")
@click.argument("group_id")
@click.argument("role", type=click.Choice(list(GROUP_ROLES)))
@with_appcontext
def groups_set_role_command(group_id: str, role: str) -> None:
    """Mark GROUP_ID as the `committee` group (it gets the reminders) or back to `staff`."""
    with get_database().session() as session:
        group = session.scalars(select(ChatGroup).where(ChatGroup.line_group_id == group_id)).one_or_none()
        if group is None:
            raise click.ClickException(
                f"no group {group_id} is known yet: add the bot to the group first (see `kmbot groups list`)"
            )
        group.role = role
    click.echo(f"group {group_id} is now {role}")


def _masked(line_user_id: str) -> str:
    # Raw LINE ids are personal data; a prefix is enough to recognise one on screen.
    return line_user_id[:5] + "…" if len(line_user_id) > 6 else line_user_id
