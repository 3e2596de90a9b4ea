"""The kmbot web application: factory, configuration, database, LINE client and web pages.

`create_app` builds a configured Flask app; nothing runs at import time.
"""

from __future__ import annotations

import logging
import os
from typing import Any, Mapping

from flask import Flask

from bot.config import Config


def create_app(config: Config | Mapping[str, Any] | None = None) -> Flask:
    """Build the app from `config` (a `Config`, or overrides of the environment's config)."""
    from dotenv import find_dotenv, load_dotenv

    from bot import admin, chat, health, pages, webhook
    from bot.cli import register_commands
    from bot.extensions import init_extensions
    from bot.logging_setup import configure_logging
    from bot.web_security import init_web_security, session_secret_key

    # The working directory's .env (the README's promise), not one found beside the package.
    load_dotenv(find_dotenv(usecwd=True))
    if not logging.getLogger().handlers:
        # Served by a WSGI server that configures only its own loggers (the Procfile's web).
        configure_logging(os.environ.get("KMBOT_LOG_LEVEL") or "INFO", os.environ)
    if not isinstance(config, Config):
        config = Config.from_environment().with_overrides(config or {})
    app = Flask(__name__)
    app.config.update(SECRET_KEY=session_secret_key(config), KMBOT=config)
    init_extensions(app, config)
    init_web_security(app, config)
    app.register_blueprint(webhook.blueprint)
    app.register_blueprint(health.blueprint)
    app.register_blueprint(pages.blueprint)
    app.register_blueprint(chat.blueprint)
    admin.register(app, config)
    register_commands(app)
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Thai stays readable in JSON answers
    if not config.line_configured:
        logging.getLogger(__name__).info("LINE credentials are not set: local mode (the webhook answers 503)")
    return app
