"""The outbox: the platform down then up, every message applied once, nothing lost."""

from __future__ import annotations

import random
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from licensing.audit.models import AuditEntry
from licensing.clock import utcnow
from licensing.credit.errors import OutboxNotRetryable
from licensing.credit.models import ALERT_ATTEMPTS, OutboxMessage, OutboxStatus
from licensing.credit.outbox import (
    BASE_DELAY,
    LEASE,
    MAX_DELAY,
    _claim,
    deliver_pending,
    outbox_summary,
    problem_messages,
    retry_now,
)
from licensing.credit.platform import LocalOnlyPlatform
from licensing.credit.services import record_commitment_event
from licensing.extensions import db
from tests.credit_fake_platform import http_platform, make_applicant, running_fake_platform

KINDS = ["commitment_made", "commitment_kept", "commitment_broken", "dishonesty", "revocation"]


def queue(count: int) -> list[str]:
    """Queue ``count`` messages of every kind in turn (committed); return their keys."""
    applicant = make_applicant()
    keys = []
    for n in range(count):
        event = record_commitment_event(applicant, KINDS[n % len(KINDS)], f"case:{n}",
                                        {"n": n})
        keys.append(event.message.idempotency_key)
    db.session.commit()
    return keys


def statuses() -> dict[OutboxStatus, int]:
    return outbox_summary().by_status


def test_platform_down_then_up_every_message_applied_exactly_once(session):
    keys = queue(12)
    with running_fake_platform() as fake:
        platform = http_platform(fake, fail_max=3, reset_s=0.2)
        fake.stop()  # down: connections refused
        now = utcnow()
        stats = deliver_pending(now=now, platform=platform)
        assert stats.claimed == 12 and stats.delivered == 0 and stats.retried == 12
        assert statuses()[OutboxStatus.pending] == 12
        # not due again yet: nothing is claimed
        assert deliver_pending(now=now + timedelta(seconds=10), platform=platform).claimed == 0

        fake.start()  # up again, same address
        time.sleep(0.3)  # let the breaker's reset timeout pass
        later = now + BASE_DELAY * 2
        total = 0
        for step in range(5):
            total += deliver_pending(now=later + BASE_DELAY * 2 * step, platform=platform).delivered
        assert total == 12
        assert set(fake.receipts) == set(keys)  # each key applied once
        assert fake.duplicates == 0
    delivered = session.scalars(select(OutboxMessage)).all()
    assert all(m.status == OutboxStatus.delivered and m.receipt["receipt_id"] for m in delivered)
    assert all(m.delivered_dt is not None and m.last_error is None for m in delivered)
    assert session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "credit.outbox.delivered")) == 12


def test_platform_down_for_days_nothing_is_lost(session):
    keys = queue(5)
    rng = random.Random(5)
    with running_fake_platform() as fake:
        # every run really tries (the breaker lets a trial call through at once)
        platform = http_platform(fake, retries=0, fail_max=1, reset_s=0)
        fake.set_mode("error")
        now = utcnow()
        for _run in range(36):  # three days, the sender running every two hours
            now += timedelta(hours=2)
            deliver_pending(now=now, platform=platform, rng=rng)
        messages = session.scalars(select(OutboxMessage)).all()
        assert all(m.status == OutboxStatus.pending for m in messages)  # never dropped
        assert all(m.flagged for m in messages)  # and shown to administrators
        assert all(m.next_attempt_dt - now <= MAX_DELAY for m in messages)
        assert len(problem_messages()) == 5
        flagged_audits = session.scalar(select(func.count(AuditEntry.id)).where(
            AuditEntry.action == "credit.outbox.flagged"))
        assert flagged_audits == 5  # once per message, when it crossed the threshold
        fake.set_mode("normal")
        for _hour in range(8):
            now += timedelta(hours=1)
            deliver_pending(now=now, platform=platform, rng=rng)
        assert set(fake.receipts) == set(keys)
    assert statuses()[OutboxStatus.delivered] == 5


def test_lost_reply_is_resent_and_recognised_as_a_duplicate(session):
    (key,) = queue(1)
    with running_fake_platform() as fake:
        platform = http_platform(fake, retries=0)
        fake.set_mode("lost_reply")
        now = utcnow()
        assert deliver_pending(now=now, platform=platform).retried == 1
        fake.set_mode("normal")
        assert deliver_pending(now=now + BASE_DELAY * 2, platform=platform).delivered == 1
        assert fake.received[key] == 2 and list(fake.receipts) == [key]
    message = session.scalar(select(OutboxMessage))
    assert message.receipt["duplicate"] is True and message.attempts == 2


def test_sender_killed_after_sending_leaves_a_lease_then_a_harmless_resend(session):
    (key,) = queue(1)
    with running_fake_platform() as fake:
        platform = http_platform(fake)
        now = utcnow()
        (claimed,) = _claim(10, now)  # a sender claims the message...
        platform.push(claimed)  # ...sends it, and dies before recording the receipt
        message = session.scalar(select(OutboxMessage))
        assert message.status == OutboxStatus.pending and message.attempts == 1
        # while the lease runs, nobody else sends it
        assert deliver_pending(now=now + LEASE / 2, platform=platform).claimed == 0
        stats = deliver_pending(now=now + LEASE + timedelta(seconds=1), platform=platform)
        assert stats.delivered == 1
        assert fake.received[key] == 2 and list(fake.receipts) == [key]


def test_rejected_message_waits_for_a_person_then_goes_through(session):
    (key,) = queue(1)
    with running_fake_platform() as fake:
        platform = http_platform(fake)
        fake.set_mode("reject")
        now = utcnow()
        assert deliver_pending(now=now, platform=platform).rejected == 1
        message = session.scalar(select(OutboxMessage))
        assert message.status == OutboxStatus.failed and "422" in message.last_error
        assert message.flagged and outbox_summary().flagged == 1
        # refused messages are not retried on their own
        assert deliver_pending(now=now + timedelta(days=1), platform=platform).claimed == 0
        fake.set_mode("normal")
        retry_now(message)
        session.commit()
        assert deliver_pending(platform=platform).delivered == 1
        assert list(fake.receipts) == [key]
        message = session.scalar(select(OutboxMessage))
        with pytest.raises(OutboxNotRetryable):
            retry_now(message)
    trail = session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "outbox_message").order_by(AuditEntry.id)).all()
    assert trail == ["credit.outbox.rejected", "credit.outbox.retry_requested",
                     "credit.outbox.delivered"]


def test_backoff_after_a_failure(session):
    queue(1)
    with running_fake_platform() as fake:
        fake.set_mode("error")
        now = utcnow()
        deliver_pending(now=now, platform=http_platform(fake, retries=0))
    message = session.scalar(select(OutboxMessage))
    wait = message.next_attempt_dt - now
    assert BASE_DELAY * 0.75 - timedelta(seconds=1) <= wait <= BASE_DELAY * 1.25
    assert message.attempts == 1 and "503" in message.last_error


def test_nothing_happens_without_a_platform(session):
    queue(2)
    stats = deliver_pending(platform=LocalOnlyPlatform())
    assert stats.not_configured and stats.claimed == 0
    assert statuses()[OutboxStatus.pending] == 2
    assert all(m.attempts == 0 for m in session.scalars(select(OutboxMessage)))


def test_threshold_constant_is_sane():
    assert 5 <= ALERT_ATTEMPTS <= 20


def test_concurrent_senders_send_each_message_once(app, backend):
    if backend != "postgresql":
        pytest.skip("concurrent senders need PostgreSQL (SKIP LOCKED)")
    keys = queue(60)
    with running_fake_platform() as fake:
        results, errors = [], []
        barrier = threading.Barrier(4)

        def sender():
            with app.app_context():
                try:
                    platform = http_platform(fake, fail_max=100)
                    barrier.wait()
                    for _ in range(5):
                        results.append(deliver_pending(limit=10, platform=platform))
                except Exception as exc:  # pragma: no cover - reported below
                    errors.append(exc)
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=sender) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert sum(r.claimed for r in results) == 60  # no message claimed twice
        assert set(fake.receipts) == set(keys)
        assert all(count == 1 for count in fake.received.values())
    assert statuses()[OutboxStatus.delivered] == 60


def test_deliver_and_outbox_commands(app, runner, session):
    from licensing.credit.platform import set_platform

    queue(3)
    status = runner.invoke(args=["credit", "outbox"])
    assert status.exit_code == 0 and "pending    3" in status.output
    with running_fake_platform() as fake:
        set_platform(app, http_platform(fake))
        result = runner.invoke(args=["credit", "deliver", "--limit", "2"])
        assert result.exit_code == 0 and "delivered=2" in result.output
        result = runner.invoke(args=["credit", "deliver"])
        assert "delivered=1" in result.output
        assert len(fake.receipts) == 3
    set_platform(app, LocalOnlyPlatform())
    assert "未配置信用平台地址" in runner.invoke(args=["credit", "deliver"]).output
