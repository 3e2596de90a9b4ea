"""Signed, expiring read-more tokens: an article view from LINE is attributed to a known person.

A read-more link the bot sends in LINE is `/kb/<id>?from=line&t=<token>`. The token names the
recipient by their internal row id (`users.id`, never the LINE id) and the article, with the
time it was made, signed with HMAC-SHA256 (itsdangerous' `URLSafeTimedSerializer`). The article
page counts a view as evidence only when the token verifies, is younger than
`READ_TOKEN_MAX_AGE` and names that very article; anything else is an anonymous view.

The key is derived from KMBOT_SECRET_KEY, else the LINE channel secret, else the admin
password: whichever the deployment has, on every process alike. Without any of them (local
mode with no password) no token is made and every view is anonymous.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

from bot.core.config import Config

READ_TOKEN_MAX_AGE = timedelta(days=60)
_SALT = "kmbot.read-more.v1"


@dataclass(frozen=True)
class ReadToken:
    user_row_id: int
    article_id: int


def read_token_key(config: Config) -> bytes | None:
    """The signing key of read-more tokens, or None when the deployment has no secret at all."""
    secret = config.secret_key or config.line_channel_secret or config.admin_password
    if not secret:
        return None
    # A key of its own, so a read-more token can never be replayed as a session cookie.
    return hmac.new(secret.encode("utf-8"), b"kmbot read-more token key", hashlib.sha256).digest()


def _serializer(key: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(key, salt=_SALT, signer_kwargs={"digest_method": hashlib.sha256})


def sign_read_token(key: bytes, user_row_id: int, article_id: int) -> str:
    """A token naming `user_row_id` as the reader of `article_id`, valid for READ_TOKEN_MAX_AGE."""
    return str(_serializer(key).dumps([int(user_row_id), int(article_id)]))


def verify_read_token(key: bytes | None, token: str | None, article_id: int,
                      max_age: timedelta = READ_TOKEN_MAX_AGE) -> ReadToken | None:
    """The reader the token names, or None for a missing, forged, expired or other-article token."""
    if not key or not token or len(token) > 200:
        return None
    try:
        payload = _serializer(key).loads(token, max_age=int(max_age.total_seconds()))
    except (BadSignature, ValueError, TypeError):  # SignatureExpired is a BadSignature
        return None
    if (not isinstance(payload, list) or len(payload) != 2
            or not all(isinstance(item, int) and not isinstance(item, bool) for item in payload)):
        return None
    user_row_id, token_article = payload
    if token_article != article_id:
        return None
    return ReadToken(user_row_id, token_article)
