"""kmbot: a LINE chatbot that carries a Thai government office's KM plan into daily work.

The package is layered; imports point down only (docs/architecture.md):

    bot.app                 the Flask app factory and the `kmbot` entry point
    bot.cli                 one module per `kmbot` command group
    bot.web                 webhook, pages, admin, simulator
    handlers                one module per kind of LINE event and command
    bot.reach | scheduler   reach figures and exports | reminders, pushes and the clock
    kb                      knowledge store, Thai search, answers, the KM plan
    bot.core                calendar, KM steps, config, database, LINE client, people

`bot:create_app()` is what WSGI servers and `flask --app bot` load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from flask import Flask

    from bot.core.config import Config


def create_app(config: "Config | Mapping[str, Any] | None" = None) -> "Flask":
    """Build the app (see `bot.app.create_app`)."""
    # Imported here so that `import bot.core...` (the kernel, used by every layer) does not
    # pull in Flask and the whole web application.
    from bot.app import create_app as build_app

    return build_app(config)
