"""The layers of docs/architecture.md hold: every import points down, and the kernel runs without Flask.

The contracts live in pyproject.toml ([tool.importlinter]); import-linter checks them here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "kb", "scheduler")


def lint_imports(tree: Path) -> subprocess.CompletedProcess[str]:
    # The tree comes first on the path, so its packages are the ones analysed.
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [sys.executable, "-c", "from importlinter.cli import lint_imports_command; lint_imports_command()",
         str(tree / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=tree, env=environment, capture_output=True, text=True, timeout=120,
    )


@pytest.fixture
def copied_tree(tmp_path: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(REPOSITORY / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.md", "static", "templates"))
    shutil.copy(REPOSITORY / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_every_contract(copied_tree: Path) -> None:
    result = lint_imports(copied_tree)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward_import"),
    [
        ("bot/core/calendar.py", "import kb.search"),  # the kernel reaching up to the knowledge layer
        ("kb/store.py", "from scheduler import reminders"),  # the knowledge layer reaching up to the scheduler
        ("handlers/question.py", "from bot.web import webhook"),  # a handler reaching up to the web
        ("bot/core/people.py", "import flask"),  # the kernel needing Flask
    ],
)
def test_an_import_that_points_up_breaks_a_contract(copied_tree: Path, module: str, upward_import: str) -> None:
    path = copied_tree / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{upward_import}  # noqa\n", encoding="utf-8")
    result = lint_imports(copied_tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
