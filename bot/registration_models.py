"""One-time registration codes: how a secretary or committee member gets their role in LINE.

`kmbot users invite ROLE` makes a code; the person sends it to the bot, which grants the role.
Only a hash of the code is stored, so a copy of the database cannot be used to claim a role.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from bot.database import Base
from scheduler.clock import now


class RegistrationCode(Base):
    __tablename__ = "registration_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


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
