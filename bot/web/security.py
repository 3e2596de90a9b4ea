"""Sessions, CSRF protection and proxy headers for the web pages (the simulator and /admin).

The session is Flask's signed cookie: HttpOnly, SameSite=Lax, and Secure whenever the request
came over HTTPS. CSRF protection (Flask-WTF) is switched on per blueprint rather than for the
whole app, so LINE's signed `POST /callback` is never asked for a form token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from flask import Flask, Response, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.core.config import Config

CSRF_KEY = "kmbot.csrf"
SESSION_LIFETIME = timedelta(hours=12)
logger = logging.getLogger(__name__)


class HttpsAwareSessionInterface(SecureCookieSessionInterface):
    """Marks the session cookie Secure when this request arrived over HTTPS.

    A fixed SESSION_COOKIE_SECURE would either break sign-in on plain-HTTP local use or leave
    the cookie unprotected in production; the request itself tells which case this is.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app) or request.is_secure)


def session_secret_key(config: Config) -> str:
    """The key that signs session cookies; the same in every worker process of one deployment.

    KMBOT_SECRET_KEY wins. Otherwise the key is derived from the LINE channel secret (long and
    random, shared by every worker) and the admin password, so changing either signs everyone out.
    A key is never derived from the admin password alone: anyone holding a signed cookie could
    then guess the password offline. With no KMBOT_SECRET_KEY and no channel secret the key is
    random, new in each process: fine for `kmbot serve` (one process); several worker processes
    need KMBOT_SECRET_KEY (docs/deploy.md).
    """
    if config.secret_key:
        return config.secret_key
    if not config.line_channel_secret:
        if config.admin_password:
            logger.warning(
                "KMBOT_SECRET_KEY is not set: /admin sign-ins last only as long as this process "
                "and are not shared with other worker processes (set KMBOT_SECRET_KEY)"
            )
        return secrets.token_hex(32)
    material = f"kmbot-session\0{config.admin_password or ''}".encode()
    return hmac.new(config.line_channel_secret.encode(), material, hashlib.sha256).hexdigest()


def init_web_security(app: Flask, config: Config) -> None:
    """Cookie settings, the CSRF extension (checked only where `protect_forms` is called) and,
    when configured, trust in the reverse proxy's X-Forwarded-* headers."""
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="kmbot_session",
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        WTF_CSRF_CHECK_DEFAULT=False,
        # The token lives as long as the session, so a form left open for a while still posts.
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.session_interface = HttpsAwareSessionInterface()
    app.extensions[CSRF_KEY] = CSRFProtect(app)
    if config.trusted_proxies > 0:
        hops = config.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    app.register_error_handler(CSRFError, _csrf_error)
    app.after_request(add_security_headers)


# Every page's resources come from kmbot itself: no script, style sheet, font or image from
# elsewhere, no framing by another site (clickjacking), no plug-ins, forms posting only here.
# Inline style attributes are allowed (the chat simulator's Flex bubbles and the reach meters use
# them); inline scripts are not.
CONTENT_SECURITY_POLICY = "; ".join((
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
))
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def add_security_headers(response: Response) -> Response:
    """The headers above on every response (pages, JSON, fonts); a page may set its own first."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def protect_forms() -> None:
    """Refuse a state-changing request without a valid CSRF token (400); call in before_request."""
    from flask import current_app

    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        current_app.extensions[CSRF_KEY].protect()


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return render_template(
        "message.html",
        title="ส่งแบบฟอร์มไม่สำเร็จ",
        message="แบบฟอร์มนี้หมดอายุหรือไม่ได้ส่งมาจากหน้าเว็บของระบบ กรุณากลับไปที่หน้าเดิม โหลดหน้าใหม่ แล้วลองอีกครั้งค่ะ",
    ), 400
