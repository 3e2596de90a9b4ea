"""Signing in to /admin: one shared password, a session cookie, and a limit on failed attempts.

Failed attempts are counted in memory, per process and per client address: at most
`MAX_FAILED_ATTEMPTS` in `ATTEMPT_WINDOW`, after which even the right password is refused until
the oldest failure ages out. With several worker processes an attacker gets that many tries in
each worker, which still keeps guessing slow; the counts need no table and reset on restart.
Behind a reverse proxy, set KMBOT_TRUSTED_PROXIES so the client address is the real one.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import defaultdict, deque
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from werkzeug.wrappers import Response as WerkzeugResponse

from bot.core.calendar import now
from bot.web.admin import NAVIGATION, blueprint
from bot.web.extensions import get_config
from bot.web.security import protect_forms

MAX_FAILED_ATTEMPTS = 5
ATTEMPT_WINDOW = timedelta(minutes=5)
THROTTLE_KEY = "kmbot.sign_in_throttle"
SESSION_KEY = "admin"
PUBLIC_ENDPOINTS = {"admin.sign_in"}

WRONG_PASSWORD = "รหัสผ่านไม่ถูกต้อง กรุณาลองอีกครั้งค่ะ"
TOO_MANY_ATTEMPTS = "ใส่รหัสผ่านผิดหลายครั้งเกินไป กรุณารอประมาณ {minutes} นาทีแล้วลองใหม่ค่ะ"


class SignInThrottle:
    """Failed sign-in attempts per client address within a sliding window (thread-safe)."""

    def __init__(self, max_failures: int = MAX_FAILED_ATTEMPTS, window: timedelta = ATTEMPT_WINDOW) -> None:
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[str, deque[datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, address: str, moment: datetime) -> deque[datetime]:
        failures = self._failures[address]
        while failures and failures[0] <= moment - self.window:
            failures.popleft()
        if not failures:
            del self._failures[address]
            return deque()
        return failures

    def blocked_for(self, address: str, moment: datetime) -> timedelta | None:
        """How long this address must still wait, or None when it may try now."""
        with self._lock:
            failures = self._prune(address, moment)
            if len(failures) < self.max_failures:
                return None
            return failures[0] + self.window - moment

    def record_failure(self, address: str, moment: datetime) -> None:
        with self._lock:
            self._prune(address, moment)
            self._failures[address].append(moment)

    def clear(self, address: str) -> None:
        with self._lock:
            self._failures.pop(address, None)


def init_sign_in_throttle(app: Flask) -> None:
    app.extensions[THROTTLE_KEY] = SignInThrottle()


def _throttle() -> SignInThrottle:
    return current_app.extensions[THROTTLE_KEY]


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison; hashing first makes the time independent of the lengths too."""
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest())


def _session_proof() -> str:
    """A value only this deployment and this password produce: changing the password signs everyone out."""
    password = get_config().admin_password or ""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"kmbot-admin\0" + password.encode(), hashlib.sha256).hexdigest()


def is_signed_in() -> bool:
    proof = session.get(SESSION_KEY)
    return isinstance(proof, str) and hmac.compare_digest(proof, _session_proof())


def _client_address() -> str:
    return request.remote_addr or "unknown"


def _safe_next(target: str | None) -> str:
    """Only a path inside /admin, so the sign-in page cannot be used to send people elsewhere."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and parts.path.startswith("/admin") and "\\" not in target:
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
    if request.method == "GET":
        if is_signed_in():
            return redirect(next_url)
        return render_template("admin/sign_in.html", next_url=next_url, error=None)
    address = _client_address()
    throttle = _throttle()
    wait = throttle.blocked_for(address, now())
    if wait is not None:
        minutes = max(1, -(-int(wait.total_seconds()) // 60))
        return render_template("admin/sign_in.html", next_url=next_url, error=TOO_MANY_ATTEMPTS.format(minutes=minutes)), 429
    if not password_matches(request.form.get("password", ""), get_config().admin_password or ""):
        throttle.record_failure(address, now())
        current_app.logger.warning("admin sign-in refused: wrong password")
        return render_template("admin/sign_in.html", next_url=next_url, error=WRONG_PASSWORD), 401
    throttle.clear(address)
    # A fresh session on sign-in, so a session planted before it is worth nothing after it.
    session.clear()
    session[SESSION_KEY] = _session_proof()
    session.permanent = True
    return redirect(next_url)


@blueprint.post("/sign-out")
def sign_out() -> WerkzeugResponse:
    session.pop(SESSION_KEY, None)
    return redirect(url_for("admin.sign_in"))
