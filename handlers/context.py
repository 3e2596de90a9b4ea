"""What a handler gets: the event's source, a database session, the LINE client and the config."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

from linebot.v3.webhooks import Event, GroupSource, RoomSource, UserSource
from sqlalchemy.orm import Session

from bot.core.calendar import now
from bot.core.config import Config
from bot.core.database import Database
from bot.core.line_client import LineClient
from bot.core.people import ensure_group, ensure_user
from bot.core.tables import ChatGroup, InteractionEvent, User
from kb.search_service import KnowledgeSearch


@dataclass(frozen=True)
class ChatSource:
    """Who sent an event and where: a 1:1 chat (`user`), a `group`, a `room`, or the `web` simulator."""

    kind: str
    user_id: str | None = None
    chat_id: str | None = None

    @property
    def is_one_to_one(self) -> bool:
        return self.kind in ("user", "web")

    @property
    def channel(self) -> str:
        return {"user": "1:1", "group": "group", "room": "group"}.get(self.kind, "web")

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
    # The database the session belongs to, for work done after the commit in a transaction of its own.
    database: Database | None = None
    # Work that must wait until the event's transaction is committed, such as a call to LINE:
    # nothing slow may run while a transaction (and on SQLite the writers' turn) is held.
    after_commit: list[Callable[[], None]] = field(default_factory=list, repr=False)
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

    def article_url(self, article_id: int | None) -> str | None:
        """The read-more link of an article; the source is marked so the click counts for the reach log."""
        if article_id is None or not self.base_url:
            return None
        origin = "web" if self.source.kind == "web" else "line"
        return f"{self.base_url.rstrip('/')}/kb/{article_id}?from={origin}"

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
        event = InteractionEvent(
            kind=kind,
            occurred_at=self.received_at,
            channel=self.source.channel,
            user_id=user.id if user is not None else None,
            group_id=group.id if group is not None else None,
            webhook_event_id=self.webhook_event_id,
            **values,
        )
        self.session.add(event)
        return event
