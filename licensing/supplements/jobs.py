"""The supplements domain's sweeps and notification kinds (the scheduler discovers them).

* ``supplement_due_soon``: reminders before a promised material's due date (the per-item
  deadline sweeps of ``licensing.jobs.deadlines``); the applicant online, or the counter
  clerks who phone a counter applicant.
* ``supplement_missed``: a pending supplement past its due date is missed and opens a
  revocation case (``services.mark_missed_supplements``).
"""

from __future__ import annotations

from datetime import datetime

from licensing.cases.jobs import applicant_or_clerks
from licensing.extensions import db
from licensing.jobs.deadlines import DeadlineSweep, register_deadline_sweep
from licensing.jobs.helpers import path_for, today_of
from licensing.jobs.registry import every, job
from licensing.notifications.owners import Owner, register_owner
from licensing.notifications.services import register_kind
from licensing.supplements import services
from licensing.supplements.models import SupplementObligation, SupplementStatus

#: Told to the approval department's approvers when a promised material is handed in.
NOTIFY_SUBMITTED = register_kind("supplement.submitted", "补交材料待审核")


def describe(obligation: SupplementObligation) -> str:
    """Name the obligation in Chinese, for reminders."""
    return (f"许可证 {obligation.licence.number} 承诺限期补齐补全的材料"
            f"「{obligation.material.name}」")


def link(obligation: SupplementObligation) -> str | None:
    """The page of the obligation (or of its case)."""
    return (path_for("supplements.supplement", supplement_id=obligation.id)
            or path_for("cases.show", public_id=obligation.application.public_id))


SUPPLEMENT_SWEEP = register_deadline_sweep(DeadlineSweep(
    name="supplement", label="补齐补全材料", model=SupplementObligation, prefix="supplement",
    is_open=lambda: SupplementObligation.status == SupplementStatus.pending,
    object_type="supplement", describe=describe,
    remind=lambda o: applicant_or_clerks(o.application), link=link,
    overdue_job=False,  # the missed step opens a revocation case: supplement_missed below
))


@register_owner("supplement")
def _supplement_owner(object_id: str) -> Owner | None:
    obligation = db.session.get(SupplementObligation, int(object_id))
    if obligation is None:
        return None
    return Owner(applicant_or_clerks(obligation.application), link(obligation),
                 describe(obligation))


@job("supplement_missed", every(minutes=15), label="逾期未补交转撤销")
def supplement_missed(now: datetime) -> int:
    """Mark pending supplements past their due date missed; each opens a revocation case.

    Calls ``mark_missed_supplements(today, commit_each=True)``; the enforcement domain opens
    the case (``supplement_broken``) and notifies the approvers and the supervisory
    department. Idempotent there: only ``pending`` rows with ``supplement_due_on < today``
    move, by a conditional UPDATE, and the case is unique per supplement.
    """
    return services.mark_missed_supplements(today_of(now), commit_each=True)


__all__ = ["NOTIFY_SUBMITTED", "SUPPLEMENT_SWEEP", "supplement_missed"]
