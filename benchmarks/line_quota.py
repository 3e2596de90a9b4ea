"""Pushes and LINE message units per fiscal year for the sample plan (docs/line.md).

Imports the sample plan (FY 2567), makes one committee group of 12 members, and runs the real
reminder sender (`scheduler.reminders.send_due_reminders`, the digest, the delivery pipeline
and its database rows) at 09:00 on every day from 1 October 2023 to 30 September 2024 against a
recording LINE client. It counts what was pushed (pushes, messages, bubbles) and compares it
with one push per reminder, as kmbot sent before the digest. A push to a group spends one
message unit per member of the channel's allowance.

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
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=12)
    parser.add_argument("--plan", type=Path, default=SAMPLE)
    arguments = parser.parse_args()

    members = arguments.members
    # Before: one push per reminder, overdue reminders running on into FY 2568.
    before_pushes, before_reminders = walk(arguments.plan, members, until=LAST_DAY_OF_PLAN, digest_policy=False)
    # Now: the digest, overdue reminders stopping with the fiscal year (the default policy).
    pushes, sent_reminders = walk(arguments.plan, members, until=LAST_DAY_OF_PLAN, digest_policy=True)
    in_year = [moment for moment in sent_reminders if moment.date() <= FISCAL_YEAR_END]
    before_in_year = [moment for moment in before_reminders if moment.date() <= FISCAL_YEAR_END]
    year_pushes = [push for push in pushes if push[0].date() <= FISCAL_YEAR_END]
    messages = [len(sent_messages) for _, _, sent_messages in year_pushes]
    all_messages = sum(len(sent_messages) for _, _, sent_messages in pushes)
    bubbles = [
        len(message["contents"]["contents"]) if message["contents"]["type"] == "carousel" else 1
        for _, _, sent_messages in pushes for message in sent_messages
    ]
    per_reminder_month = Counter(moment.strftime("%Y-%m") for moment in before_in_year)
    digest_month: Counter[str] = Counter()
    for moment, _, sent_messages in year_pushes:
        digest_month[moment.strftime("%Y-%m")] += len(sent_messages)
    result = {
        "fiscal_year_2567": {
            "reminders": len(in_year),
            "pushes_one_per_reminder": len(before_in_year),
            "message_units_one_per_reminder": len(before_in_year) * members,
            "pushes_digest": len(year_pushes),
            "messages_digest": sum(messages),
            "message_units_digest": sum(messages) * members,
            "fewer_units": round(len(before_in_year) / max(1, sum(messages)), 2),
            "busiest_month_units_one_per_reminder": max(per_reminder_month.values(), default=0) * members,
            "busiest_month_units_digest": max(digest_month.values(), default=0) * members,
        },
        "whole_plan": {
            "pushes_one_per_reminder": len(before_reminders),
            "message_units_one_per_reminder": len(before_reminders) * members,
            "pushes_digest": len(pushes),
            "message_units_digest": all_messages * members,
            "fewer_units": round(len(before_reminders) / max(1, all_messages), 2),
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


def walk(plan: Path, members: int, *, until: date, digest_policy: bool) -> tuple[list[tuple[datetime, str, list[Any]]], list[datetime]]:
    """Run the reminder sender at 09:00 every day; the pushes and the planned moment of every
    reminder sent. ``digest_policy=False`` plans overdue reminders past the fiscal year's end."""
    from bot import create_app
    from bot.core.migrate import upgrade_database
    from bot.core.people import ensure_group
    from bot.web.extensions import get_database
    from kb.plan_document import read_plan_file
    from kb.plan_store import save_plan_reading
    from bot.core.config import Config
    from scheduler.reminders import ReminderPolicy, send_due_reminders

    line = RecordingLineClient(members)
    sent_reminders: list[datetime] = []
    # The default policy, as `kmbot scheduler run` reads it: weekends and Thai public holidays moved.
    policy = ReminderPolicy.from_config(Config(overdue_until_fiscal_year_end=digest_policy))
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
