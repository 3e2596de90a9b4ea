"""`kmbot` speaks for itself: its own --help and --version, Thai dates, clear errors (issue 16, finding 9)."""

from __future__ import annotations

from datetime import date

import click
import pytest

from bot.app import main
from bot.cli.plan import _parse_day


@pytest.fixture(autouse=True)
def _logging_left_as_found():  # type: ignore[no-untyped-def]
    """`main` configures logging for the process; other tests must not inherit it."""
    import logging

    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def run_main(capsys, *arguments: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    try:
        main(list(arguments))
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if isinstance(stop.code, str):
            print(stop.code)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_help_is_kmbots_own(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = run_main(capsys, "--help")
    assert code == 0
    assert "--env-file" not in output and "--app" not in output and "--debug" not in output
    assert "kmbot serve" in output and "serve" in output


def test_version_is_kmbots(capsys, monkeypatch, tmp_path) -> None:
    from importlib.metadata import version

    monkeypatch.chdir(tmp_path)
    code, output = run_main(capsys, "--version")
    assert code == 0
    assert output.strip() == f"kmbot {version('kmbot')}"
    assert "Flask" not in output


def test_an_unreachable_database_is_one_sentence(capsys, monkeypatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://kmbot:hunter2@127.0.0.1:1/kmbot")
    code, output = run_main(capsys, "plan", "list")
    assert code == 1
    assert "cannot reach the database" in output and "Traceback" not in output and "hunter2" not in output


@pytest.mark.parametrize("typed, expected", [
    ("2024-06-30", date(2024, 6, 30)),
    ("2567-06-30", date(2024, 6, 30)),
    ("๒๕๖๗-๐๖-๓๐", date(2024, 6, 30)),
    ("30/6/2567", date(2024, 6, 30)),
    ("30 มิ.ย. 2567", date(2024, 6, 30)),
    ("30 มิย 2567", date(2024, 6, 30)),
    ("30 มิถุนายน 2567", date(2024, 6, 30)),
    ("๓๐ มิถุนายน พ.ศ. ๒๕๖๗", date(2024, 6, 30)),
    ("1 ต.ค. 2566", date(2023, 10, 1)),
    ("30 June 2024", date(2024, 6, 30)),
])
def test_dates_are_read_as_thai_offices_write_them(typed, expected) -> None:
    assert _parse_day(typed, "DEADLINE") == expected


@pytest.mark.parametrize("typed", ["30 มิถุนา", "31 มิ.ย. 2567", "tomorrow", "2567-13-01", "99999999999999999999-1-1"])
def test_a_bad_date_is_explained_in_thai_and_english(typed) -> None:
    with pytest.raises(click.BadParameter) as raised:
        _parse_day(typed, "DEADLINE")
    assert "/" in raised.value.message and ("date" in raised.value.message)


def test_set_dates_takes_thai_month_names(cli, imported_plan) -> None:
    activity_id = next(iter(imported_plan.values()))
    result = cli("plan", "set-dates", activity_id, "1 มิ.ย. 2567", "30 มิถุนายน 2567")
    assert result.exit_code == 0, result.output
    assert "2024-06-01 .. 2024-06-30" in result.output


def test_importing_a_file_without_tables_exits_non_zero(app, tmp_path) -> None:
    empty = tmp_path / "notes.txt"
    empty.write_text("บันทึกการประชุม ไม่มีตารางกิจกรรม\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["plan", "import", str(empty)])
    assert result.exit_code == 1
    assert "no KM plan activity table" in result.output


def test_granting_a_role_to_something_that_is_no_line_id_changes_nothing(cli, database) -> None:
    from sqlalchemy import func, select

    from bot.core.tables import User

    result = cli("users", "grant", "not a line id; DROP", "secretary")
    assert result.exit_code == 1 and "is not a LINE user id" in result.output
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(User)) == 0
