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


def test_a_clock_setting_that_cannot_be_used_stops_the_server_with_its_message(app, monkeypatch) -> None:
    # The clock starts once the server listens; a setting it cannot use still stops `kmbot serve`.
    import waitress

    listening = threading.Event()

    def serve_until_stopped(application, **options):  # type: ignore[no-untyped-def]
        listening.wait(60)  # never set: only the stop the bad setting causes ends it

    monkeypatch.setattr(waitress, "serve", serve_until_stopped)
    monkeypatch.setenv("KMBOT_LEASE_SECONDS", "soon")
    result = app.test_cli_runner().invoke(args=["serve", "--port", "8766"])
    assert result.exit_code == 1
    assert "KMBOT_LEASE_SECONDS must be a number of seconds" in result.output


FIRST_USE = """
import sys
from bot.app import create_app

app = create_app({"database_url": sys.argv[1], "secret_key": "k", "line_channel_secret": sys.argv[2],
                  "line_channel_access_token": "token"}, preload=False)
import bot.cli.serve  # noqa: F401  (what `kmbot serve` imports before it listens)

client = app.test_client()
health = client.get("/healthz")
loaded_for_health = "linebot" in sys.modules
body, signature = sys.argv[3].encode(), sys.argv[4]
webhook = client.post("/callback", data=body, headers={"X-Line-Signature": signature, "Content-Type": "application/json"})
print(health.status_code, loaded_for_health, webhook.status_code, "linebot" in sys.modules)
"""


def test_healthz_answers_without_the_line_sdk_and_the_first_webhook_loads_it(app, app_config) -> None:
    # `kmbot serve` listens before the LINE SDK's models (most of a start-up) are loaded.
    import json
    import os
    import subprocess
    import sys

    from tests.conftest import BOT_USER_ID, TEST_CHANNEL_SECRET, sign

    body = json.dumps({"destination": BOT_USER_ID, "events": []})  # LINE's "verify" delivery
    result = subprocess.run(
        [sys.executable, "-c", FIRST_USE, app_config["database_url"], TEST_CHANNEL_SECRET, body, sign(body.encode())],
        capture_output=True, text=True, timeout=120,
        env={**{key: value for key, value in os.environ.items() if not key.startswith(("KMBOT_", "LINE_"))},
             "PYTHAINLP_OFFLINE": "1"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["200", "False", "200", "True"]
