"""Issuing, checking and revoking API bearer tokens.

A token is 32 random bytes (``secrets.token_urlsafe``) with a ``lic_`` prefix so that secret
scanners can recognise it. Only its SHA-256 is stored; the clear token is shown once, in the
answer that issues it. Like every service these functions flush and audit, never commit.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, has_app_context
from sqlalchemy import or_, select, update

from licensing.api.errors import InvalidToken, TokenExpired
from licensing.api.models import ApiToken
from licensing.audit.services import record_audit
from licensing.clock import utcnow
from licensing.extensions import db

TOKEN_PREFIX = "lic_"  # noqa: S105 - a public prefix, not a secret
#: Lifetime of a token unless ``settings.extra["api_token_hours"]`` says otherwise.
DEFAULT_TOKEN_HOURS = 12
#: ``last_used_dt`` is written at most this often per token, so that parallel requests with
#: one token do not queue on its row.
LAST_USED_RESOLUTION = timedelta(minutes=1)
_MAX_TOKEN_LENGTH = 128


def digest(value: str) -> str:
    """The SHA-256 (hex) of a string, as tokens and session fingerprints are stored."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def token_lifetime() -> timedelta:
    """How long a new token lives."""
    hours = DEFAULT_TOKEN_HOURS
    if has_app_context():
        extra = current_app.config["SETTINGS"].extra or {}
        hours = float(extra.get("api_token_hours", hours))
    return timedelta(hours=hours)


def issue_token(user, *, now: datetime | None = None) -> tuple[str, ApiToken]:
    """Issue a token for ``user``; return the clear token (shown once) and its row."""
    now = now or utcnow()
    clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, token_hash=digest(clear),
                     session_fingerprint=digest(user.session_token), created_dt=now,
                     expires_dt=now + token_lifetime(), last_used_dt=now)
    db.session.add(token)
    db.session.flush()
    record_audit("api_token.issued", object_type="api_token", object_id=token.id, actor=user,
                 changes={"user_id": user.id, "expires": token.expires_dt})
    return clear, token


def check_token(clear: str | None, *, now: datetime | None = None) -> ApiToken:
    """Return the live token for a clear bearer token, or raise ``InvalidToken``.

    Refused: unknown, revoked, expired (``TokenExpired``), a disabled user, or a user whose
    sessions ended since the token was issued. Touches ``last_used_dt`` (at most once a
    ``LAST_USED_RESOLUTION``).
    """
    clear = (clear or "").strip()
    if not clear.startswith(TOKEN_PREFIX) or len(clear) > _MAX_TOKEN_LENGTH:
        raise InvalidToken()
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest(clear)))
    if token is None or token.revoked_dt is not None:
        raise InvalidToken()
    now = now or utcnow()
    if token.expires_dt <= now:
        raise TokenExpired()
    user = token.user
    if user is None or not user.active:
        raise InvalidToken()
    if not secrets.compare_digest(token.session_fingerprint, digest(user.session_token)):
        raise InvalidToken("账号的登录已全部结束（退出、修改密码或被停用），访问令牌随之失效。")
    threshold = now - LAST_USED_RESOLUTION
    if token.last_used_dt is None or token.last_used_dt < threshold:
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.id == token.id,
                   or_(ApiToken.last_used_dt.is_(None), ApiToken.last_used_dt < threshold))
            .values(last_used_dt=now)
            .execution_options(synchronize_session=False))
    return token


def revoke_token(token: ApiToken, *, actor=None) -> None:
    """Revoke a token now; idempotent."""
    if token.revoked_dt is not None:
        return
    token.revoked_dt = utcnow()
    db.session.flush()
    record_audit("api_token.revoked", object_type="api_token", object_id=token.id,
                 actor=actor or token.user, changes={"user_id": token.user_id})
