"""Objects created once per app in the factory and reached through the current app.

The LINE client and the search service are made on first use: a command that answers no
question and calls no LINE API never imports the SDK's models or the Thai search stack.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from flask import Flask, current_app

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
