"""Signing in to /admin: one shared password, a server-side session, and a throttle on guessing.

Sessions. The cookie holds only a random token; the `admin_sessions` table holds its hash, the
password it was opened with (as a keyed hash) and a fixed expiry 12 hours after sign-in that
using the session does not extend. Signing out deletes every session, so a copied cookie stops
working everywhere; a new KMBOT_ADMIN_PASSWORD ends them too.

Guessing. Failed sign-ins are counted in the `sign_in_throttle` table, shared by every process:
per client address and for all addresses together, each with a few free tries and then an
exponentially growing wait (capped). A browser that has signed in before carries a signed
device cookie and is counted on its own: strangers' failures, from the office's shared NAT
address or from everywhere, never hold the secretary's own browser back. The table is pruned on
every failure and never holds more than `MAX_BUCKETS` rows. Behind a reverse proxy, set
KMBOT_TRUSTED_PROXIES so the client address is the real one.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import urlsplit

from flask import (
    Response,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as WerkzeugResponse

from bot.core.calendar import now, to_bangkok
from bot.core.database import insert_ignoring_duplicates
from bot.core.tables import AdminSession, SignInThrottleBucket
from bot.web.admin import NAVIGATION, blueprint
from bot.web.extensions import get_config, get_database
from bot.web.security import protect_forms

SESSION_KEY = "admin"
SESSION_LIFETIME = timedelta(hours=12)
MAX_SESSIONS = 50
PUBLIC_ENDPOINTS = {"admin.sign_in"}
MIN_PASSWORD_LENGTH = 10
DEVICE_COOKIE = "kmbot_device"
DEVICE_COOKIE_AGE = timedelta(days=365)

WRONG_PASSWORD = "รหัสผ่านไม่ถูกต้อง กรุณาลองอีกครั้งค่ะ"
TOO_MANY_ATTEMPTS = "ใส่รหัสผ่านผิดหลายครั้งเกินไป กรุณารอประมาณ {minutes} นาทีแล้วลองใหม่ค่ะ"
PASSWORD_TOO_SHORT = (
    "ยังเข้าสู่ระบบไม่ได้ค่ะ รหัสผ่านผู้ดูแล (KMBOT_ADMIN_PASSWORD) สั้นเกินไป ต้องยาวอย่างน้อย {length} ตัวอักษร "
    "กรุณาให้ผู้ดูแลเซิร์ฟเวอร์ตั้งรหัสใหม่ / KMBOT_ADMIN_PASSWORD must be at least {length} characters"
)


@dataclass(frozen=True)
class Backoff:
    """`free` failures cost nothing; each one after waits `first`, doubling, at most `longest`."""

    free: int
    first: timedelta
    longest: timedelta

    def wait_after(self, failures: int) -> timedelta | None:
        if failures < self.free:
            return None
        return min(self.first * (2 ** min(failures - self.free, 30)), self.longest)


# Per address: five tries, then 1, 2, 4 … minutes, never more than an hour.
PER_ADDRESS = Backoff(free=5, first=timedelta(minutes=1), longest=timedelta(hours=1))
# For all addresses together (a guesser with many addresses): twenty tries, then up to 15 minutes.
OVERALL = Backoff(free=20, first=timedelta(seconds=30), longest=timedelta(minutes=15))
# A browser that signed in before: as strict as an address, but no one else's failures count.
PER_DEVICE = PER_ADDRESS
# Counts are forgotten this long after the last failure's wait has passed.
FORGET_AFTER = timedelta(hours=1)
MAX_BUCKETS = 1000
OVERALL_BUCKET = "all"


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; hashing first makes the time independent of the lengths too."""
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest())


def password_long_enough(password: str | None) -> bool:
    return bool(password) and len(password or "") >= MIN_PASSWORD_LENGTH


@lru_cache(maxsize=4)
def _password_proof(password: str) -> str:
    """What the sessions table keeps of the password a session was opened with: stretched, so a
    copy of the table is no shortcut to the password, and a new password ends every session."""
    return hashlib.pbkdf2_hmac("sha256", password.encode(), b"kmbot-admin-session", 100_000).hex()[:64]


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- sessions ------------------------------------------------------------------------------------


def open_session(db: Session, at: datetime) -> str:
    """A new server-side session; returns the token for the cookie."""
    password = get_config().admin_password or ""
    db.execute(delete(AdminSession).where(AdminSession.expires_at <= at))
    token = secrets.token_urlsafe(32)
    db.add(AdminSession(token_hash=_token_hash(token), password_proof=_password_proof(password),
                        created_at=at, expires_at=at + SESSION_LIFETIME))
    db.flush()
    # Bounded: beyond MAX_SESSIONS the oldest go.
    surplus = db.scalars(select(AdminSession.token_hash).order_by(AdminSession.created_at.desc()).offset(MAX_SESSIONS)).all()
    if surplus:
        db.execute(delete(AdminSession).where(AdminSession.token_hash.in_(surplus)))
    return token


def end_every_session() -> None:
    with get_database().session() as db:
        db.execute(delete(AdminSession))


def is_signed_in() -> bool:
    if "kmbot_signed_in" in g:
        return bool(g.kmbot_signed_in)
    token = session.get(SESSION_KEY)
    signed_in = False
    if isinstance(token, str) and password_long_enough(get_config().admin_password):
        with get_database().session() as db:
            row = db.get(AdminSession, _token_hash(token))
            signed_in = (
                row is not None
                and to_bangkok(row.expires_at) > now()
                and hmac.compare_digest(row.password_proof, _password_proof(get_config().admin_password or ""))
            )
    g.kmbot_signed_in = signed_in
    return signed_in


# --- the throttle ----------------------------------------------------------------------------------


def _client_address() -> str:
    return (request.remote_addr or "unknown")[:60]


def _device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.config["SECRET_KEY"]), salt="kmbot-admin-device")


def _known_device() -> str | None:
    """The id in this browser's signed device cookie, set when it last signed in; None without one."""
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        device = _device_serializer().loads(value)
    except BadSignature:
        return None
    return device if isinstance(device, str) and len(device) <= 64 else None


def _buckets() -> list[tuple[str, Backoff]]:
    device = _known_device()
    if device is not None:
        return [(f"device:{device}", PER_DEVICE)]
    return [(f"address:{_client_address()}", PER_ADDRESS), (OVERALL_BUCKET, OVERALL)]


def blocked_for(db: Session, buckets: list[tuple[str, Backoff]], at: datetime) -> timedelta | None:
    """How long these buckets must still wait, or None when a try is allowed now."""
    rows = db.scalars(select(SignInThrottleBucket).where(SignInThrottleBucket.bucket.in_([name for name, _ in buckets]))).all()
    # SQLite gives the times back without their zone; they were written in Bangkok time.
    waits = [to_bangkok(row.blocked_until) - at for row in rows
             if row.blocked_until is not None and to_bangkok(row.blocked_until) > at]
    return max(waits) if waits else None


def record_failure(db: Session, buckets: list[tuple[str, Backoff]], at: datetime) -> None:
    for name, backoff in buckets:
        insert_ignoring_duplicates(db, SignInThrottleBucket, {"bucket": name, "failures": 0, "last_failure_at": at},
                                   unique_columns=["bucket"])
        row = db.scalars(select(SignInThrottleBucket).where(SignInThrottleBucket.bucket == name).with_for_update()).one()
        last = to_bangkok(row.last_failure_at)
        quiet_since = max(last, to_bangkok(row.blocked_until) if row.blocked_until is not None else last)
        if row.failures and quiet_since + FORGET_AFTER < at:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = at
        wait = backoff.wait_after(row.failures)
        row.blocked_until = at + wait if wait is not None else None
    _prune(db, at)


def _prune(db: Session, at: datetime) -> None:
    """Old buckets go; beyond MAX_BUCKETS the least recent go too, so the table stays small."""
    db.flush()
    db.execute(delete(SignInThrottleBucket).where(
        SignInThrottleBucket.last_failure_at < at - FORGET_AFTER,
        (SignInThrottleBucket.blocked_until.is_(None)) | (SignInThrottleBucket.blocked_until < at - FORGET_AFTER),
    ))
    count = db.scalar(select(func.count()).select_from(SignInThrottleBucket)) or 0
    if count > MAX_BUCKETS:
        oldest = db.scalars(
            select(SignInThrottleBucket.bucket)
            .where(SignInThrottleBucket.bucket != OVERALL_BUCKET)
            .order_by(SignInThrottleBucket.last_failure_at)
            .limit(count - MAX_BUCKETS)
        ).all()
        db.execute(delete(SignInThrottleBucket).where(SignInThrottleBucket.bucket.in_(oldest)))


def clear_failures(db: Session, buckets: list[tuple[str, Backoff]]) -> None:
    """After the right password: this address's or browser's count is cleared (not the overall one)."""
    names = [name for name, _ in buckets if name != OVERALL_BUCKET]
    db.execute(delete(SignInThrottleBucket).where(SignInThrottleBucket.bucket.in_(names)))


def _safe_next(target: str | None) -> str:
    """Only a path inside /admin, so the sign-in page cannot be used to send people elsewhere."""
    if target:
        parts = urlsplit(target)
        if (
            not parts.scheme and not parts.netloc and parts.path.startswith("/admin") and "\\" not in target
            # CR, LF and other control characters cannot go into a Location header.
            and target.isprintable() and len(target) <= 2000
        ):
            return target
    return url_for("admin.home")


@blueprint.before_request
def _require_sign_in() -> ResponseReturnValue | None:
    protect_forms()
    if request.endpoint in PUBLIC_ENDPOINTS or is_signed_in():
        return None
    return redirect(url_for("admin.sign_in", next=request.full_path.rstrip("?")))


@blueprint.after_request
def _private_pages(response: Response) -> Response:
    # Admin pages show people's data: never cached, never framed by another site.
    response.headers.setdefault("Cache-Control", "no-store")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@blueprint.context_processor
def _navigation() -> dict[str, object]:
    return {"navigation": NAVIGATION}


@blueprint.get("/")
def home() -> WerkzeugResponse:
    return redirect(url_for("admin.reach"))


@blueprint.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> ResponseReturnValue:
    next_url = _safe_next(request.values.get("next"))
    password = get_config().admin_password or ""
    if not password_long_enough(password):
        current_app.logger.error("admin sign-in disabled: KMBOT_ADMIN_PASSWORD is shorter than %d characters", MIN_PASSWORD_LENGTH)
        error = PASSWORD_TOO_SHORT.format(length=MIN_PASSWORD_LENGTH)
        return render_template("admin/sign_in.html", next_url=next_url, error=error), 503
    if request.method == "GET":
        if is_signed_in():
            return redirect(next_url)
        return render_template("admin/sign_in.html", next_url=next_url, error=None)
    buckets = _buckets()
    moment = now()
    with get_database().session() as db:
        wait = blocked_for(db, buckets, moment)
        if wait is None and not password_matches(request.form.get("password", ""), password):
            record_failure(db, buckets, moment)
            wait = timedelta(0)
    if wait is not None and wait > timedelta(0):
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        return render_template("admin/sign_in.html", next_url=next_url, error=TOO_MANY_ATTEMPTS.format(minutes=minutes)), 429
    if wait is not None:
        current_app.logger.warning("admin sign-in refused: wrong password")
        return render_template("admin/sign_in.html", next_url=next_url, error=WRONG_PASSWORD), 401
    with get_database().session() as db:
        clear_failures(db, buckets)
        token = open_session(db, moment)
    # A fresh session on sign-in, so a session planted before it is worth nothing after it.
    session.clear()
    session[SESSION_KEY] = token
    session.permanent = True
    response = redirect(next_url)
    device = _known_device() or secrets.token_urlsafe(16)
    response.set_cookie(
        DEVICE_COOKIE, _device_serializer().dumps(device), max_age=int(DEVICE_COOKIE_AGE.total_seconds()),
        path="/admin", httponly=True, samesite="Lax", secure=request.is_secure,
    )
    return response


@blueprint.post("/sign-out")
def sign_out() -> WerkzeugResponse:
    # Every session ends, on the server: a cookie copied from any browser is worthless after this.
    end_every_session()
    session.pop(SESSION_KEY, None)
    return redirect(url_for("admin.sign_in"))
