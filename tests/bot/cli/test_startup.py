"""`kmbot` starts with only what the command needs (docs/performance.md, start-up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from bot.cli import COMMAND_TABLE

REPOSITORY = Path(__file__).resolve().parents[3]
HEAVY = ("flask", "sqlalchemy", "linebot", "numpy", "pythainlp", "matplotlib", "openpyxl", "docx", "bs4", "nlpo3",
         "kb.search", "bot.web")


def loaded_after(code: str, tmp_path: Path, **environment: str) -> list[str]:
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, check=True,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY), "DATABASE_URL": f"sqlite:///{tmp_path}/k.db", **environment},
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_help_lists_every_command_without_importing_the_product(tmp_path) -> None:
    modules = loaded_after(
        "from bot.app import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass", tmp_path)
    assert [name for name in modules if name.split(".")[0] in HEAVY or name.startswith(HEAVY)] == []


def test_the_help_table_says_what_each_command_says_of_itself() -> None:
    for entry in COMMAND_TABLE:
        assert entry.load().get_short_help_str(200) == entry.short_help, entry.name


def test_a_command_line_app_has_no_web_stack_and_builds_no_index(tmp_path) -> None:
    modules = loaded_after(
        "from bot.app import main\ntry:\n    main(['plan', 'list', '--json'])\nexcept SystemExit:\n    pass", tmp_path,
        LINE_CHANNEL_SECRET="s" * 32, LINE_CHANNEL_ACCESS_TOKEN="t" * 40)
    assert "bot.web.webhook" not in modules and "bot.web.admin" not in modules
    assert "linebot.v3.messaging" not in modules and "matplotlib" not in modules and "openpyxl" not in modules
    assert "kb.search" not in modules
