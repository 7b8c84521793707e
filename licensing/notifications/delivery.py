"""Delivering notifications over the external channels, after their transaction committed.

Run by the scheduler (job ``notification_delivery``), never inside a request: a notice is
only sent once the change that caused it is committed, and a gateway that is down delays the
e-mail or SMS without ever blocking or failing the counter's transaction.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy import select

from licensing.clock import utcnow
from licensing.extensions import db
from licensing.notifications.models import DeliveryStatus, Notification, NotificationDelivery
from licensing.notifications.senders import DeliveryFailed, active_senders

log = logging.getLogger("licensing.notifications.delivery")

#: Give up on an external delivery after this many failed rounds (the in-app notice stays).
MAX_DELIVERY_ATTEMPTS = 5


def deliver_pending(now: datetime | None = None, *, batch_size: int = 500,
                    max_attempts: int = MAX_DELIVERY_ATTEMPTS,
                    time_budget_s: float = 20.0) -> int:
    """Send pending notifications over every installed channel; commit per notification.

    Idempotent: a notification leaves the pending set once every channel has a ``sent``
    delivery, or after ``max_attempts`` rounds; a channel that was sent is not sent again
    when another channel is retried. Assumes one deliverer at a time (the scheduler's
    leadership and the job's lease); a second one at the same moment could send a message
    twice, never lose one. Works through batches of ``batch_size`` until none is left or
    ``time_budget_s`` has passed (the next run goes on). Returns how many were completed.
    """
    now = now or utcnow()
    started = time.monotonic()
    done = 0
    after_id = 0
    while time.monotonic() - started < time_budget_s:
        ids = db.session.scalars(
            select(Notification.id)
            .where(Notification.external_pending.is_(True), Notification.id > after_id)
            .order_by(Notification.id)
            .limit(batch_size)
        ).all()
        if not ids:
            break
        after_id = ids[-1]
        done += _deliver_batch(ids, now, max_attempts)
    return done


def _deliver_batch(ids, now: datetime, max_attempts: int) -> int:
    senders = active_senders()
    done = 0
    for notification_id in ids:
        notification = db.session.get(Notification, notification_id)
        if notification is None or not notification.external_pending:
            continue
        if not notification.user.active:  # a disabled account gets nothing outside the system
            notification.external_pending = False
            db.session.commit()
            continue
        sent_channels = set(db.session.scalars(
            select(NotificationDelivery.channel).where(
                NotificationDelivery.notification_id == notification_id,
                NotificationDelivery.status == DeliveryStatus.sent,
            )
        ))
        failed = False
        for sender in senders:
            if sender.channel in sent_channels:
                continue
            try:
                sender.send(notification, notification.user)
            except Exception as exc:  # any gateway failure is a failed attempt, retried later
                failed = True
                reason = str(exc) if isinstance(exc, DeliveryFailed) else type(exc).__name__
                status, error = DeliveryStatus.failed, reason[:500]
                log.warning("notification %s channel=%s user_id=%s kind=%s failed",
                            notification.id, sender.channel, notification.user_id,
                            notification.kind)
            else:
                status, error = DeliveryStatus.sent, None
            db.session.add(NotificationDelivery(
                notification_id=notification_id, channel=sender.channel, status=status,
                attempted_dt=now, error=error, simulated=bool(getattr(sender, "simulated", False)),
            ))
        notification.delivery_attempts += 1
        if not failed or notification.delivery_attempts >= max_attempts:
            notification.external_pending = False
            done += 1
        db.session.commit()
    return done


def delivery_log(notification: Notification) -> list[NotificationDelivery]:
    """Return the delivery attempts of a notification, oldest first."""
    return list(db.session.scalars(
        select(NotificationDelivery)
        .where(NotificationDelivery.notification_id == notification.id)
        .order_by(NotificationDelivery.id)
    ))
