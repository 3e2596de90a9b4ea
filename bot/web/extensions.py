"""Objects created once per app in the factory and reached through the current app.

The LINE client and the search service are made on first use: a command that answers no
question and calls no LINE API never imports the SDK's models or the Thai search stack. So is
the event stack (LINE's webhook and the chat simulator's engine, with the handlers behind them):
`load_event_stack` loads it at once for a server that forks, and `kmbot serve` once it listens.
"""

from __future__ import annotations

import importlib
import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

from flask import Flask, current_app
from werkzeug.utils import import_string

from bot.core.config import Config
from bot.core.database import Database
from bot.core.settings import LiveConfig

if TYPE_CHECKING:
    from bot.core.line_client import LineClient
    from kb.search_service import KnowledgeSearch

CONFIG_KEY = "kmbot.config"
DATABASE_KEY = "kmbot.database"
LINE_CLIENT_KEY = "kmbot.line_client"
SEARCH_KEY = "kmbot.search"

_creating = threading.Lock()


def init_extensions(app: Flask, config: Config) -> None:
    database = Database(config.database_url)
    app.extensions[CONFIG_KEY] = LiveConfig(config, database)
    app.extensions[DATABASE_KEY] = database


def get_config(app: Flask | None = None) -> Config:
    """The environment's settings with the secretary's stored ones under them, a few seconds fresh."""
    return get_live_config(app).current()


def get_live_config(app: Flask | None = None) -> LiveConfig:
    return (app or current_app).extensions[CONFIG_KEY]


def get_database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions[DATABASE_KEY]


def get_line_client(app: Flask | None = None) -> "LineClient | None":
    extensions = (app or current_app).extensions
    if LINE_CLIENT_KEY not in extensions:
        with _creating:
            if LINE_CLIENT_KEY not in extensions:
                # The channel's credentials are secrets: the environment's, never the stored settings'.
                config = extensions[CONFIG_KEY].base
                if config.line_configured:
                    from bot.core.line_client import LineClient

                    extensions[LINE_CLIENT_KEY] = LineClient(config)
                else:
                    extensions[LINE_CLIENT_KEY] = None
    return extensions[LINE_CLIENT_KEY]


def get_search(app: Flask | None = None) -> "KnowledgeSearch":
    extensions = (app or current_app).extensions
    if SEARCH_KEY not in extensions:
        with _creating:
            if SEARCH_KEY not in extensions:
                from kb.search_service import KnowledgeSearch

                extensions[SEARCH_KEY] = KnowledgeSearch()
    return extensions[SEARCH_KEY]


# The modules that bring the LINE SDK's models (building some 850 classes is most of a server's
# start-up) and the handlers: LINE's webhook and the chat simulator's engine.
EVENT_STACK = ("bot.web.webhook", "bot.web.simulator")


def load_event_stack(app: Flask) -> None:
    """Import the event stack and make the LINE client and the search service (its index is
    built apart: `KnowledgeSearch.warm`). Otherwise the first webhook or simulated chat does it."""
    for module in EVENT_STACK:
        importlib.import_module(module)
    get_line_client(app)
    get_search(app)


class LazyView:
    """A view function imported on its first request (Flask's "lazily loading views" pattern), so
    that registering a route does not import what only its requests need."""

    def __init__(self, import_name: str) -> None:
        self.__module__, self.__name__ = import_name.rsplit(".", 1)
        self.import_name = import_name

    @cached_property
    def view(self) -> Any:
        return import_string(self.import_name)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.view(*args, **kwargs)
