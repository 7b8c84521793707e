"""The credit domain's scheduled work: the re-check queue of degraded credit checks.

``credit_recheck`` runs every minute: while re-checks wait it asks the platform about the
oldest one's applicant; the first answer means the platform is back, and the whole queue is
worked in the same run. While the platform stays down the call fails fast (the circuit
breaker refuses it without waiting), so the job costs nothing until the platform answers.
``credit_recheck_daily`` works the queue once a day as well, and tells the administrators
how many re-checks still wait, so a long outage is never forgotten.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from licensing.applicants.models import Applicant
from licensing.auth.models import Role
from licensing.credit.platform import CreditPlatform, PlatformAnswer, PlatformError, get_platform
from licensing.credit.rechecks import pending_rechecks, record_failed_attempt
from licensing.credit.services import check_eligibility
from licensing.extensions import db
from licensing.jobs.helpers import today_of
from licensing.jobs.registry import cron, every, job
from licensing.notifications.services import notify_department, register_kind

log = logging.getLogger(__name__)

KIND_RECHECKS_WAITING = register_kind("credit.rechecks_waiting", "信用复核待办")
#: Re-checks worked per run at most (the rest wait for the next run).
BATCH = 200


@dataclass
class RecheckRun:
    """What one pass over the queue did."""

    resolved: int = 0
    waiting: int = 0
    platform_answered: bool = False


class _Answered:
    """A platform that gives back an answer already received (no second call)."""

    configured = True

    def __init__(self, answer: PlatformAnswer):
        self.answer = answer

    def query(self, kind, code) -> PlatformAnswer:
        return self.answer

    def push(self, message) -> dict:  # pragma: no cover - never used for a query
        raise PlatformError("not a delivery adapter")


def work_recheck_queue(*, platform: CreditPlatform | None = None, limit: int = BATCH
                       ) -> RecheckRun:
    """Check again, applicant by applicant, every queued degraded check; commit per applicant.

    Stops at the first applicant the platform does not answer for (it is down: the rest
    would fail too), noting the attempt. Idempotent: a resolved re-check leaves the queue,
    and the new check of an applicant settles all of that applicant's re-checks at once.
    """
    platform = platform if platform is not None else get_platform()
    run = RecheckRun()
    if not platform.configured:
        run.waiting = len(pending_rechecks())
        return run
    done: set[int] = set()
    for recheck in pending_rechecks(limit=limit):
        if recheck.applicant_id in done or recheck.status.value != "pending":
            continue
        applicant = db.session.get(Applicant, recheck.applicant_id)
        try:
            answer = platform.query(applicant.kind, applicant.code)
        except PlatformError as exc:
            record_failed_attempt(recheck, str(exc))
            db.session.commit()
            log.info("credit re-check: the platform still does not answer: %s", exc)
            break
        run.platform_answered = True
        before = len(pending_rechecks(applicant.id))
        check_eligibility(applicant, platform=_Answered(answer))
        db.session.commit()
        done.add(applicant.id)
        run.resolved += before - len(pending_rechecks(applicant.id))
    run.waiting = len(pending_rechecks())
    return run


@job("credit_recheck", every(minutes=1), label="信用平台恢复后复核")
def credit_recheck(now: datetime) -> int:
    """Work the re-check queue as soon as the platform answers again (see the module)."""
    if not pending_rechecks(limit=1):
        return 0
    return work_recheck_queue().resolved


@job("credit_recheck_daily", cron(hour=8, minute=15), label="信用复核每日处理")
def credit_recheck_daily(now: datetime) -> int:
    """Once a day: work the queue, and tell the administrators what still waits."""
    run = work_recheck_queue()
    if run.waiting:
        notify_department(
            None, [Role.admin], KIND_RECHECKS_WAITING,
            f"信用平台仍无法核查：{run.waiting} 项降级核查待复核",
            f"有 {run.waiting} 项在信用平台不可用时依据本地记录作出的核查尚待复核；"
            "平台恢复后系统将自动复核。", None, "credit_recheck", "queue",
            f"credit_rechecks_waiting:{today_of(now).isoformat()}")
        db.session.commit()
    return run.resolved
