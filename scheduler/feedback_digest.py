"""The 👎 digest: once a working day, the committee groups hear which answers staff found unhelpful.

A 👎 under an answer is a sign that an article needs work; the reply to the person says the KM
team will see it, so the team does. At the reminder hour of each working day, every active
committee group gets one push listing the articles that got 👎 since the previous working day
(its weekend and holidays included), most pressed first, with the reasons people gave. No 👎, no push: the group and the
channel's message allowance are not spent on "nothing to report".

Pure parts (`digest_window`, `digest_text`) are tested directly; `send_feedback_digest` goes
through the delivery pipeline (`scheduler.deliveries`), so each group gets each day's digest once.
"""

from __future__ import annotations

import logging
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from linebot.v3.messaging.models import TextMessage
from sqlalchemy import select

from bot.core.calendar import BANGKOK, format_thai_date, thai_digits, to_bangkok
from bot.core.channels import evidence_channels
from bot.core.database import Database
from bot.core.line_client import TEXT_LIMIT, LineClient
from bot.core.tables import InteractionEvent
from bot.core.text import shorten
from kb.feedback_reasons import FEEDBACK_REASONS
from kb.tables import Article
from scheduler import deliveries
from scheduler.deliveries import FEEDBACK, Parcel, Sent
from scheduler.policy import ReminderSettings, is_working_day
from scheduler.reminders import committee_groups

logger = logging.getLogger(__name__)

RETRY_KEY_NAMESPACE = uuid.UUID("7c2e9a41-5d3b-4f08-a6e2-91b4c0d35f7a")
STALE_CLAIM = timedelta(minutes=15)
MAX_ARTICLES = 10
TITLE_LIMIT = 80


@dataclass(frozen=True)
class UnhelpfulArticle:
    title: str
    presses: int
    # (reason label, presses) for the presses whose person said why, most given first.
    reasons: tuple[tuple[str, int], ...] = ()


def summarise_presses(presses: list[tuple[int, str, str | None]]) -> list[UnhelpfulArticle]:
    """(article id, title, reason code or None) per 👎 -> one line per article, most pressed first."""
    titles: dict[int, str] = {}
    counts: Counter[int] = Counter()
    reasons: dict[int, Counter[str]] = defaultdict(Counter)
    for article_id, title, reason in presses:
        titles[article_id] = title
        counts[article_id] += 1
        if reason in FEEDBACK_REASONS:
            reasons[article_id][FEEDBACK_REASONS[reason]] += 1
    return [
        UnhelpfulArticle(titles[article_id], presses, tuple(sorted(reasons[article_id].items(), key=lambda item: (-item[1], item[0]))))
        for article_id, presses in sorted(counts.items(), key=lambda item: (-item[1], titles[item[0]]))
    ]


def digest_window(today: date, settings: ReminderSettings) -> tuple[date, date] | None:
    """The days (first, last) that today's digest covers, or None when today is not a working day.

    From the day after the previous working day up to yesterday: Monday's digest covers Friday,
    Saturday and Sunday; a digest is never sent on a day off, so no day is covered twice.
    """
    if not is_working_day(today, settings):
        return None
    previous = today - timedelta(days=1)
    # Bounded: a settings object always leaves at least one working day in a week.
    for _ in range(60):
        if is_working_day(previous, settings):
            break
        previous -= timedelta(days=1)
    return previous, today - timedelta(days=1)


def digest_text(first: date, last: date, articles: list[UnhelpfulArticle], base_url: str | None) -> str:
    """The digest's text, in Thai, within LINE's text limit."""
    period = format_thai_date(last) if first == last else f"{format_thai_date(first)} – {format_thai_date(last)}"
    total = sum(article.presses for article in articles)
    lines = [f"👎 สรุปคำตอบที่ยังไม่ตรงใจผู้ถาม ({period})", f"มีผู้กด 👎 รวม {thai_digits(total)} ครั้ง ในเรื่องต่อไปนี้ค่ะ", ""]
    for number, article in enumerate(articles[:MAX_ARTICLES], start=1):
        why = "".join(f", {label} {thai_digits(count)}" for label, count in article.reasons)
        lines.append(f"{thai_digits(number)}. {shorten(article.title, TITLE_LIMIT)} ({thai_digits(article.presses)} ครั้ง{why})")
    if len(articles) > MAX_ARTICLES:
        lines.append(f"และอีก {thai_digits(len(articles) - MAX_ARTICLES)} เรื่อง")
    lines.append("")
    where = f" ที่ {base_url.rstrip('/')}/admin/kb" if base_url else " ในหน้าผู้ดูแลระบบ"
    lines.append(f"รบกวนคณะทำงาน KM ช่วยทบทวนเนื้อหาเรื่องเหล่านี้{where} นะคะ 🙏")
    return shorten("\n".join(lines), TEXT_LIMIT, squeeze=False)


def send_feedback_digest(
    database: Database,
    line_client: LineClient,
    now: datetime,
    settings: ReminderSettings,
    *,
    declared_channels: tuple[str, ...] = (),
    base_url: str | None = None,
) -> list[str]:
    """Push today's 👎 digest to each committee group not yet given it; the groups pushed to."""
    moment = to_bangkok(now)
    window = digest_window(moment.date(), settings)
    if window is None or moment.time() < time(settings.hour):
        return []
    first, last = window
    start = datetime.combine(first, time.min, tzinfo=BANGKOK)
    end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=BANGKOK)
    with database.session() as session:
        articles = summarise_presses([
            (article_id, title, (detail or {}).get("reason"))
            for article_id, title, detail in session.execute(
                select(Article.id, Article.title, InteractionEvent.detail)
                .join(InteractionEvent, InteractionEvent.article_id == Article.id)
                .where(
                    InteractionEvent.kind == "feedback",
                    InteractionEvent.value == 0,
                    InteractionEvent.occurred_at >= start,
                    InteractionEvent.occurred_at < end,
                    InteractionEvent.channel.in_(evidence_channels(declared_channels)),
                )
            )
        ])
        groups = [(group.id, group.line_group_id, group.kind, group.member_count) for group in committee_groups(session)]
    if not articles:
        return []
    messages = [TextMessage(text=digest_text(first, last, articles, base_url))]
    key = f"feedback:{moment.date().isoformat()}"

    def event(sent: Sent) -> InteractionEvent:
        return InteractionEvent(
            kind="feedback_digest", occurred_at=sent.at, channel="push", group_id=sent.parcel.group_id,
            recipients=sent.member_count, value=sum(article.presses for article in articles),
        )

    pushed = []
    for group_id, line_group_id, kind, last_known in groups:
        parcel = Parcel(
            purpose=FEEDBACK, key=key, recipient=line_group_id,
            retry_key=deliveries.retry_key(RETRY_KEY_NAMESPACE, f"{key}|{line_group_id}"),
            group_id=group_id, group_kind=kind, last_known_members=last_known,
        )
        outcome = deliveries.deliver(database, line_client, parcel, messages, moment,
                                     stale_after=STALE_CLAIM, event=event, what="👎 digest")
        if outcome.status == "sent":
            pushed.append(line_group_id)
    return pushed
