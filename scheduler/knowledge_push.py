""""ความรู้ประจำสัปดาห์": one article of the knowledge store pushed to every staff group, weekly.

`push_weekly_knowledge(database, line_client, now)` is safe to call as often as a clock likes:

1. The week is the ISO week in Bangkok ("2024-W10"). One article per week for every group: the
   configured `article_id`, else the article the week's earlier pushes used, else the published
   article pushed least recently (never-pushed first), so the store rotates.
2. Each (week, group) is one parcel of the delivery pipeline (`scheduler.deliveries`): claimed
   by inserting its row in `deliveries` (key "knowledge:2024-W10", unique with the group), so two
   clocks cannot both push it; a row in "failed" (or "sending" left behind by a crash) is
   claimed again later.
3. The push carries a deterministic `X-Line-Retry-Key` (uuid5 of week and group), so a retried
   or re-claimed push is delivered by LINE at most once.
4. After the push, the group's member count is asked from LINE and recorded as the event's
   recipients; when LINE cannot say, the last known count is used and the event says so
   (`detail.member_count_source = "last_known"`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from linebot.v3.messaging.models import Message, TextMessage
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.calendar import to_bangkok
from bot.core.database import Database
from bot.core.line_client import TEXT_LIMIT, LineClient
from bot.core.text import shorten
from bot.core.tables import ChatGroup, InteractionEvent
from kb.tables import Article, Passage
from scheduler import deliveries
from scheduler.deliveries import KNOWLEDGE, Parcel, Sent
from scheduler.tables import Delivery

logger = logging.getLogger(__name__)

RETRY_KEY_NAMESPACE = uuid.UUID("3b0f6d1e-2c4a-5e8b-9f71-0d2a6c8e4b15")
# A claim older than this was left by a process that died mid-push; the retry key makes a
# second attempt safe, so it is taken over.
STALE_CLAIM = timedelta(minutes=15)
EXCERPT_LENGTH = 350
TITLE_LIMIT = 200
# Articles generated from the imported KM plan describe the plan's activities; they are
# answered on request but are not "knowledge of the week".
EXCLUDED_CATEGORIES = ("แผนการจัดการความรู้",)


@dataclass
class PushReport:
    week: str
    article_id: int | None = None
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


WEEKDAYS = {
    "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6,
    "จันทร์": 0, "อังคาร": 1, "พุธ": 2, "พฤหัสบดี": 3, "พฤหัส": 3, "ศุกร์": 4, "เสาร์": 5, "อาทิตย์": 6,
}


@dataclass(frozen=True)
class WeeklySlot:
    """When in the week the knowledge push goes out (Bangkok time)."""

    weekday: int
    hour: int
    minute: int


def parse_weekly_slot(text: str) -> WeeklySlot:
    """ "mon 09:30" (or "จันทร์ 09:30") -> WeeklySlot(0, 9, 30); a clear ValueError otherwise."""
    parts = text.strip().lower().split()
    if len(parts) != 2 or parts[0] not in WEEKDAYS:
        raise ValueError(f"KMBOT_KNOWLEDGE_PUSH should look like 'mon 09:30', not {text!r}")
    hour_text, _, minute_text = parts[1].partition(":")
    try:
        hour, minute = int(hour_text), int(minute_text or 0)
    except ValueError:
        raise ValueError(f"KMBOT_KNOWLEDGE_PUSH has an unreadable time: {text!r}") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"KMBOT_KNOWLEDGE_PUSH has an impossible time: {text!r}")
    return WeeklySlot(WEEKDAYS[parts[0]], hour, minute)


def weekly_slot_reached(moment: datetime, slot: WeeklySlot) -> bool:
    """True from the slot until the end of its ISO week, so a clock that was down catches up."""
    local = to_bangkok(moment)
    return (local.weekday(), local.hour, local.minute) >= (slot.weekday, slot.hour, slot.minute)


def week_key(moment: datetime) -> str:
    """ISO year and week of the moment in Bangkok: "2024-W10"."""
    year, week, _ = to_bangkok(moment).isocalendar()
    return f"{year}-W{week:02d}"


def delivery_key(week: str) -> str:
    """The week's key in `deliveries`: "knowledge:2024-W10"."""
    return f"knowledge:{week}"


def retry_key_for(week: str, line_group_id: str) -> str:
    return deliveries.retry_key(RETRY_KEY_NAMESPACE, f"knowledge-push|{week}|{line_group_id}")


def push_weekly_knowledge(
    database: Database,
    line_client: LineClient,
    now: datetime,
    *,
    article_id: int | None = None,
    base_url: str | None = None,
) -> PushReport:
    """Push this week's article to every active staff group that has not had it yet."""
    moment = to_bangkok(now)
    week = week_key(moment)
    report = PushReport(week)
    with database.session() as session:
        article = choose_article(session, week, article_id)
        if article is None:
            logger.info("weekly knowledge push skipped: no published article")
            return report
        report.article_id = article.id
        messages = knowledge_messages(session, article, base_url)
        groups = [
            (group.id, group.line_group_id, group.kind, group.member_count)
            for group in session.scalars(
                select(ChatGroup).where(ChatGroup.active.is_(True), ChatGroup.role == "staff").order_by(ChatGroup.id)
            )
        ]

    def event(sent: Sent) -> InteractionEvent:
        return InteractionEvent(
            kind="knowledge_push",
            occurred_at=sent.at,
            channel="group",
            group_id=sent.parcel.group_id,
            article_id=sent.parcel.article_id,
            recipients=sent.member_count,
            detail={"week": week, "member_count_source": sent.member_count_source,
                    "already_delivered": sent.already_delivered},
        )

    for group_id, line_group_id, kind, last_known in groups:
        parcel = Parcel(
            purpose=KNOWLEDGE,
            key=delivery_key(week),
            recipient=line_group_id,
            retry_key=retry_key_for(week, line_group_id),
            group_id=group_id,
            group_kind=kind,
            last_known_members=last_known,
            article_id=report.article_id,
        )
        outcome = deliveries.deliver(
            database, line_client, parcel, messages, moment,
            stale_after=STALE_CLAIM, event=event, what="weekly knowledge push",
        )
        if outcome.status == "sent":
            report.sent.append(line_group_id)
        elif outcome.status in ("failed", "refused", "held"):
            report.failed.append(line_group_id)
        elif outcome.status in ("busy", "done"):
            report.skipped.append(line_group_id)
    return report


def choose_article(session: Session, week: str, wanted: int | None) -> Article | None:
    """The configured article, else the week's article already chosen, else the least recently pushed."""
    published = (Article.status == "published") & Article.category.not_in(EXCLUDED_CATEGORIES)
    if wanted is not None:
        article = session.get(Article, wanted)
        if article is not None and article.status == "published":
            return article
        logger.warning("configured weekly article is missing or unpublished; rotating instead")
    this_week = session.scalar(
        select(Delivery.article_id)
        .where(Delivery.delivery_key == delivery_key(week), Delivery.article_id.is_not(None))
        .order_by(Delivery.id)
        .limit(1)
    )
    if this_week is not None:
        article = session.get(Article, this_week)
        if article is not None and article.status == "published":
            return article
    last_pushed = (
        select(Delivery.article_id, func.max(Delivery.sent_at).label("last_pushed_at"))
        .where(Delivery.purpose == KNOWLEDGE, Delivery.state == "sent")
        .group_by(Delivery.article_id)
        .subquery()
    )
    return session.scalars(
        select(Article)
        .outerjoin(last_pushed, last_pushed.c.article_id == Article.id)
        .where(published)
        # Never pushed first (NULL sorts first as the smaller value on both databases here).
        .order_by(last_pushed.c.last_pushed_at.is_not(None), last_pushed.c.last_pushed_at, Article.id)
        .limit(1)
    ).first()


def knowledge_messages(session: Session, article: Article, base_url: str | None) -> list[Message]:
    first_passage = session.scalars(
        select(Passage.text).where(Passage.article_id == article.id).order_by(Passage.position).limit(1)
    ).first()
    excerpt = shorten(first_passage or article.body or "", EXCERPT_LENGTH)
    # The title is shortened, not the whole text: cutting the end would cut the read-more link.
    lines = ["📚 ความรู้ประจำสัปดาห์ค่ะ", "", f"เรื่อง: {shorten(article.title, TITLE_LIMIT)}", "", excerpt]
    if base_url:
        lines += ["", f"อ่านต่อ: {base_url.rstrip('/')}/kb/{article.id}?from=line"]
    lines += ["", "มีคำถามเพิ่มเติม พิมพ์ ? ตามด้วยคำถามในกลุ่มนี้ได้เลยนะคะ 😊"]
    return [TextMessage(text=shorten("\n".join(lines), TEXT_LIMIT, squeeze=False))]
