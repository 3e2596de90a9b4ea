"""People and groups the bot knows: finding or adding them, their roles, one-time registration
codes, and forgetting a person (PDPA).

Registration codes: how a secretary or committee member gets their role in LINE.

`kmbot users invite ROLE` makes a code; the person sends it to the bot, which grants the role.
Only a hash of the code is stored, so a copy of the database cannot be used to claim a role.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Mapping, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.calendar import now
from bot.core.database import Database, insert_ignoring_duplicates, upsert_statement
from bot.core.tables import ChatGroup, InteractionEvent, RegistrationCode, User

if TYPE_CHECKING:
    from bot.core.line_client import LineClient

RowType = TypeVar("RowType", User, ChatGroup)

ROLE_NAMES = {"staff": "บุคลากร", "secretary": "เลขานุการคณะทำงาน KM", "committee": "กรรมการ KM",
              "experts": "กลุ่มผู้รู้"}
"""A role as people read it, in chat replies and on the admin pages (``experts`` is a group's
role only: the group that gets the questions the bot could not answer)."""

# A prefix no LINE id has (LINE user ids start with "U"), so simulator people never mix with real ones.
SIMULATOR_USER_PREFIX = "web-"


def masked_id(line_id: str | None) -> str:
    """Enough of a LINE id to tell people apart on a page or a terminal, not enough to copy it
    elsewhere: raw LINE ids are personal data."""
    if not line_id:
        return "(ลบข้อมูลตัวตนแล้ว)"
    if line_id.startswith(SIMULATOR_USER_PREFIX):
        return "ผู้ทดลองผ่านหน้าเว็บ"
    return f"{line_id[:5]}…{line_id[-4:]}" if len(line_id) > 12 else line_id


DEFAULT_INVITE_DAYS = 7
# No 0/O, 1/I/L: the code is read off a screen or a printout and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_PREFIX = "KM"
CODE_LENGTH = 8
# What a message that is nothing but a code looks like ("KM-7GQ2-XK4P", any case and spacing).
CODE_PATTERN = re.compile(r"KM[\s\-]*[A-Z0-9]{4}[\s\-]*[A-Z0-9]{4}", re.IGNORECASE)


@dataclass(frozen=True)
class Invitation:
    code: str
    role: str
    expires_at: datetime


def canonical_code(text: str) -> str:
    """"km-7gq2 xk4p" -> "KM7GQ2XK4P": case, spaces and dashes do not matter when typing it."""
    return "".join(character for character in text.upper() if character.isascii() and character.isalnum())


def hash_code(code: str) -> str:
    """The stored form of a code: its canonical spelling, hashed."""
    return hashlib.sha256(canonical_code(code).encode("ascii")).hexdigest()


def looks_like_code(text: str) -> bool:
    return CODE_PATTERN.fullmatch(text.strip()) is not None


def new_code() -> str:
    body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{CODE_PREFIX}-{body[:4]}-{body[4:]}"


def create_invitation(session: Session, role: str, *, days: int = DEFAULT_INVITE_DAYS, at: datetime | None = None) -> Invitation:
    """A new one-time code for `role`; only its hash is stored."""
    created_at = at or now()
    code = new_code()
    expires_at = created_at + timedelta(days=days)
    session.add(RegistrationCode(code_hash=hash_code(code), role=role, created_at=created_at, expires_at=expires_at))
    session.flush()
    return Invitation(code, role, expires_at)


def redeem_code(session: Session, code: str, user_id: int, at: datetime) -> RegistrationCode | None:
    """Use a code for `user_id`: the code row when it was valid (now used), else None.

    The update is conditional on the code being unused and unexpired, so two people sending
    the same code at once cannot both get the role.
    """
    code_hash = hash_code(code)
    claimed = session.execute(
        update(RegistrationCode)
        .where(
            RegistrationCode.code_hash == code_hash,
            RegistrationCode.used_at.is_(None),
            RegistrationCode.expires_at > at,
        )
        .values(used_at=at, used_by_user_id=user_id)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return None
    return session.scalars(select(RegistrationCode).where(RegistrationCode.code_hash == code_hash)).one()


# --- users and groups ------------------------------------------------------------------------


def ensure_user(session: Session, line_user_id: str, seen_at: datetime) -> User:
    """The sender's row, added the first time they appear and marked seen now: one statement."""
    return _upsert(session, User, "line_user_id", line_user_id,
                   {"first_seen_at": seen_at, "last_seen_at": seen_at}, {"last_seen_at": seen_at})


def ensure_group(session: Session, line_group_id: str, kind: str, seen_at: datetime) -> ChatGroup:
    # Setting the key to itself changes nothing, but makes RETURNING give the existing row too.
    return _upsert(session, ChatGroup, "line_group_id", line_group_id, {"kind": kind, "joined_at": seen_at},
                   {"line_group_id": line_group_id})


def _upsert(session: Session, model: type[RowType], key_column: str, key: str, values: dict[str, Any],
            changes: dict[str, Any]) -> RowType:
    """The row whose unique `key_column` is `key`, inserted with `values` or updated with `changes`.

    One INSERT … ON CONFLICT DO UPDATE … RETURNING: two workers meeting a newcomer at once both
    succeed, and someone seen before costs one round trip, not a look-up and an update."""
    statement = (
        upsert_statement(session, model)
        .values({key_column: key, **values})
        .on_conflict_do_update(index_elements=[key_column], set_=changes)
        .returning(model)
    )
    return session.scalars(statement, execution_options={"populate_existing": True}).one()


# --- forgetting a person (PDPA) -------------------------------------------------------------


def forget_user(session: Session, user: User, at: datetime) -> int:
    """Remove what identifies a person and keep the anonymous counts; returns comments removed.

    The row stays (its id keeps the person counted once in past reports); the LINE id goes,
    the role falls back to staff, survey comments are dropped from their events, and the
    registration codes they used no longer point at them. What they wrote into the knowledge
    store (tips, evidence notes) is the kb layer's to remove: `kb.forget.forget_contributions`.
    """
    user.line_user_id = None
    user.display_name = None
    user.display_name_at = None
    user.role = "staff"
    user.following = False
    user.forgotten_at = at
    removed = 0
    events = session.scalars(
        select(InteractionEvent).where(InteractionEvent.user_id == user.id, InteractionEvent.detail.is_not(None))
    )
    for event in events:
        if event.detail and "comment" in event.detail:
            event.detail = {key: value for key, value in event.detail.items() if key != "comment"}
            removed += 1
    session.execute(
        update(RegistrationCode).where(RegistrationCode.used_by_user_id == user.id).values(used_by_user_id=None)
    )
    return removed


# --- names from LINE, for the secretary's eyes ------------------------------------------------

# A display name older than this is asked for again when the secretary looks at the person.
NAME_FRESH_FOR = timedelta(days=1)
# At most this many LINE look-ups per page view: the page must come back in about a second.
MAX_NAME_LOOKUPS = 30
# Per database (an app has one): LINE group id -> when its name was last asked.
_GROUP_NAMES_ASKED: "weakref.WeakKeyDictionary[Database, dict[str, datetime]]" = weakref.WeakKeyDictionary()
_GROUP_NAMES_ASKED_LOCK = threading.Lock()


@dataclass(frozen=True)
class NameLookups:
    """Whom to ask LINE about: (user row id, LINE user id, a LINE group they wrote in or None),
    and (group row id, LINE group id)."""

    users: tuple[tuple[int, str, str | None], ...]
    groups: tuple[tuple[int, str], ...]


def names_to_look_up(session: Session, user_ids: list[int], group_ids: list[int], at: datetime,
                     limit: int = MAX_NAME_LOOKUPS, fresh_for: timedelta = NAME_FRESH_FOR,
                     asked: Mapping[str, datetime] | None = None) -> NameLookups:
    """The shown people and groups (those the bot is in) whose name is missing or stale."""
    stale_before = at - fresh_for
    users = session.scalars(
        select(User).where(User.id.in_(user_ids), User.line_user_id.like("U%"))
        .where((User.display_name_at.is_(None)) | (User.display_name_at < stale_before))
        .limit(limit)
    ).all()
    wanted_users = []
    for user in users:
        group = session.scalars(
            select(ChatGroup.line_group_id).join(InteractionEvent, InteractionEvent.group_id == ChatGroup.id)
            .where(InteractionEvent.user_id == user.id, ChatGroup.kind == "group", ChatGroup.active.is_(True))
            .order_by(InteractionEvent.occurred_at.desc()).limit(1)
        ).first()
        wanted_users.append((user.id, str(user.line_user_id), group))
    groups = session.execute(
        select(ChatGroup.id, ChatGroup.line_group_id)
        .where(ChatGroup.id.in_(group_ids), ChatGroup.kind == "group", ChatGroup.active.is_(True))
    ).all()
    # When each group's name was last asked is kept in this process, not in a column: a
    # restart or another worker only asks once more.
    never = datetime.min.replace(tzinfo=at.tzinfo)
    stale = [(row_id, line_id) for row_id, line_id in groups if (asked or {}).get(line_id, never) < stale_before]
    return NameLookups(tuple(wanted_users), tuple(stale[: max(0, limit - len(wanted_users))]))


def refresh_names(database: Database, line_client: "LineClient", user_ids: list[int], group_ids: list[int], *,
                  limit: int = MAX_NAME_LOOKUPS, fresh_for: timedelta = NAME_FRESH_FOR) -> None:
    """Ask LINE for the names of the people and groups on the secretary's page and keep them.

    Three steps so that no LINE call happens inside a database transaction: read whom to ask,
    ask LINE with no session open, then write the answers in a short unit of work.
    """
    at = now()
    with _GROUP_NAMES_ASKED_LOCK:
        asked = dict(_GROUP_NAMES_ASKED.setdefault(database, {}))
    with database.session() as session:
        lookups = names_to_look_up(session, user_ids, group_ids, at, limit, fresh_for, asked)
    user_names = {row_id: line_client.display_name(line_id, group) for row_id, line_id, group in lookups.users}
    group_names = {row_id: line_client.group_name(line_id) for row_id, line_id in lookups.groups}
    with _GROUP_NAMES_ASKED_LOCK:
        _GROUP_NAMES_ASKED.setdefault(database, {}).update({line_id: at for _row_id, line_id in lookups.groups})
    with database.session() as session:
        for row_id, name in user_names.items():
            user = session.get(User, row_id)
            if user is not None and user.line_user_id is not None:  # not forgotten meanwhile
                user.display_name = name[:200] if name else user.display_name
                user.display_name_at = at
        for row_id, name in group_names.items():
            group = session.get(ChatGroup, row_id)
            if group is not None and name:
                group.name = name[:200]

