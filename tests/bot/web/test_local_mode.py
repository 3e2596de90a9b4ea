"""Without LINE credentials the product still starts, in local mode."""

from __future__ import annotations

from bot import create_app
from bot.core.migrate import upgrade_database
from bot.web.extensions import get_database


def test_without_credentials_the_webhook_explains_local_mode(tmp_path):
    app = create_app({"database_url": f"sqlite:///{tmp_path / 'local.db'}", "line_channel_secret": None, "line_channel_access_token": None})
    upgrade_database(get_database(app))
    client = app.test_client()

    response = client.post("/callback", data=b"{}", headers={"X-Line-Signature": "x"})

    assert response.status_code == 503
    assert "local mode" in response.get_json()["message"]
    assert client.get("/healthz").get_json() == {"status": "ok", "database": "ok", "mode": "local"}
