"""Notifications: the in-app inbox of each user, and the log of external deliveries.

A notification is written once per user and ``dedup_key`` (a unique pair). The stored key
carries the date the notice is about (``due_on``), so a reminder for a deadline that moved is
a new notification, while the same reminder computed again by a later sweep is not.

External channels (e-mail, SMS) are delivered after the commit by the scheduler
(``notification_delivery`` job): ``external_pending`` marks the rows still to send, and every
attempt leaves a ``NotificationDelivery`` row.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from licensing.auth.models import User
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime

DEDUP_KEY_MAX = 200
_UNREAD = text("read_dt IS NULL")


class Notification(db.Model):
    """One notice to one user: what happened or falls due, where to look, when it was read."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("user_id", "dedup_key", name="uq_notifications_user_dedup"),
        # The inbox, newest first, continued by key (``licensing.paging``): all of a user's
        # notices, and the unread ones alone, so a user who has read nearly everything does
        # not walk the read ones to fill a page. The second also counts the unread in the
        # header of every page.
        Index("ix_notifications_user_created", "user_id", "created_dt", "id"),
        Index("ix_notifications_user_unread_created", "user_id", "created_dt", "id",
              postgresql_where=_UNREAD, sqlite_where=_UNREAD),
        Index("ix_notifications_external_pending", "external_pending"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    # "<caller's key>@<due_on>" (or the caller's key alone when the notice has no date): a
    # moved date gives a new key, hence a new notification.
    dedup_key: Mapped[str] = mapped_column(String(DEDUP_KEY_MAX + 12))
    due_on: Mapped[date | None] = mapped_column(Date)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # True until the external channels (e-mail, SMS) have been tried to completion.
    external_pending: Mapped[bool] = mapped_column(Boolean, default=True,
                                                   server_default=true())
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    user: Mapped[User] = relationship()

    @property
    def is_read(self) -> bool:
        """Return whether the user has read (or dismissed) the notice."""
        return self.read_dt is not None

    def __repr__(self) -> str:
        return f"<Notification {self.id} user={self.user_id} {self.kind} {self.dedup_key}>"


class DeliveryStatus(enum.StrEnum):
    """The outcome of one attempt to send a notification over one channel."""

    sent = "sent"
    failed = "failed"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"sent": "已发送", "failed": "发送失败"}[self.value]


class NotificationDelivery(db.Model):
    """One attempt to send a notification over an external channel. Never updated.

    ``error`` holds the sender's error text, which must not carry personal data either.
    """

    __tablename__ = "notification_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        ForeignKey("notifications.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[DeliveryStatus] = mapped_column(
        Enum(DeliveryStatus, native_enum=False, length=10, validate_strings=True)
    )
    attempted_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    error: Mapped[str | None] = mapped_column(String(500))
    simulated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def __repr__(self) -> str:
        return (f"<NotificationDelivery {self.id} n={self.notification_id} {self.channel} "
                f"{self.status.value}>")
