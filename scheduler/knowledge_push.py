""""ความรู้ประจำสัปดาห์": one article of the knowledge store pushed to every staff group, weekly.

`push_weekly_knowledge(database, line_client, now)` is safe to call as often as a clock likes:

1. The week is the ISO week in Bangkok ("2024-W10"). One article per week for every group: the
   configured `article_id`, else the article the week's earlier pushes used, else the published
   article pushed least recently (never-pushed first), so the store rotates.
2. Each (week, group) is claimed by inserting a row in `knowledge_push_deliveries` (unique on
   both), so two clocks cannot both push it; a row in "failed" (or "sending" left behind by a
   crash) is claimed again later.
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
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from bot.core.calendar import to_bangkok
from bot.core.database import Database, insert_ignoring_duplicates
from bot.core.line_client import LineClient
from bot.core.tables import ChatGroup, InteractionEvent
from kb.tables import Article, Passage
from scheduler.deliveries import (
    Claim,
    mark_claim,
    member_count_now,
    push_failure_reason,
)
from scheduler.tables import KnowledgePushDelivery

logger = logging.getLogger(__name__)

RETRY_KEY_NAMESPACE = uuid.UUID("3b0f6d1e-2c4a-5e8b-9f71-0d2a6c8e4b15")
# A claim older than this was left by a process that died mid-push; the retry key makes a
# second attempt safe, so it is taken over.
STALE_CLAIM = timedelta(minutes=15)
EXCERPT_LENGTH = 350
TEXT_LIMIT = 5000
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


def retry_key_for(week: str, line_group_id: str) -> str:
    return str(uuid.uuid5(RETRY_KEY_NAMESPACE, f"knowledge-push|{week}|{line_group_id}"))


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
    for group_id, line_group_id, kind, last_known in groups:
        claim = _claim(database, week, group_id, report.article_id, moment)
        if claim is None:
            report.skipped.append(line_group_id)
            continue
        try:
            delivery = line_client.push(line_group_id, messages, retry_key=retry_key_for(week, line_group_id))
        except Exception as error:  # a failure leaves the week's push retryable on the next call
            reason = push_failure_reason(error, "weekly knowledge push")
            mark_claim(database, KnowledgePushDelivery, claim, state="failed", error=reason)
            report.failed.append(line_group_id)
            continue
        recipients = member_count_now(line_client, line_group_id, kind)
        source = "line"
        if recipients is None:
            recipients, source = last_known, "last_known" if last_known is not None else "unknown"
        with database.session() as session:
            changed = session.execute(
                update(KnowledgePushDelivery)
                .where(KnowledgePushDelivery.id == claim.row_id, KnowledgePushDelivery.attempts == claim.attempts)
                .values(state="sent", sent_at=moment, line_request_id=delivery.request_id,
                        recipients_count=recipients, member_count_source=source, error=None)
            )
            if changed.rowcount != 1:
                # Another clock took the row over meanwhile and records the push itself.
                continue
            if source == "line":
                session.execute(
                    update(ChatGroup).where(ChatGroup.id == group_id).values(member_count=recipients, member_count_at=moment)
                )
            session.add(InteractionEvent(
                kind="knowledge_push",
                occurred_at=moment,
                channel="group",
                group_id=group_id,
                article_id=report.article_id,
                recipients=recipients,
                detail={"week": week, "member_count_source": source, "already_delivered": delivery.already_delivered},
            ))
        report.sent.append(line_group_id)
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
        select(KnowledgePushDelivery.article_id)
        .where(KnowledgePushDelivery.week == week, KnowledgePushDelivery.article_id.is_not(None))
        .order_by(KnowledgePushDelivery.id)
        .limit(1)
    )
    if this_week is not None:
        article = session.get(Article, this_week)
        if article is not None and article.status == "published":
            return article
    last_pushed = (
        select(KnowledgePushDelivery.article_id, func.max(KnowledgePushDelivery.sent_at).label("last_pushed_at"))
        .where(KnowledgePushDelivery.state == "sent")
        .group_by(KnowledgePushDelivery.article_id)
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
    excerpt = " ".join((first_passage or article.body or "").split())
    if len(excerpt) > EXCERPT_LENGTH:
        excerpt = excerpt[: EXCERPT_LENGTH - 1].rstrip() + "…"
    lines = ["📚 ความรู้ประจำสัปดาห์ค่ะ", "", f"เรื่อง: {article.title}", "", excerpt]
    if base_url:
        lines += ["", f"อ่านต่อ: {base_url.rstrip('/')}/kb/{article.id}?from=line"]
    lines += ["", "มีคำถามเพิ่มเติม พิมพ์ ? ตามด้วยคำถามในกลุ่มนี้ได้เลยนะคะ 😊"]
    return [TextMessage(text="\n".join(lines)[:TEXT_LIMIT])]


def _claim(database: Database, week: str, group_id: int, article_id: int | None, moment: datetime) -> Claim | None:
    """Take (week, group) for this process; None when it was sent or another process holds it."""
    with database.session() as session:
        inserted = _insert_claim(
            session,
            {"week": week, "group_id": group_id, "article_id": article_id, "state": "sending",
             "claimed_at": moment, "attempts": 1},
        )
        row = session.scalars(
            select(KnowledgePushDelivery).where(KnowledgePushDelivery.week == week, KnowledgePushDelivery.group_id == group_id)
        ).one()
        row_id, attempts = row.id, row.attempts
        if inserted:
            return Claim(row_id, attempts)
        retryable = or_(
            KnowledgePushDelivery.state == "failed",
            (KnowledgePushDelivery.state == "sending") & (KnowledgePushDelivery.claimed_at < moment - STALE_CLAIM),
        )
        taken = session.execute(
            update(KnowledgePushDelivery)
            .where(KnowledgePushDelivery.id == row_id, KnowledgePushDelivery.attempts == attempts, retryable)
            .values(state="sending", claimed_at=moment, attempts=attempts + 1, article_id=article_id)
            .execution_options(synchronize_session=False)
        )
        return Claim(row_id, attempts + 1) if taken.rowcount == 1 else None


def _insert_claim(session: Session, values: dict[str, object]) -> bool:
    """Insert-or-ignore on the (week, group) key; True when this call inserted the row."""
    return insert_ignoring_duplicates(session, KnowledgePushDelivery, values, unique_columns=["week", "group_id"]) is not None
