"""The `kmbot` commands: one module per command group, all declared here in one table.

`bot.app.main` runs them; a command's module is imported only when that command runs, so
`kmbot --help` and a quick command do not pay for the whole product's start-up (docs/performance.md).
`flask --app bot <command>` works too: `register_commands` adds every command to the app.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import click
    from flask import Flask


@dataclass(frozen=True)
class CommandEntry:
    """One top-level command: where it lives, its --help line, whether it serves the web app, and
    whether it runs inside the app at all (`app=False`: it makes the little it needs itself)."""

    name: str
    module: str
    attribute: str
    short_help: str
    web: bool = False
    app: bool = True

    def load(self) -> "click.Command":
        return getattr(import_module(self.module), self.attribute)


# The help lines are the commands' own first docstring sentences (a test keeps them equal),
# written here so that --help lists the commands without importing them.
COMMAND_TABLE: tuple[CommandEntry, ...] = (
    CommandEntry("serve", "bot.cli.serve", "serve_command",
                 "Run the whole product in one process: web, webhook and the reminder scheduler.", web=True),
    CommandEntry("ask", "bot.cli.ask", "ask_command", "Answer QUESTION from the knowledge store, as the bot would.", app=False),
    CommandEntry("kb", "bot.cli.kb", "kb_group", "The knowledge store."),
    CommandEntry("db", "bot.cli.db", "db_group", "Database schema."),
    CommandEntry("users", "bot.cli.users", "users_group", "People and their roles."),
    CommandEntry("groups", "bot.cli.groups", "groups_group", "LINE groups and rooms the bot is in."),
    CommandEntry("experts", "bot.cli.experts", "experts_group", "Questions sent to the office's experts group (docs/experts.md)."),
    CommandEntry("plan", "bot.cli.plan", "plan_group",
                 "The KM action plan: import it, list its activities, set dates, mark activities done."),
    CommandEntry("reminders", "bot.cli.scheduler", "reminders_group",
                 "Reminders of the KM plan's activities to the committee groups."),
    CommandEntry("scheduler", "bot.cli.scheduler", "scheduler_group", "The reminder clock."),
    CommandEntry("reach", "bot.cli.reach", "reach_group", "Reach of the KM plan: engagement figures as indicator evidence."),
    CommandEntry("report", "bot.cli.report", "report_group", "The year-end KM report, memo, progress register and audit pack."),
    CommandEntry("survey", "bot.cli.survey", "survey_group", "The staff survey of the KM plan's step 6."),
    CommandEntry("richmenu", "bot.cli.richmenu", "richmenu_group", "LINE rich menus for staff and the KM committee."),
)
COMMANDS_BY_NAME = {entry.name: entry for entry in COMMAND_TABLE}


def register_commands(app: "Flask") -> None:
    for entry in COMMAND_TABLE:
        app.cli.add_command(entry.load())
