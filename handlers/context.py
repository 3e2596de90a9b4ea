"""What a handler gets: the event's source, a database session, the LINE client and the config."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Callable

from linebot.v3.webhooks import Event, GroupSource, RoomSource, UserSource
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core import channels
from bot.core.calendar import BANGKOK, now
from bot.core.config import Config
from bot.core.database import Database
from bot.core.line_client import LineClient
from bot.core.people import ensure_group, ensure_user
from bot.core.read_token import read_token_key, sign_read_token
from bot.core.tables import ChatGroup, InteractionEvent, ReceivedWebhookEvent, User
from kb.search_service import KnowledgeSearch

if TYPE_CHECKING:
    from handlers.rate_limit import RecentActivity


# LINE redelivers an event within hours; an event timestamp far from its arrival is not trusted.
MAX_EVENT_AGE = timedelta(days=7)
MAX_CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ChatSource:
    """Who sent an event and where: a 1:1 chat (`user`), a `group`, a `room`, the public `web`
    simulator or the signed-in secretary's `admin` simulator."""

    kind: str
    user_id: str | None = None
    chat_id: str | None = None

    @property
    def is_one_to_one(self) -> bool:
        return self.kind in ("user", "web", "admin")

    @property
    def is_simulated(self) -> bool:
        return self.kind in ("web", "admin")

    @property
    def channel(self) -> str:
        """The reach log's channel (`bot.core.channels`); simulators are never LINE."""
        return {
            "user": channels.LINE_ONE_TO_ONE,
            "group": channels.LINE_GROUP,
            "room": channels.LINE_GROUP,
            "admin": channels.ADMIN_SIMULATOR,
        }.get(self.kind, channels.WEB_SIMULATOR)

    @classmethod
    def of(cls, event: Event) -> "ChatSource":
        source = event.source
        if isinstance(source, GroupSource):
            return cls("group", source.user_id, source.group_id)
        if isinstance(source, RoomSource):
            return cls("room", source.user_id, source.room_id)
        if isinstance(source, UserSource):
            return cls("user", source.user_id, None)
        return cls("unknown")


# The reach log's optional columns that hold no JSON (an explicit None in a JSON column would be
# stored as JSON null, not SQL NULL).
_UNSET_COLUMNS: dict[str, Any] = {"article_id": None, "activity_id": None, "recipients": None, "value": None}


@dataclass
class HandlerContext:
    """One event's unit of work. Handlers read and write through `session`; the caller commits."""

    session: Session
    config: Config
    source: ChatSource
    line: LineClient | None = None
    search: KnowledgeSearch = field(default_factory=KnowledgeSearch)
    base_url: str | None = None
    webhook_event_id: str | None = None
    received_at: datetime = field(default_factory=now)
    # The LINE message being handled, so text kept from it can be erased if its sender unsends it.
    message_id: str | None = None
    # The database the session belongs to, for work done after the commit in a transaction of its own.
    database: Database | None = None
    # Work that must wait until the event's transaction is committed, such as a call to LINE:
    # nothing slow may run while a transaction (and on SQLite the writers' turn) is held.
    after_commit: list[Callable[[], None]] = field(default_factory=list, repr=False)
    # The LINE event's own `timestamp` (when it happened); looked up from the received event's
    # row when not given, so a redelivered event is dated by when it happened, not when it came.
    event_time: datetime | None = None
    # The sender's counts for the rate limits, read with the statement that claims the event
    # (handlers.dispatch, handlers.rate_limit): the limits need no query of their own.
    recent_activity: "RecentActivity | None" = field(default=None, repr=False)
    _user: User | None = field(default=None, init=False, repr=False)
    _group: ChatGroup | None = field(default=None, init=False, repr=False)

    @property
    def user(self) -> User | None:
        """The sender, recorded the first time they appear."""
        if self._user is None and self.source.user_id:
            self._user = ensure_user(self.session, self.source.user_id, self.received_at)
        return self._user

    @property
    def group(self) -> ChatGroup | None:
        """The group or room the event came from, recorded the first time it appears."""
        if self._group is None and self.source.chat_id:
            self._group = ensure_group(self.session, self.source.chat_id, self.source.kind, self.received_at)
        return self._group

    def run_after_commit(self) -> None:
        """Run the work queued in `after_commit`; one failing piece does not stop the others."""
        tasks, self.after_commit = self.after_commit, []
        for task in tasks:
            try:
                task()
            except Exception:  # noqa: BLE001 - the event itself is handled and committed
                logging.getLogger(__name__).exception("work after the event's commit failed")

    @property
    def occurred_at(self) -> datetime:
        """When the event happened: LINE's `timestamp`, unless it is implausible (over a week
        before it reached us, or in the future), when the time it was received stands."""
        if self.event_time is None and self.webhook_event_id:
            stamp = self.session.scalar(
                select(ReceivedWebhookEvent.event_timestamp)
                .where(ReceivedWebhookEvent.webhook_event_id == self.webhook_event_id)
            )
            if stamp:
                try:
                    self.event_time = datetime.fromtimestamp(stamp / 1000, BANGKOK)
                except (OverflowError, ValueError, OSError):  # a timestamp no calendar holds
                    self.event_time = self.received_at
        moment = self.event_time
        if moment is None or not (self.received_at - MAX_EVENT_AGE <= moment <= self.received_at + MAX_CLOCK_SKEW):
            return self.received_at
        return moment

    def article_url(self, article_id: int | None) -> str | None:
        """The read-more link of an article. From LINE it carries a signed token naming the
        recipient (`bot.core.read_token`), so the page can count one person's reading once."""
        if article_id is None or not self.base_url:
            return None
        base = f"{self.base_url.rstrip('/')}/kb/{article_id}"
        if self.source.is_simulated:
            return f"{base}?from={self.source.kind}"
        user = self.user
        key = read_token_key(self.config)
        if user is None or key is None:
            return f"{base}?from=line"
        self.session.flush()  # a person seen for the first time gets their row id
        return f"{base}?from=line&t={sign_read_token(key, user.id, article_id)}"

    def note_participants(self) -> None:
        """Record the sender and the group or room the first time they appear."""
        _ = self.user, self.group

    @property
    def user_role(self) -> str:
        user = self.user
        return user.role if user is not None else "staff"

    def record(self, kind: str, **values: Any) -> InteractionEvent:
        """Append an interaction to the reach log, in the same transaction as the action itself."""
        user = self.user
        group = self.group
        # Every plain column is given, even as None: rows of one shape go to the database as one
        # INSERT when the session flushes (a question and its answer are one statement, not two).
        event = InteractionEvent(
            kind=kind,
            occurred_at=self.occurred_at,
            channel=self.source.channel,
            user_id=user.id if user is not None else None,
            group_id=group.id if group is not None else None,
            webhook_event_id=self.webhook_event_id,
            **{**_UNSET_COLUMNS, **values},
        )
        self.session.add(event)
        return event
