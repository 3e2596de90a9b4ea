"""`kmbot db upgrade`: migrations, and the starter knowledge pack for an empty store."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from bot.core.database import Database
from bot.core.migrate import current_revision, upgrade_database
from bot.web.extensions import get_database
from bot.core.retention import RECEIVED_EVENTS_KEPT
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


@db_group.command("sweep")
@click.option("--days", type=click.IntRange(min=2), default=RECEIVED_EVENTS_KEPT.days, show_default=True,
              help="Keep the webhook delivery log of this many days (LINE redelivers within hours).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@with_appcontext
def db_sweep_command(days: int, as_json: bool) -> None:
    """Delete webhook delivery records older than LINE's redelivery window (the reach log stays)."""
    import json
    from datetime import timedelta

    from bot.core.calendar import now
    from bot.core.retention import sweep_received_events

    removed = sweep_received_events(get_database(), now(), timedelta(days=days))
    if as_json:
        click.echo(json.dumps({"removed": removed, "kept_days": days}))
    else:
        click.echo(f"ลบบันทึกการรับ webhook ที่เก่ากว่า {days} วันแล้ว {removed} รายการ / removed {removed} webhook delivery records older than {days} days")
