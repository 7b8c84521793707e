"""Publicity sweeps: make the records of new decisions, and send them."""

from __future__ import annotations

from datetime import datetime

from licensing.extensions import db
from licensing.jobs.registry import every, job
from licensing.publicity.services import collect, deliver_pending


@job("publicity_collect", every(minutes=1), label="行政许可信息公示（生成）")
def publicity_collect(now: datetime) -> int:
    """Make the publicity record of every decision, cancellation and revocation lacking one.

    Idempotent: decisions with a record are not selected again; the key is unique.
    """
    made = collect()
    db.session.commit()
    return made


@job("publicity_delivery", every(seconds=30), label="行政许可信息公示（推送）")
def publicity_delivery(now: datetime) -> int:
    """Send the pending publicity records to the credit information sharing platform.

    Idempotent: each record carries its idempotency key and leaves the pending set on a
    receipt; a claimed record is leased so a concurrent sender skips it.
    """
    return deliver_pending(now)
