"""Pushes and LINE message units per fiscal year for the sample plan (docs/line.md).

Imports the sample plan (FY 2567), makes one committee group of 12 members, and runs the real
reminder sender (`scheduler.reminders.send_due_reminders`, the digest, the delivery pipeline
and its database rows) at 09:00 on every day from 1 October 2023 to 30 September 2024 against a
recording LINE client. It counts what was pushed (pushes, messages, bubbles) and compares it
with one push per reminder, as kmbot sent before the digest, and with the digest alone (each
reminder on its own day, without the weekly look-ahead). A push to a group spends one message
unit per member of the channel's allowance.

    PYTHONPATH=. python benchmarks/line_quota.py [--members 12]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.core.calendar import BANGKOK
from bot.core.line_client import Delivery, Quota

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_7109b574315d70a7.txt"


class RecordingLineClient:
    """What the sender asks of LINE, answered as LINE would, every push kept."""

    def __init__(self, members: int) -> None:
        self.members = members
        self.pushes: list[tuple[datetime, str, list[Any]]] = []
        self.moment: datetime | None = None

    def push(self, to: str, messages: list[Any], retry_key: str | None = None) -> Delivery:
        assert self.moment is not None
        self.pushes.append((self.moment, to, [message.to_dict() for message in messages]))
        return Delivery(request_id=f"req-{len(self.pushes)}", status=200)

    def quota(self) -> Quota:
        return Quota(limit=None, used=0)

    def member_count(self, chat_id: str, kind: str = "group") -> int:
        return self.members


def main() -> int:
    from bot.core.config import Config

    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=12)
    parser.add_argument("--plan", type=Path, default=SAMPLE)
    arguments = parser.parse_args()

    members = arguments.members
    # Before: one push per reminder, each on its own day, overdue reminders running on into FY 2568.
    _, before_reminders = walk(arguments.plan, members, Config(overdue_until_fiscal_year_end=False, reminder_weekly_look_ahead=False))
    # The digest alone: one push per group and tick, each reminder on its own day.
    own_day_pushes, _ = walk(arguments.plan, members, Config(reminder_weekly_look_ahead=False))
    # Now: the default policy, the digest with the weekly look-ahead, overdue stopping with the year.
    pushes, sent_reminders = walk(arguments.plan, members, Config())

    def in_year(found: list[Any]) -> list[Any]:
        return [item for item in found if (item[0] if isinstance(item, tuple) else item).date() <= FISCAL_YEAR_END]

    def units(found: list[tuple[datetime, str, list[Any]]]) -> int:
        return sum(len(sent_messages) for _, _, sent_messages in found) * members

    def busiest(found: list[tuple[datetime, str, list[Any]]]) -> tuple[str, int]:
        by_month: Counter[str] = Counter()
        for moment, _, sent_messages in in_year(found):
            by_month[moment.strftime("%Y-%m")] += len(sent_messages) * members
        return by_month.most_common(1)[0] if by_month else ("", 0)

    before_in_year = in_year(before_reminders)
    per_reminder_month = Counter(moment.strftime("%Y-%m") for moment in before_in_year).most_common(1)[0]
    bubbles = [
        len(message["contents"]["contents"]) if message["contents"]["type"] == "carousel" else 1
        for _, _, sent_messages in pushes for message in sent_messages
    ]
    result = {
        "fiscal_year_2567": {
            "reminders": len(in_year(sent_reminders)),
            "pushes_one_per_reminder": len(before_in_year),
            "message_units_one_per_reminder": len(before_in_year) * members,
            "pushes_digest_own_days": len(in_year(own_day_pushes)),
            "message_units_digest_own_days": units(in_year(own_day_pushes)),
            "fewer_units_digest_own_days": round(len(before_in_year) * members / max(1, units(in_year(own_day_pushes))), 2),
            "pushes_digest": len(in_year(pushes)),
            "message_units_digest": units(in_year(pushes)),
            "fewer_units": round(len(before_in_year) * members / max(1, units(in_year(pushes))), 2),
            "busiest_month_one_per_reminder": [per_reminder_month[0], per_reminder_month[1] * members],
            "busiest_month_digest_own_days": list(busiest(own_day_pushes)),
            "busiest_month_digest": list(busiest(pushes)),
        },
        "whole_plan": {
            "pushes_one_per_reminder": len(before_reminders),
            "message_units_one_per_reminder": len(before_reminders) * members,
            "pushes_digest_own_days": len(own_day_pushes),
            "message_units_digest_own_days": units(own_day_pushes),
            "pushes_digest": len(pushes),
            "message_units_digest": units(pushes),
            "fewer_units": round(len(before_reminders) * members / max(1, units(pushes)), 2),
        },
        "largest_tick_reminders": max(Counter(sent_reminders).values(), default=0),
        "largest_digest_bubbles": max(bubbles, default=0),
        "members": members,
    }
    json.dump(result, sys.stdout, indent=2)
    print()
    return 0


FIRST_DAY = date(2023, 10, 1)
FISCAL_YEAR_END = date(2024, 9, 30)
# Overdue reminders of the last deadlines (30 September) ran four weeks into FY 2568.
LAST_DAY_OF_PLAN = date(2024, 11, 30)


def walk(plan: Path, members: int, config: Any, *, until: date = LAST_DAY_OF_PLAN) -> tuple[list[tuple[datetime, str, list[Any]]], list[datetime]]:
    """Run the reminder sender at 09:00 every day from 1 October 2023 to ``until`` with the
    reminder policy ``config`` gives (weekends and Thai public holidays moved, as `kmbot
    scheduler run` reads it); the pushes and the planned moment of every reminder sent."""
    from bot import create_app
    from bot.core.migrate import upgrade_database
    from bot.core.people import ensure_group
    from bot.web.extensions import get_database
    from kb.plan_document import read_plan_file
    from kb.plan_store import save_plan_reading
    from scheduler.reminders import ReminderPolicy, send_due_reminders

    line = RecordingLineClient(members)
    sent_reminders: list[datetime] = []
    policy = ReminderPolicy.from_config(config)
    with tempfile.TemporaryDirectory() as folder:
        app = create_app({"database_url": f"sqlite:///{folder}/quota.db", "secret_key": "x"})
        database = get_database(app)
        upgrade_database(database)
        with database.session() as session:
            save_plan_reading(session, read_plan_file(plan))
            group = ensure_group(session, "Cquota-committee", "group", datetime(2023, 9, 1, tzinfo=BANGKOK))
            group.role, group.member_count = "committee", members
        day = FIRST_DAY
        while day <= until:
            line.moment = datetime(day.year, day.month, day.day, 9, tzinfo=BANGKOK)
            report = send_due_reminders(database, line, line.moment, policy)  # type: ignore[arg-type]
            assert not report.failed and not report.in_progress
            sent_reminders.extend(item.planned_at for item in report.sent)
            day += timedelta(days=1)
        database.dispose()
    return line.pushes, sent_reminders


if __name__ == "__main__":
    raise SystemExit(main())
