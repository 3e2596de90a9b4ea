"""Article page views for the reach log: who opened the page, and whether it counts.

`/kb/<id>` asks `view_channel` what kind of visit it is and `record_article_view` logs it.
Only a valid read-more token from LINE (`bot.core.read_token`) names a reader, and then the
view is logged with channel `line` once per person, article and Bangkok day: reloading the
page, or opening the link again, adds nothing. Every other visit (a robot, the signed-in
secretary, a preview, the simulator's link, anyone without a valid token) is logged under its
own channel, so the report can show it, and never enters the evidence figures.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import channels
from bot.core.calendar import BANGKOK, now, to_bangkok
from bot.core.read_token import verify_read_token
from bot.core.tables import InteractionEvent, User

# Robots that fetch pages: link checkers, link-preview fetchers (LINE's among them), search
# engines, command-line and library clients. Their fetches are `crawler`, never reading.
ROBOT_AGENT = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|facebookexternalhit|line-poker|linkcheck|link-check|checklink|libwww|"
    r"check_http|monitor|wget|curl|python-|httpx|aiohttp|go-http-client|java/|okhttp|headless|"
    r"lighthouse|scrapy|node-fetch|axios|postman",
    re.IGNORECASE,
)


def view_channel(
    session: Session,
    article_id: int,
    *,
    method: str,
    user_agent: str,
    signed_in_admin: bool,
    origin: str,
    token: str | None,
    key: bytes | None,
) -> tuple[str, int | None]:
    """The channel of one page visit and the reader's row id when a valid token names one."""
    if method.upper() == "HEAD" or not user_agent.strip() or ROBOT_AGENT.search(user_agent):
        return channels.CRAWLER, None
    if signed_in_admin:
        return channels.ADMIN_SIMULATOR, None
    if origin in ("preview", "admin"):
        return channels.PREVIEW, None
    if origin == "web":
        return channels.WEB_SIMULATOR, None
    reader = verify_read_token(key, token, article_id)
    if reader is None or session.get(User, reader.user_row_id) is None:
        return channels.ANONYMOUS, None
    return channels.LINE_LINK, reader.user_row_id


def _day_bounds(moment: datetime) -> tuple[datetime, datetime]:
    start = datetime.combine(to_bangkok(moment).date(), time.min, tzinfo=BANGKOK)
    return start, start + timedelta(days=1)


def record_article_view(session: Session, article_id: int, channel: str, reader: int | None, *,
                        from_line: bool, moment: datetime | None = None) -> bool:
    """Log a page view (and a link click when it came from LINE); False when the reader's view
    of this article was already counted this Bangkok day, and nothing was logged."""
    moment = moment or now()
    if reader is not None:
        start, end = _day_bounds(moment)
        counted = session.scalar(
            select(InteractionEvent.id).where(
                InteractionEvent.kind == "article_view",
                InteractionEvent.channel == channel,
                InteractionEvent.user_id == reader,
                InteractionEvent.article_id == article_id,
                InteractionEvent.occurred_at >= start,
                InteractionEvent.occurred_at < end,
            ).limit(1)
        )
        if counted is not None:
            return False
    if from_line:
        session.add(InteractionEvent(kind="link_click", occurred_at=moment, channel=channel, user_id=reader,
                                     article_id=article_id))
    session.add(InteractionEvent(kind="article_view", occurred_at=moment, channel=channel, user_id=reader,
                                 article_id=article_id))
    return True
