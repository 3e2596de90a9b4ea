"""Configuration comes from the environment, with the hosting platforms' URL forms accepted."""

from __future__ import annotations

import pytest

from bot.core.config import Config, normalize_database_url


def test_defaults_match_the_documented_table():
    config = Config.from_environment({})

    assert config.database_url == "sqlite:///kmbot.db"
    assert config.line_api_base_url == "https://api.line.me"
    assert config.line_configured is False
    assert config.staff_count is None


def test_environment_values_are_read():
    config = Config.from_environment({
        "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "LINE_API_BASE_URL": "http://127.0.0.1:9/",
        "KMBOT_STAFF_COUNT": "45", "KMBOT_ADMIN_PASSWORD": "pw",
    })

    assert config.line_configured is True
    assert config.line_api_base_url == "http://127.0.0.1:9"
    assert config.staff_count == 45
    assert config.admin_password == "pw"


def test_postgres_urls_from_hosting_platforms_are_accepted():
    assert normalize_database_url("postgres://u:p@db:5432/km") == "postgresql+psycopg://u:p@db:5432/km"
    assert normalize_database_url("postgresql://u@db/km") == "postgresql+psycopg://u@db/km"
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_a_dotenv_file_in_the_working_directory_is_honoured(tmp_path, monkeypatch):
    from bot import create_app
    from bot.web.extensions import get_config

    (tmp_path / ".env").write_text("KMBOT_STAFF_COUNT=123\nKMBOT_QUESTION_RATE=5/minute\n", encoding="utf-8")
    for name in ("KMBOT_STAFF_COUNT", "KMBOT_QUESTION_RATE"):
        # Registered first, so what the .env file sets is undone after the test.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)

    config = get_config(create_app({"database_url": f"sqlite:///{tmp_path / 'env.db'}"}))

    assert config.staff_count == 123
    assert config.question_rate is not None and config.question_rate.limit == 5


@pytest.mark.parametrize("url", ["kmbot.example.go.th", "ftp://kmbot.example.go.th", "https://", "https://กรม.go.th", "https://a.go.th/x%zz"])
def test_a_public_url_line_would_refuse_stops_the_start_with_a_clear_error(url: str) -> None:
    from bot.core.config import ConfigError

    with pytest.raises(ConfigError, match="KMBOT_PUBLIC_URL"):
        Config.from_environment({"KMBOT_PUBLIC_URL": url})


def test_a_good_public_url_is_kept_without_its_trailing_slash() -> None:
    assert Config.from_environment({"KMBOT_PUBLIC_URL": "https://kmbot.example.go.th/"}).public_base_url == "https://kmbot.example.go.th"
