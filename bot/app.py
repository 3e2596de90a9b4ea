"""The top of the application: the Flask app factory and the `kmbot` command line that wraps it.

Everything is built here, when asked: `create_app` wires configuration, the database, the LINE
client, the search index, the web blueprints (`bot.web`) and the commands (`bot.cli`).
Nothing runs at import time.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import click
from dotenv import find_dotenv, load_dotenv

from bot.cli import COMMAND_TABLE, COMMANDS_BY_NAME
from bot.core.logging_setup import configure_logging

if TYPE_CHECKING:
    from flask import Flask

    from bot.core.config import Config


def create_app(config: "Config | Mapping[str, Any] | None" = None, *, web: bool = True, preload: bool = True) -> "Flask":
    """Build the app from `config` (a `Config`, or overrides of the environment's config).

    `web=False` builds what a command line needs (configuration, database, LINE client and
    search on first use) without the web pages and the webhook: most `kmbot` commands serve
    no request, and importing the web stack was most of their start-up.

    `preload=False` leaves to their first use what the app may need later: the event stack (the
    LINE SDK's models, the handlers, the LINE client and the search service), which `kmbot serve`
    loads in the background once it listens, and the command modules `flask --app bot` would
    list (`kmbot` finds its commands itself). A WSGI server that forks (gunicorn's
    `bot:create_app()`) gets everything loaded, so its workers share it."""
    from flask import Flask

    from bot.core.config import Config
    from bot.web.extensions import init_extensions

    # The working directory's .env (the README's promise), not one found beside the package.
    load_dotenv(find_dotenv(usecwd=True))
    if not logging.getLogger().handlers:
        # Served by a WSGI server that configures only its own loggers (the Procfile's web).
        configure_logging(os.environ.get("KMBOT_LOG_LEVEL") or "INFO", os.environ)
    if not isinstance(config, Config):
        config = Config.from_environment().with_overrides(config or {})
    # Rooted at the `bot` package, where templates/ and static/ are.
    app = Flask("bot")
    app.config.update(KMBOT=config)
    init_extensions(app, config)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Thai stays readable in JSON answers
    if web:
        _add_web(app, config, preload=preload)
    return app


def _add_web(app: "Flask", config: "Config", *, preload: bool) -> None:
    from bot.cli import register_commands
    from bot.web import admin, health, pages, simulator_page
    from bot.web.extensions import LazyView, load_event_stack
    from bot.web.security import init_web_security, session_secret_key

    app.config.update(SECRET_KEY=session_secret_key(config))
    init_web_security(app, config)
    app.add_url_rule("/callback", "webhook.callback", LazyView("bot.web.webhook.callback"), methods=["POST"])
    app.register_blueprint(health.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(simulator_page.blueprint)
    admin.register(app, config)
    if preload:
        register_commands(app)
        # Now rather than on the first request: a server that loads the app before forking
        # (gunicorn's preload_app) then shares them between its workers.
        load_event_stack(app)
    if not config.line_configured:
        logging.getLogger(__name__).info("LINE credentials are not set: local mode (the webhook answers 503)")


LONG_RUNNING_COMMANDS = {"serve", "scheduler"}


class KmbotGroup(click.Group):
    """The `kmbot` command: lists its commands from `bot.cli.COMMAND_TABLE` without importing them,
    and builds the app only for the command that runs (the web parts only for `serve`)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS_BY_NAME)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS_BY_NAME.get(cmd_name)
        if entry is None:
            return None
        command = entry.load()
        if not entry.app:
            return command  # it needs no app (`kmbot ask`): Flask and the app are not even imported
        from flask.cli import ScriptInfo

        root = ctx.find_root()
        if not isinstance(root.obj, ScriptInfo):
            # `kmbot serve` loads the event stack once it listens; no command forks.
            root.obj = ScriptInfo(create_app=lambda: create_app(web=entry.web, preload=False), set_debug_flag=False)
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        # As Flask's own group did, every command runs inside the app's context (not its --help).
        entry = COMMANDS_BY_NAME.get(name or "")
        if (command is not None and entry is not None and entry.app and not ctx.resilient_parsing
                and not set(rest) & set(ctx.help_option_names)):
            from flask import current_app
            from flask.cli import ScriptInfo

            info = ctx.find_root().obj
            if isinstance(info, ScriptInfo) and not current_app:
                ctx.with_resource(info.load_app().app_context())
        return name, command, rest

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(entry.name, entry.short_help) for entry in sorted(COMMAND_TABLE, key=lambda entry: entry.name)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def main(argv: Sequence[str] | None = None) -> None:
    arguments = list(argv) if argv is not None else sys.argv[1:]
    load_dotenv(find_dotenv(usecwd=True))  # before logging: the log format and the secrets to mask may be in .env
    # Long-running processes log what they do; one-shot commands print only their result.
    long_running = bool(arguments) and arguments[0] in LONG_RUNNING_COMMANDS
    level = os.environ.get("KMBOT_LOG_LEVEL") or ("INFO" if long_running else "WARNING")
    try:
        configure_logging(level, os.environ)
    except ValueError as error:
        raise SystemExit(f"kmbot: {error}") from None
    cli = KmbotGroup(name="kmbot", help=KMBOT_HELP, context_settings={"help_option_names": ["-h", "--help"]})
    click.option("--version", "-V", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
                 help="Show the version and exit.")(cli)
    try:
        cli.main(args=arguments, prog_name="kmbot")
    except Exception as error:
        if not _database_unreachable(error):
            raise
        # The commonest failure of any command: a database that does not answer. One sentence, no traceback.
        original = getattr(error, "orig", None)
        raise SystemExit(
            "kmbot: ติดต่อฐานข้อมูลไม่ได้ ตรวจสอบ DATABASE_URL และว่าฐานข้อมูลเปิดอยู่ / "
            f"cannot reach the database ({type(original).__name__ if original else type(error).__name__}): "
            "check DATABASE_URL and that the server is running"
        ) from None


def _database_unreachable(error: BaseException) -> bool:
    exceptions = sys.modules.get("sqlalchemy.exc")  # not imported: no database was touched
    return exceptions is not None and isinstance(error, (exceptions.OperationalError, exceptions.InterfaceError))


KMBOT_HELP = (
    "kmbot: the office's KM assistant on LINE (ผู้ช่วยจัดการความรู้ของหน่วยงานบน LINE).\n\n"
    "Start with `kmbot serve`; settings come from the environment or a .env file (README.md). "
    "Every command that prints data has --json."
)


def _print_version(ctx: click.Context, _parameter: click.Parameter, value: bool) -> None:
    # Looked up only when asked: reading the installed metadata costs more than all of --help.
    if value and not ctx.resilient_parsing:
        click.echo(f"kmbot {kmbot_version()}")
        ctx.exit()


def kmbot_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kmbot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"
