"""`kmbot db upgrade`: migrations, and the starter knowledge pack for an empty store."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from bot.core.database import Database
from bot.core.migrate import current_revision, upgrade_database
from bot.web.extensions import get_database
from kb.store import load_starter_pack


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade_command() -> None:
    """Apply all migrations (run it on every release)."""
    database = get_database()
    upgrade_database(database)
    click.echo(f"database is at revision {current_revision(database)}")
    load_starter_pack_if_empty(database)


def load_starter_pack_if_empty(database: Database) -> None:
    """A new install can answer on day one: an empty store gets the shipped starter articles."""
    with database.session() as session:
        added = load_starter_pack(session)
    if added:
        click.echo(f"knowledge store was empty: loaded {added} starter articles")
