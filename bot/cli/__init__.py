"""The `kmbot` commands: one module per command group, all registered here in one table.

`bot.app.main` runs them through Flask's CLI, so `flask --app bot <command>` works too.
"""

from __future__ import annotations

import click
from flask import Flask

from bot.cli import db, experts, groups, kb, plan, reach, report, richmenu, scheduler, serve, survey, users

COMMANDS: tuple[click.Command, ...] = (
    serve.serve_command,
    kb.ask_command,
    kb.kb_group,
    db.db_group,
    users.users_group,
    groups.groups_group,
    experts.experts_group,
    plan.plan_group,
    scheduler.reminders_group,
    scheduler.scheduler_group,
    reach.reach_group,
    report.report_group,
    survey.survey_group,
    richmenu.richmenu_group,
)


def register_commands(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
