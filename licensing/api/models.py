"""API tokens and the stored answers of idempotent requests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime


class ApiToken(db.Model):
    """A bearer token issued to a user for the API; only its SHA-256 is stored.

    A token works until ``expires_dt``, and not after it was revoked, its user disabled, or
    the user's sessions ended (logout, password change, disabling, an administrator's action:
    ``session_fingerprint`` no longer matches the user's ``session_token``).
    """

    __tablename__ = "api_tokens"
    __table_args__ = (
        CheckConstraint("expires_dt > created_dt", name="expires_after_created"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    #: SHA-256 (hex) of the token: a stolen database does not yield usable tokens.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: SHA-256 (hex) of the user's ``session_token`` when the token was issued.
    session_fingerprint: Mapped[str] = mapped_column(String(64))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user = relationship("User", lazy="joined")

    def __repr__(self) -> str:
        state = "revoked" if self.revoked_dt is not None else f"expires={self.expires_dt}"
        return f"<ApiToken {self.id} user={self.user_id} {state}>"


class IdempotentResponse(db.Model):
    """The answer given to a request with an ``Idempotency-Key``, replayed for the same key.

    Written in the same transaction as what the request created, so the answer exists if and
    only if its effects do. ``request_sha256`` fingerprints the request body: the same key with
    another body is refused instead of answered with an unrelated result.
    """

    __tablename__ = "api_idempotent_responses"
    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_api_idempotent_responses_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    key: Mapped[str] = mapped_column(String(64))
    operation: Mapped[str] = mapped_column(String(64))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict] = mapped_column(JSON)
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"), index=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<IdempotentResponse {self.operation} user={self.user_id} {self.status_code}>"
