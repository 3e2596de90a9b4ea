"""Browser tests: the real app served on a local port, driven by Debian's Chromium through Playwright.

They need only SQLite. Without the playwright package or a Chromium binary they skip, naming
what is missing; Playwright is never allowed to download a browser of its own.
"""

from __future__ import annotations

import os
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

os.environ.setdefault("PYTHAINLP_OFFLINE", "1")
# Belt and braces: even a stray `playwright install` in this process would find nothing to fetch.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")

CHROMIUM_PATH = os.environ.get("KMBOT_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ADMIN_PASSWORD = "e2e-รหัสผ่าน-2567"
SCREENSHOT_DIRECTORY = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1280, "height": 800}


def _missing_browser() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    if not (Path(CHROMIUM_PATH).exists() or shutil.which(CHROMIUM_PATH)):
        return f"no Chromium at {CHROMIUM_PATH} (apt-get install chromium)"
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    reason = _missing_browser()
    if reason:
        # CI installs Chromium (.ci/run sets KMBOT_REQUIRE_BROWSER=1): there a missing browser fails.
        if os.environ.get("KMBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and KMBOT_REQUIRE_BROWSER=1 requires it")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@dataclass
class LiveServer:
    url: str
    app: Any
    admin_password: str | None

    @property
    def database(self) -> Any:
        from bot.web.extensions import get_database

        return get_database(self.app)


@pytest.fixture
def start_server(tmp_path) -> Iterator[Callable[..., LiveServer]]:  # type: ignore[no-untyped-def]
    """Start the real app on 127.0.0.1:<free port> in a thread; call with config overrides."""
    from werkzeug.serving import make_server

    started: list[tuple[Any, threading.Thread, Any]] = []

    def start(**overrides: Any) -> LiveServer:
        from bot import create_app
        from bot.core.migrate import upgrade_database
        from bot.web.extensions import get_database
        from kb.store import load_starter_pack

        config = {
            "database_url": f"sqlite:///{tmp_path / f'e2e-{len(started)}.db'}",
            "admin_password": ADMIN_PASSWORD,
            "line_channel_secret": None,
            "line_channel_access_token": None,
            "secret_key": "e2e-secret-key",
            **overrides,
        }
        app = create_app(config)
        database = get_database(app)
        upgrade_database(database)
        with database.session() as session:
            load_starter_pack(session)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="kmbot-e2e-server", daemon=True)
        thread.start()
        started.append((server, thread, database))
        return LiveServer(f"http://127.0.0.1:{server.server_port}", app, config["admin_password"])

    yield start
    for server, thread, database in started:
        server.shutdown()
        thread.join(timeout=10)
        database.dispose()


@pytest.fixture
def phone(browser) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="th-TH",
                                  accept_downloads=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def desk(browser) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=DESK, locale="th-TH", accept_downloads=True)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture(scope="session")
def screenshot() -> Callable[[Any, str], Path]:
    """Save a full-page screenshot under test-output/screenshots/ (gitignored)."""
    SCREENSHOT_DIRECTORY.mkdir(parents=True, exist_ok=True)

    def save(page: Any, name: str) -> Path:
        path = SCREENSHOT_DIRECTORY / f"{name}.png"
        # Wait for the web font, so Thai is drawn in Sarabun and not a fallback face.
        page.evaluate("document.fonts.ready.then(() => true)")
        page.screenshot(path=str(path), full_page=True)
        return path

    return save
