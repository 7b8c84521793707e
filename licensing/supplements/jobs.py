"""The supplements domain's own sweep (the scheduler discovers ``licensing.<domain>.jobs``)."""

from __future__ import annotations

from datetime import datetime

from licensing.jobs.helpers import today_of
from licensing.jobs.registry import every, job
from licensing.supplements.services import mark_missed_supplements


@job("supplement_missed", every(minutes=15), label="逾期未补交转撤销")
def supplement_missed(now: datetime) -> int:
    """Mark pending supplements past their due date missed; each opens a revocation case.

    Calls ``mark_missed_supplements(today, commit_each=True)``; the enforcement domain opens
    the case (``supplement_broken``) and notifies the approvers and the supervisory
    department. Idempotent there: only ``pending`` rows with ``supplement_due_on < today``
    move, by a conditional UPDATE, and the case is unique per supplement.
    """
    return mark_missed_supplements(today_of(now), commit_each=True)
