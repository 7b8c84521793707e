"""The re-check queue of credit checks the platform could not answer.

Every check made while the platform was down (``degraded``) is queued here. When the platform
answers again for the applicant (at a new check, or when ``licensing.credit.jobs`` works the
queue), each pending re-check is resolved with that answer: ``cleared``, or ``barred`` when a
barring record shows up, which sends ``signals.recheck_found_barred``. Flushes and audits;
never commits.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from licensing.applicants.identity import mask_code
from licensing.applicants.models import Applicant
from licensing.audit.services import record_audit
from licensing.clock import utcnow
from licensing.credit.models import CreditCheck, CreditRecheck, CreditRecord, RecheckStatus
from licensing.credit.signals import recheck_found_barred
from licensing.extensions import db


def queue_recheck(check: CreditCheck, *, actor=None) -> CreditRecheck:
    """Queue a degraded check to be checked again when the platform answers."""
    recheck = CreditRecheck(applicant_id=check.applicant_id, degraded_check_id=check.id,
                            status=RecheckStatus.pending, queued_dt=utcnow())
    db.session.add(recheck)
    db.session.flush()
    record_audit("credit.recheck.queued", object_type="credit_recheck", object_id=recheck.id,
                 actor=actor, changes={"applicant_id": check.applicant_id,
                                       "degraded_check_id": check.id})
    return recheck


def pending_rechecks(applicant_id: int | None = None, limit: int | None = None
                     ) -> list[CreditRecheck]:
    """Return the pending re-checks, oldest first (of one applicant when given)."""
    stmt = (select(CreditRecheck).where(CreditRecheck.status == RecheckStatus.pending)
            .order_by(CreditRecheck.queued_dt, CreditRecheck.id))
    if applicant_id is not None:
        stmt = stmt.where(CreditRecheck.applicant_id == applicant_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(db.session.scalars(stmt))


def resolve_rechecks(applicant: Applicant, check: CreditCheck,
                     barring: Sequence[CreditRecord], *, actor=None) -> list[CreditRecheck]:
    """Resolve the applicant's pending re-checks with ``check``, a check the platform answered.

    ``barring`` are the records that bar the commitment track now. For each re-check: audited
    ``credit.recheck.cleared`` or ``credit.recheck.barred``; a barred one sends
    ``recheck_found_barred`` so the approval and supervisory sides can act.
    """
    resolved = pending_rechecks(applicant.id)
    reasons = [f"信用平台恢复后复核发现{record.describe()}：该申请人在信用修复前不适用告知承诺制。"
               for record in barring]
    for recheck in resolved:
        recheck.status = RecheckStatus.barred if barring else RecheckStatus.cleared
        recheck.result_check_id = check.id
        recheck.resolved_dt = utcnow()
        db.session.flush()
        record_audit(f"credit.recheck.{recheck.status.value}", object_type="credit_recheck",
                     object_id=recheck.id, actor=actor,
                     changes={"applicant_id": applicant.id,
                              "code": mask_code(applicant.kind, applicant.code),
                              "degraded_check_id": recheck.degraded_check_id,
                              "result_check_id": check.id,
                              "barring_record_ids": [r.id for r in barring]})
        if barring:
            recheck_found_barred.send(recheck, applicant=applicant, check=check,
                                      degraded_check_id=recheck.degraded_check_id,
                                      reasons=reasons)
    return resolved


def record_failed_attempt(recheck: CreditRecheck, error: str) -> None:
    """Note that the platform still did not answer for ``recheck`` (no audit: not a change)."""
    recheck.attempts = (recheck.attempts or 0) + 1
    recheck.last_attempt_dt = utcnow()
    recheck.last_error = error[:500]
    db.session.flush()
