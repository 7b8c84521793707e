"""Delivering the outbox to the credit platform (see docs/decisions/0007-credit-outbox.md).

``deliver_pending`` is a job: it selects its work from the database, commits per message and
can run again at any time, from several processes at once.

1. **Claim** (one short transaction): the due pending messages are selected with
   ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (a second sender skips them), and each is leased:
   ``next_attempt_dt`` moves ``LEASE`` into the future and ``attempts`` goes up, guarded by a
   compare-and-set on the old values (which is what protects SQLite). Commit.
2. **Send**, with no transaction open: each message with its ``Idempotency-Key``.
3. **Record** the outcome, one transaction per message: delivered with the receipt;
   refused for good (4xx) → ``failed``; anything else → still ``pending``, next attempt after
   an exponential backoff with jitter (``BASE_DELAY`` × 2^(attempts-1), ±25 %, at most
   ``MAX_DELAY``).

A sender that dies between 2 and 3 leaves the lease to run out; the message is then sent
again with the same key and the platform drops the repeat. So the platform applies every
message once, and no message is ever dropped: a message that keeps failing stays pending
(flagged after ``ALERT_ATTEMPTS``) until it goes through or an administrator looks at it.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from licensing.audit.services import record_audit
from licensing.clock import utcnow
from licensing.credit.errors import OutboxNotRetryable
from licensing.credit.models import ALERT_ATTEMPTS, OutboxKind, OutboxMessage, OutboxStatus
from licensing.credit.platform import (
    CreditPlatform,
    PlatformError,
    PlatformRejected,
    PlatformUnavailable,
    get_platform,
)
from licensing.extensions import db

log = logging.getLogger(__name__)

BASE_DELAY = timedelta(minutes=1)
MAX_DELAY = timedelta(hours=6)
#: How long a claimed message is reserved for its sender; far longer than one push can take.
LEASE = timedelta(minutes=5)
DEFAULT_BATCH = 100


def backoff(attempts: int, rng: random.Random | None = None) -> timedelta:
    """Return the wait before the next attempt after ``attempts`` failed ones (jittered)."""
    exponent = min(max(attempts, 1) - 1, 20)
    base = min(BASE_DELAY * (2 ** exponent), MAX_DELAY)
    factor = (rng or random).uniform(0.75, 1.25)
    return min(base * factor, MAX_DELAY)


@dataclass
class DeliveryStats:
    """What one run of the sender did."""

    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    rejected: int = 0
    not_configured: bool = False
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        if self.not_configured:
            return "未配置信用平台地址，推送队列保持待发送。"
        return (f"claimed={self.claimed} delivered={self.delivered} retried={self.retried} "
                f"rejected={self.rejected}")


@dataclass(frozen=True)
class _Push:
    """A claimed message, detached from the session while it is being sent."""

    id: int
    kind: OutboxKind
    idempotency_key: str
    payload: dict[str, Any]
    attempts: int


def _claim(limit: int, now: datetime) -> list[_Push]:
    session = db.session
    candidates = session.scalars(
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.pending,
               OutboxMessage.next_attempt_dt <= now)
        .order_by(OutboxMessage.next_attempt_dt, OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    lease_until = now + LEASE
    claimed = []
    for message_id in candidates:
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id,
                   OutboxMessage.status == OutboxStatus.pending,
                   OutboxMessage.next_attempt_dt <= now)
            .values(next_attempt_dt=lease_until, attempts=OutboxMessage.attempts + 1,
                    last_attempt_dt=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            claimed.append(message_id)
    pushes = []
    if claimed:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.kind, OutboxMessage.idempotency_key,
                   OutboxMessage.payload, OutboxMessage.attempts)
            .where(OutboxMessage.id.in_(claimed)).order_by(OutboxMessage.id)
        ).all()
        pushes = [_Push(r.id, r.kind, r.idempotency_key, r.payload, r.attempts) for r in rows]
    session.commit()
    return pushes


def deliver_pending(limit: int = DEFAULT_BATCH, now: datetime | None = None, *,
                    platform: CreditPlatform | None = None,
                    rng: random.Random | None = None) -> DeliveryStats:
    """Send up to ``limit`` due pending messages to the platform; commit per message.

    Idempotent and safe to run in several processes at once (see the module docstring). It
    commits: call it from a job or a command, not inside another unit of work. With no platform
    configured it does nothing and reports ``not_configured``; messages wait.
    """
    platform = platform if platform is not None else get_platform()
    stats = DeliveryStats()
    if not platform.configured:
        stats.not_configured = True
        return stats
    now = now or utcnow()
    db.session.commit()  # start from a clean transaction: the claim must commit on its own
    pushes = _claim(limit, now)
    stats.claimed = len(pushes)
    for push in pushes:
        receipt = error = None
        rejected = breaker_open = False
        try:
            receipt = platform.push(push)
        except PlatformRejected as exc:
            rejected, error = True, str(exc)
        except PlatformUnavailable as exc:
            error, breaker_open = str(exc), exc.breaker_open
        except PlatformError as exc:
            error = str(exc)
        except Exception as exc:  # a bug must not lose the message: keep it pending
            log.exception("unexpected error pushing outbox message %s", push.id)
            error = f"{type(exc).__name__}: {exc}"
        _record_outcome(push, now, receipt, error, rejected, breaker_open, stats, rng)
    return stats


def _record_outcome(push: _Push, now: datetime, receipt: dict | None, error: str | None,
                    rejected: bool, breaker_open: bool, stats: DeliveryStats,
                    rng: random.Random | None) -> None:
    session = db.session
    message = session.scalars(
        select(OutboxMessage).where(OutboxMessage.id == push.id).with_for_update()
        .execution_options(populate_existing=True)).one()
    if message.status == OutboxStatus.delivered:  # another sender's retry got there first
        session.commit()
        return
    if receipt is not None:
        message.status = OutboxStatus.delivered
        message.receipt = receipt
        message.delivered_dt = utcnow()
        message.last_error = None
        stats.delivered += 1
        record_audit("credit.outbox.delivered", object_type="outbox_message",
                     object_id=message.id,
                     changes={"kind": message.kind, "attempts": message.attempts,
                              "receipt_id": str(receipt.get("receipt_id")),
                              "duplicate": bool(receipt.get("duplicate"))})
    elif rejected:
        message.status = OutboxStatus.failed
        message.last_error = (error or "")[:1000]
        stats.rejected += 1
        stats.errors.append(f"{message.id}: {error}")
        record_audit("credit.outbox.rejected", object_type="outbox_message",
                     object_id=message.id,
                     changes={"kind": message.kind, "attempts": message.attempts,
                              "status": ["pending", "failed"], "error": message.last_error})
    else:
        if breaker_open:  # not really attempted: the breaker refused before any request
            message.attempts = max(0, message.attempts - 1)
        message.last_error = (error or "")[:1000]
        message.next_attempt_dt = now + backoff(message.attempts, rng)
        stats.retried += 1
        stats.errors.append(f"{message.id}: {error}")
        if message.attempts == ALERT_ATTEMPTS and not breaker_open:
            log.warning("outbox message %s still undelivered after %s attempts",
                        message.id, message.attempts)
            record_audit("credit.outbox.flagged", object_type="outbox_message",
                         object_id=message.id,
                         changes={"kind": message.kind, "attempts": message.attempts,
                                  "error": message.last_error})
    session.commit()


def retry_now(message: OutboxMessage, *, actor=None, now: datetime | None = None
              ) -> OutboxMessage:
    """Make a pending or refused message due at once (the administrator's button); audited."""
    message = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.id == message.id).with_for_update()
        .execution_options(populate_existing=True)).one()
    if message.status == OutboxStatus.delivered:
        raise OutboxNotRetryable()
    previous = message.status
    message.status = OutboxStatus.pending
    message.next_attempt_dt = now or utcnow()
    db.session.flush()
    record_audit("credit.outbox.retry_requested", object_type="outbox_message",
                 object_id=message.id, actor=actor,
                 changes={"kind": message.kind, "status": [previous, "pending"],
                          "attempts": message.attempts, "last_error": message.last_error})
    return message


@dataclass(frozen=True)
class OutboxSummary:
    """Counts for the administrators' page and the home panel."""

    by_status: dict[OutboxStatus, int]
    flagged: int
    due: int
    oldest_pending_dt: datetime | None


def outbox_summary(now: datetime | None = None) -> OutboxSummary:
    """Count messages per status, flagged ones, due ones, and the oldest pending one."""
    now = now or utcnow()
    counts = dict.fromkeys(OutboxStatus, 0)
    for status, count in db.session.execute(
            select(OutboxMessage.status, func.count(OutboxMessage.id))
            .group_by(OutboxMessage.status)):
        counts[OutboxStatus(status)] = count
    pending = OutboxMessage.status == OutboxStatus.pending
    flagged = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        pending, OutboxMessage.attempts >= ALERT_ATTEMPTS)) or 0
    due = db.session.scalar(select(func.count(OutboxMessage.id)).where(
        pending, OutboxMessage.next_attempt_dt <= now)) or 0
    oldest = db.session.scalar(select(func.min(OutboxMessage.created_dt)).where(pending))
    return OutboxSummary(counts, flagged + counts[OutboxStatus.failed], due, oldest)


def problem_messages(limit: int = 100) -> list[OutboxMessage]:
    """Refused messages, then pending ones that have failed at least once; most attempts first."""
    return list(db.session.scalars(
        select(OutboxMessage)
        .where((OutboxMessage.status == OutboxStatus.failed)
               | ((OutboxMessage.status == OutboxStatus.pending) & (OutboxMessage.attempts > 0)))
        .order_by(OutboxMessage.status, OutboxMessage.attempts.desc(), OutboxMessage.id)
        .limit(limit)))


def recent_messages(limit: int = 50) -> list[OutboxMessage]:
    """The latest messages of every status."""
    return list(db.session.scalars(
        select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)))
