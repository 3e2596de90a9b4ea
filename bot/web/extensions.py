"""Objects created once per app in the factory and reached through the current app."""

from __future__ import annotations

from flask import Flask, current_app

from bot.core.config import Config
from bot.core.database import Database
from bot.core.line_client import LineClient
from kb.search_service import KnowledgeSearch

CONFIG_KEY = "kmbot.config"
DATABASE_KEY = "kmbot.database"
LINE_CLIENT_KEY = "kmbot.line_client"
SEARCH_KEY = "kmbot.search"


def init_extensions(app: Flask, config: Config) -> None:
    app.extensions[CONFIG_KEY] = config
    app.extensions[DATABASE_KEY] = Database(config.database_url)
    app.extensions[LINE_CLIENT_KEY] = LineClient(config) if config.line_configured else None
    app.extensions[SEARCH_KEY] = KnowledgeSearch()


def get_config(app: Flask | None = None) -> Config:
    return (app or current_app).extensions[CONFIG_KEY]


def get_database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions[DATABASE_KEY]


def get_line_client(app: Flask | None = None) -> LineClient | None:
    return (app or current_app).extensions[LINE_CLIENT_KEY]


def get_search(app: Flask | None = None) -> KnowledgeSearch:
    return (app or current_app).extensions[SEARCH_KEY]
