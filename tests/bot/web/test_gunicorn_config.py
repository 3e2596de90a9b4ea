"""gunicorn.conf.py: the app and its search index are made in the master, before the fork."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

from bot.web.extensions import get_database, get_search

CONFIG = Path(__file__).resolve().parents[3] / "gunicorn.conf.py"


def test_the_master_loads_the_app_builds_the_index_and_closes_its_connections(app, starter_pack, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    settings = runpy.run_path(str(CONFIG))
    assert settings["preload_app"] is True
    search = get_search(app)
    assert search.builds == 0
    disposed = []
    database = get_database(app)
    monkeypatch.setattr(database, "dispose", lambda: disposed.append(True))
    monkeypatch.setattr(gc, "freeze", lambda: None)  # the test process's own collector stays as it is

    settings["when_ready"](SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app)))

    assert search.builds == 1 and disposed == [True]
    with database.session() as session:
        assert len(search.index(session)) > 0
    assert search.builds == 1  # the workers use the index made before the fork
