"""`kmbot serve`: the whole product in one process (web, webhook and the reminder clock).

It listens as soon as the database is ready, so /healthz and the pages answer at once; what
only webhooks, chats and reminders need (the LINE SDK's models, the handlers, the reminder
clock, the search index) starts in the background meanwhile (`BackgroundStart`).
"""

from __future__ import annotations

import errno
import logging
import os
import signal
import threading
from typing import TYPE_CHECKING, Any

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from bot.cli.db import load_starter_pack_if_empty
from bot.core.config import Config
from bot.core.migrate import upgrade_database
from bot.web.extensions import get_config, get_database, get_search, load_event_stack

if TYPE_CHECKING:
    from scheduler.clock import ReminderClock

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
    try:
        database.ping()
    except SQLAlchemyError as error:
        raise click.ClickException(database_unreachable(database, error)) from None
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
    background = BackgroundStart(app)
    try:
        # Started as waitress opens its socket: the slow part (the SDK's models) is imported
        # while /healthz already answers.
        threading.Thread(target=background.run, name="kmbot-start", daemon=True).start()
        # waitress says "Serving on …" once it listens; a busy port is one clear sentence, not a traceback.
        serve(app, host=host, port=port, threads=threads, ident="kmbot", **waitress_proxy_settings(config))
    except KeyboardInterrupt:
        if background.error is not None:
            raise background.error from None
        click.echo("kmbot: stopping")
    except OSError as error:
        raise click.ClickException(_cannot_listen(host, port, error)) from None
    finally:
        background.stop()


class BackgroundStart:
    """What `kmbot serve` starts once it listens: the event stack, the reminder clock, the index.

    A setting the clock cannot use stops the server with its message, as it would have before
    listening; a stop (Ctrl-C, SIGTERM) while the clock starts waits for it and gives its lease up."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.clock: ReminderClock | None = None
        self.error: click.ClickException | None = None
        self._stopped = False
        self._lock = threading.Lock()

    def run(self) -> None:
        try:
            load_event_stack(self.app)
        except Exception:  # noqa: BLE001 - the first webhook loads it then, and says why it cannot
            logger.exception("the webhook's modules could not be loaded at start")
        try:
            self._start_clock()
        except click.ClickException as error:
            self.error = error
            # To the main thread itself, so that its wait for connections is interrupted: it stops
            # serving and says why.
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGTERM)
            return
        # The first question would otherwise wait for the whole index to be built.
        _warm_search_index(self.app)

    def _start_clock(self) -> None:
        from bot.cli.scheduler import clock_for_app

        with self._lock:
            if self._stopped:
                return
            self.clock = clock_for_app(self.app)
            if self.clock is not None:
                self.clock.start(catch_up_in_background=True)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self.clock is not None:
                self.clock.shutdown()


# The X-Forwarded-* headers a reverse proxy (Caddy, nginx) sets; waitress drops every other one.
PROXY_HEADERS = frozenset({"x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-port"})


def waitress_proxy_settings(config: Config) -> dict[str, Any]:
    """waitress's trusted-proxy settings for KMBOT_TRUSTED_PROXIES.

    waitress removes X-Forwarded-* headers it was not told to trust before the app sees them, so
    without these the app behind Caddy or nginx saw every client as 127.0.0.1 and every request
    as plain HTTP (no Secure cookie). With KMBOT_TRUSTED_PROXIES=N the last N hops are trusted,
    from whichever peer connects: kmbot then must listen only where the proxy reaches it (the
    default --host 127.0.0.1). KMBOT_TRUSTED_PROXY_ADDRESS narrows that to one peer address.
    """
    if config.trusted_proxies <= 0:
        return {}
    return {
        "trusted_proxy": os.environ.get("KMBOT_TRUSTED_PROXY_ADDRESS") or "*",
        "trusted_proxy_count": config.trusted_proxies,
        "trusted_proxy_headers": set(PROXY_HEADERS),
        "clear_untrusted_proxy_headers": True,
    }


def database_unreachable(database: Any, error: Exception) -> str:
    """A bilingual sentence for a database that does not answer (the password never shown)."""
    from sqlalchemy.engine import make_url

    where = make_url(database.url).render_as_string(hide_password=True)
    return (
        f"ติดต่อฐานข้อมูลไม่ได้ ตรวจสอบ DATABASE_URL และว่าฐานข้อมูลเปิดอยู่ / "
        f"cannot reach the database at {where} ({type(error).__name__}): check DATABASE_URL and that the server is running"
    )


def _cannot_listen(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EADDRINUSE:
        return (
            f"พอร์ต {port} ถูกโปรแกรมอื่นใช้อยู่ ปิดโปรแกรมนั้นหรือใช้ --port อื่น / "
            f"port {port} on {host} is already in use: stop the other program or choose another --port"
        )
    if error.errno == errno.EACCES:
        return f"ไม่มีสิทธิ์เปิดพอร์ต {port} / no permission to listen on {host}:{port} (ports below 1024 need root)"
    return f"เปิดพอร์ต {port} ไม่ได้ / cannot listen on {host}:{port}: {error.strerror or error}"


def _stop_like_ctrl_c(signal_number: int, frame: object) -> None:
    raise KeyboardInterrupt


def _warm_search_index(app: Flask) -> None:
    # Outside any unit of work: on SQLite a session would hold every request's turn for the build.
    try:
        get_search(app).warm(get_database(app).engine)
    except Exception:  # noqa: BLE001 - the first question builds it then; serving goes on
        logger.exception("search index could not be built at start")
