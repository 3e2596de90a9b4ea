"""Pushes and LINE message units per fiscal year for the sample plan (docs/line.md).

Reads every reminder `kmbot reminders preview` plans for FY 2567 of the sample plan, sent to
one committee group of 12 members, and counts: pushes as sent now (one per reminder) and as a
daily digest would send them (one per group and reminder moment), and the message units each
spends of the channel's allowance (LINE counts a push to a group once per member).

    PYTHONPATH=. python benchmarks/line_quota.py [--members 12]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from datetime import datetime
from pathlib import Path

from bot.core.calendar import BANGKOK

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_7109b574315d70a7.txt"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=12)
    parser.add_argument("--plan", type=Path, default=SAMPLE)
    arguments = parser.parse_args()

    from bot import create_app
    from bot.core.migrate import upgrade_database
    from bot.core.people import ensure_group
    from bot.web.extensions import get_database
    from kb.plan_document import read_plan_file
    from kb.plan_store import save_plan_reading
    from scheduler.reminders import ReminderPolicy, preview_reminders

    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"database_url": f"sqlite:///{folder}/quota.db", "secret_key": "x"})
        database = get_database(app)
        upgrade_database(database)
        with database.session() as session:
            save_plan_reading(session, read_plan_file(arguments.plan))
            group = ensure_group(session, "Cquota-committee", "group", datetime(2023, 9, 1, tzinfo=BANGKOK))
            group.role, group.member_count = "committee", arguments.members
        with database.session() as session:
            previews = preview_reminders(session, ReminderPolicy(), now=datetime(2023, 9, 1, 8, tzinfo=BANGKOK))
        database.dispose()
    in_year = [p for p in previews if datetime(2023, 10, 1, tzinfo=BANGKOK) <= p.at < datetime(2024, 10, 1, tzinfo=BANGKOK)]
    per_moment = Counter(p.at for p in in_year)
    per_month = Counter(p.at.strftime("%Y-%m") for p in in_year)
    digest_per_month = Counter(moment.strftime("%Y-%m") for moment in per_moment)
    result = {
        "reminders": len(in_year),
        "pushes_one_per_reminder": len(in_year),
        "message_units_one_per_reminder": len(in_year) * arguments.members,
        "pushes_digest": len(per_moment),
        "message_units_digest": len(per_moment) * arguments.members,
        "largest_tick": max(per_moment.values()) if per_moment else 0,
        "busiest_month_units_one_per_reminder": max(per_month.values(), default=0) * arguments.members,
        "busiest_month_units_digest": max(digest_per_month.values(), default=0) * arguments.members,
        "members": arguments.members,
    }
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
