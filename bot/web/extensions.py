"""Objects created once per app in the factory and reached through the current app."""

from __future__ import annotations

from flask import Flask, current_app

from bot.core.config import Config
from bot.core.database import Database
from bot.core.line_client import LineClient
from bot.core.settings import LiveConfig
from kb.search_service import KnowledgeSearch

CONFIG_KEY = "kmbot.config"
DATABASE_KEY = "kmbot.database"
LINE_CLIENT_KEY = "kmbot.line_client"
SEARCH_KEY = "kmbot.search"


def init_extensions(app: Flask, config: Config) -> None:
    database = Database(config.database_url)
    app.extensions[CONFIG_KEY] = LiveConfig(config, database)
    app.extensions[DATABASE_KEY] = database
    app.extensions[LINE_CLIENT_KEY] = LineClient(config) if config.line_configured else None
    app.extensions[SEARCH_KEY] = KnowledgeSearch()


def get_config(app: Flask | None = None) -> Config:
    """The environment's settings with the secretary's stored ones under them, a few seconds fresh."""
    return get_live_config(app).current()


def get_live_config(app: Flask | None = None) -> LiveConfig:
    return (app or current_app).extensions[CONFIG_KEY]


def get_database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions[DATABASE_KEY]


def get_line_client(app: Flask | None = None) -> LineClient | None:
    return (app or current_app).extensions[LINE_CLIENT_KEY]


def get_search(app: Flask | None = None) -> KnowledgeSearch:
    return (app or current_app).extensions[SEARCH_KEY]
