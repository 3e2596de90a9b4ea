"""`kmbot serve`: the whole product in one process (web, webhook and the reminder clock)."""

from __future__ import annotations

import logging
import os
import signal
import threading

import click
from flask import Flask
from flask.cli import with_appcontext

from bot.cli.db import load_starter_pack_if_empty
from bot.cli.scheduler import clock_for_app
from bot.core.migrate import upgrade_database
from bot.web.extensions import get_config, get_database, get_search

logger = logging.getLogger(__name__)


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=None, help="Port (default: $PORT or 8000).")
@click.option("--threads", type=int, default=8, show_default=True)
@with_appcontext
def serve_command(host: str, port: int | None, threads: int) -> None:
    """Run the whole product in one process: web, webhook and the reminder scheduler."""
    from flask import current_app
    from waitress import serve

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = get_config(app)
    database = get_database(app)
    port = port or int(os.environ.get("PORT") or 8000)
    if database.is_sqlite:
        upgrade_database(database)
    load_starter_pack_if_empty(database)
    if config.line_configured:
        click.echo(f"kmbot: LINE webhook ready at http://{host}:{port}/callback")
    else:
        click.echo(
            "kmbot: local mode (LINE_CHANNEL_SECRET / LINE_CHANNEL_ACCESS_TOKEN not set): "
            f"the webhook answers 503; open http://{host}:{port}/ to try the bot."
        )
    # systemd and Procfile platforms stop a process with SIGTERM: stop the way Ctrl-C does,
    # so the clock gives its lease up and a restarted process sends at once. Installed before
    # the clock starts, so a stop during start-up gives the lease up too.
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)
    reminder_clock = clock_for_app(app)
    try:
        if reminder_clock is not None:
            reminder_clock.start(catch_up_in_background=True)
        # The first question would otherwise wait for the whole index to be built.
        threading.Thread(target=_warm_search_index, args=(app,), name="warm-search-index", daemon=True).start()
        click.echo(f"kmbot: serving on http://{host}:{port}")
        serve(app, host=host, port=port, threads=threads, ident="kmbot")
    except KeyboardInterrupt:
        click.echo("kmbot: stopping")
    finally:
        if reminder_clock is not None:
            reminder_clock.shutdown()


def _stop_like_ctrl_c(signal_number: int, frame: object) -> None:
    raise KeyboardInterrupt


def _warm_search_index(app: Flask) -> None:
    try:
        with get_database(app).session() as session:
            get_search(app).index(session)
    except Exception:  # noqa: BLE001 - the first question builds it then; serving goes on
        logger.exception("search index could not be built at start")
