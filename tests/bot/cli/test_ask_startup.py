"""`kmbot ask` builds no app: it answers from the environment's database with only what answering needs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]


def kmbot(tmp_path: Path, *arguments: str, code: str = "") -> subprocess.CompletedProcess[str]:
    script = "import sys\nfrom bot.app import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n" + code
    return subprocess.run(
        [sys.executable, "-c", script, *arguments], capture_output=True, text=True, cwd=tmp_path, check=True,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY), "DATABASE_URL": f"sqlite:///{tmp_path}/k.db",
             "KMBOT_INDEX_CACHE": str(tmp_path / "index"), "PYTHAINLP_OFFLINE": "1"},
    )


def test_ask_answers_from_the_environments_database_without_flask_or_the_holidays(tmp_path) -> None:  # type: ignore[no-untyped-def]
    kmbot(tmp_path, "db", "upgrade")  # the starter pack
    listing = "import json\nprint(json.dumps(sorted(sys.modules)))"
    result = kmbot(tmp_path, "ask", "KM คืออะไร", "--json", code=listing)
    answer_line, modules_line = result.stdout.strip().splitlines()[-2:]
    answer = json.loads(answer_line)
    assert answer["answered"] and "การจัดการความรู้" in answer["answer"]
    modules = json.loads(modules_line)
    assert not [name for name in modules if name.split(".")[0] in ("flask", "werkzeug", "jinja2", "holidays", "linebot")]


def test_ask_in_a_fresh_folder_builds_its_index_file_once_and_then_reads_it(tmp_path) -> None:  # type: ignore[no-untyped-def]
    kmbot(tmp_path, "db", "upgrade")
    first = json.loads(kmbot(tmp_path, "ask", "ใครรับผิดชอบ KMP5", "--json").stdout.strip().splitlines()[-1])
    files = sorted((tmp_path / "index").glob("*.index"))
    second = json.loads(kmbot(tmp_path, "ask", "ใครรับผิดชอบ KMP5", "--json").stdout.strip().splitlines()[-1])
    assert len(files) == 1 and sorted((tmp_path / "index").glob("*.index")) == files
    assert second == first
