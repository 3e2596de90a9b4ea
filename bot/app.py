"""The top of the application: the Flask app factory and the `kmbot` command line that wraps it.

Everything is built here, when asked: `create_app` wires configuration, the database, the LINE
client, the search index, the web blueprints (`bot.web`) and the commands (`bot.cli`).
Nothing runs at import time.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any, Mapping, Sequence

import click
from dotenv import find_dotenv, load_dotenv
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy.exc import InterfaceError, OperationalError

from bot.cli import register_commands
from bot.core.config import Config
from bot.core.logging_setup import configure_logging
from bot.web import admin, health, pages, simulator_page, webhook
from bot.web.extensions import init_extensions
from bot.web.security import init_web_security, session_secret_key


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """Build the app from `config` (a `Config`, or overrides of the environment's config)."""
    # The working directory's .env (the README's promise), not one found beside the package.
    load_dotenv(find_dotenv(usecwd=True))
    if not logging.getLogger().handlers:
        # Served by a WSGI server that configures only its own loggers (the Procfile's web).
        configure_logging(os.environ.get("KMBOT_LOG_LEVEL") or "INFO", os.environ)
    if not isinstance(config, Config):
        config = Config.from_environment().with_overrides(config or {})
    # Rooted at the `bot` package, where templates/ and static/ are.
    app = Flask("bot")
    app.config.update(SECRET_KEY=session_secret_key(config), KMBOT=config)
    init_extensions(app, config)
    init_web_security(app, config)
    app.register_blueprint(webhook.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(simulator_page.blueprint)
    admin.register(app, config)
    register_commands(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Thai stays readable in JSON answers
    if not config.line_configured:
        logging.getLogger(__name__).info("LINE credentials are not set: local mode (the webhook answers 503)")
    return app


LONG_RUNNING_COMMANDS = {"serve", "scheduler"}


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
    cli = FlaskGroup(
        name="kmbot",
        create_app=lambda: create_app(),
        add_default_commands=False,
        add_version_option=False,
        load_dotenv=True,
        set_debug_flag=False,
        help=KMBOT_HELP,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    # Flask's own --app, --env-file and --debug mean nothing here (kmbot builds its own app and
    # reads .env itself); listed in --help they only confused people. --version is kmbot's.
    cli.params = [parameter for parameter in cli.params if parameter.name not in FLASK_ONLY_OPTIONS]
    click.version_option(kmbot_version(), "--version", "-V", prog_name="kmbot", message="%(prog)s %(version)s")(cli)
    try:
        cli.main(args=arguments, prog_name="kmbot")
    except (OperationalError, InterfaceError) as error:
        # The commonest failure of any command: a database that does not answer. One sentence, no traceback.
        raise SystemExit(
            "kmbot: ติดต่อฐานข้อมูลไม่ได้ ตรวจสอบ DATABASE_URL และว่าฐานข้อมูลเปิดอยู่ / "
            f"cannot reach the database ({type(error.orig).__name__ if error.orig else type(error).__name__}): "
            "check DATABASE_URL and that the server is running"
        ) from None


FLASK_ONLY_OPTIONS = {"app", "env_file", "debug", "version"}
KMBOT_HELP = (
    "kmbot: the office's KM assistant on LINE (ผู้ช่วยจัดการความรู้ของหน่วยงานบน LINE).\n\n"
    "Start with `kmbot serve`; settings come from the environment or a .env file (README.md). "
    "Every command that prints data has --json."
)


def kmbot_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kmbot")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"
