"""What reading the secretary's stored settings costs the hot path (docs/admin.md).

Run: PYTHONPATH=. python benchmarks/settings_read.py
"""

from __future__ import annotations

import tempfile
import timeit
from pathlib import Path

from bot.core.config import Config
from bot.core.database import Database
from bot.core.migrate import upgrade_database
from bot.core.settings import LiveConfig, store_settings


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        database = Database(f"sqlite:///{Path(folder) / 'settings.db'}")
        upgrade_database(database)
        with database.session() as session:
            store_settings(session, {"staff_count": "120", "reminder_hour": "10", "office_holidays": "2024-03-12 วันก่อตั้ง"})
        live = LiveConfig(Config(database_url=database.url), database)
        live.current()
        count = 200_000
        cached = timeit.timeit(live.current, number=count) / count
        print(f"Config read within the {live._max_age:.0f}-second window: {cached * 1e6:.2f} µs")

        def reread() -> None:
            live.invalidate()
            live.current()

        count = 300
        print(f"Config re-read from the settings table and overlaid: {timeit.timeit(reread, number=count) / count * 1e3:.2f} ms")
        database.dispose()


if __name__ == "__main__":
    main()
