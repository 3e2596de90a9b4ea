"""`kmbot serve` behind a reverse proxy, on a busy port, and with the database down (issue 16)."""

from __future__ import annotations

import socket
import threading
import urllib.request
from typing import Any

import pytest

from bot.cli.serve import waitress_proxy_settings
from bot.core.config import Config


def _serve_in_thread(app, **settings: Any):  # type: ignore[no-untyped-def]
    from waitress import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=2, _start=True, **settings)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    return server, thread


def _whoami(app, settings: dict[str, Any]) -> str:  # type: ignore[no-untyped-def]
    server, thread = _serve_in_thread(app, **settings)
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{server.effective_port}/_whoami",
            headers={"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.read().decode()
    finally:
        server.close()
        thread.join(5)


@pytest.fixture
def whoami_app(tmp_path):  # type: ignore[no-untyped-def]
    from flask import request

    from bot import create_app

    app = create_app({"database_url": f"sqlite:///{tmp_path / 'proxy.db'}", "trusted_proxies": 1, "secret_key": "k"})

    @app.get("/_whoami")
    def whoami() -> str:
        return f"{request.remote_addr} {request.scheme}"

    return app


def test_without_trusted_proxy_settings_waitress_hides_the_client(whoami_app) -> None:
    # What `kmbot serve` did before: waitress dropped the headers, every client was 127.0.0.1.
    assert _whoami(whoami_app, {}) == "127.0.0.1 http"


def test_kmbot_trusted_proxies_reaches_waitress(whoami_app) -> None:
    settings = waitress_proxy_settings(Config(trusted_proxies=1))
    assert _whoami(whoami_app, settings) == "203.0.113.7 https"


def test_no_trusted_proxies_means_no_proxy_settings(monkeypatch) -> None:
    assert waitress_proxy_settings(Config(trusted_proxies=0)) == {}
    monkeypatch.setenv("KMBOT_TRUSTED_PROXY_ADDRESS", "10.0.0.2")
    assert waitress_proxy_settings(Config(trusted_proxies=2))["trusted_proxy"] == "10.0.0.2"
    assert waitress_proxy_settings(Config(trusted_proxies=2))["trusted_proxy_count"] == 2


def test_a_busy_port_is_one_clear_sentence(tmp_path) -> None:
    from bot import create_app

    app = create_app({"database_url": f"sqlite:///{tmp_path / 'busy.db'}", "secret_key": "k"})
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = app.test_cli_runner().invoke(args=["serve", "--port", str(port)])
    assert result.exit_code == 1
    assert "already in use" in result.output and "Traceback" not in result.output
    assert "ถูกโปรแกรมอื่นใช้อยู่" in result.output


def test_an_unreachable_database_is_one_clear_sentence() -> None:
    from bot import create_app

    app = create_app({"database_url": "postgresql+psycopg://kmbot:secret@127.0.0.1:1/kmbot", "secret_key": "k"})
    result = app.test_cli_runner().invoke(args=["serve", "--port", "1"])
    assert result.exit_code == 1
    assert "cannot reach the database" in result.output and "secret" not in result.output
