"""The staff survey, pushed once per fiscal year to every active staff group.

Exactly once through the delivery pipeline (`scheduler.deliveries`): one row per year and
group (`survey:2567`), a deterministic retry key, the push logged as a `survey_push` event with
the group's member count. Running it again sends nothing twice; a group that failed is tried
again. What to send comes from the caller (the survey's wording and buttons belong to
`handlers.survey_command`).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from linebot.v3.messaging.models import Message
from sqlalchemy import select

from bot.core.database import Database
from bot.core.line_client import LineClient
from bot.core.tables import ChatGroup, InteractionEvent
from scheduler import deliveries
from scheduler.deliveries import Parcel, Sent

SURVEY = "survey"
RETRY_KEY_NAMESPACE = uuid.UUID("6f1f3c2e-8a55-4d0e-9a43-2c1c0a5e2567")
STALE_CLAIM = timedelta(minutes=10)


@dataclass
class SurveyPushReport:
    fiscal_year: int
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def push_survey(database: Database, line_client: LineClient, messages: list[Message], fiscal_year: int,
                now: datetime) -> SurveyPushReport:
    report = SurveyPushReport(fiscal_year)
    with database.session() as session:
        groups = [
            (group.id, group.line_group_id, group.kind, group.member_count)
            for group in session.scalars(
                select(ChatGroup).where(ChatGroup.active.is_(True), ChatGroup.role == "staff").order_by(ChatGroup.id)
            )
        ]

    def event(sent: Sent) -> InteractionEvent:
        return InteractionEvent(kind="survey_push", occurred_at=sent.at, channel="group", group_id=sent.parcel.group_id,
                                recipients=sent.member_count, detail={"fiscal_year": fiscal_year,
                                                                      "already_delivered": sent.already_delivered})

    for group_id, line_group_id, kind, last_known in groups:
        parcel = Parcel(
            purpose=SURVEY, key=f"survey:{fiscal_year}", recipient=line_group_id,
            retry_key=deliveries.retry_key(RETRY_KEY_NAMESPACE, f"survey|{fiscal_year}|{line_group_id}"),
            group_id=group_id, group_kind=kind, last_known_members=last_known,
        )
        outcome = deliveries.deliver(database, line_client, parcel, messages, now, stale_after=STALE_CLAIM,
                                     event=event, what="staff survey push")
        if outcome.status == "sent":
            report.sent.append(line_group_id)
        elif outcome.status in ("failed", "refused", "held"):
            report.failed.append(line_group_id)
        else:
            report.skipped.append(line_group_id)
    return report
