"""What the enforcement domain does when supervision or supplements tell it something happened.

The lower domains send signals inside their own transaction; these receivers flush and never
commit, so both sides commit or roll back together.
"""

from __future__ import annotations

from licensing.cases.licences import public_status
from licensing.cases.models import LicenceStatus
from licensing.cases.signals import licence_credit_barred
from licensing.clock import local_today
from licensing.enforcement import services
from licensing.enforcement.models import BreachOrigin, BreachStatus, Finding, RevocationOrigin
from licensing.supervision.signals import (
    inspection_found_breach,
    judicial_transfer_recorded,
    nonconform_result_pushed,
    rectification_ordered,
    rectification_outcome_recorded,
)
from licensing.supplements.signals import supplement_broken


@nonconform_result_pushed.connect
def _open_breach_of_task(sender, *, task, actor=None, **_):
    """Any verification task's nonconform result opens its breach case (routine tasks too)."""
    return services.open_breach_case(
        task.licence, origin=BreachOrigin.verification, finding=task.finding or Finding.breach,
        facts=task.findings or "", found_on=task.checked_on, actor=actor, task=task)


@rectification_ordered.connect
def _mirror_order(sender, *, task, order, actor=None, **_):
    """The task's rectification order is the breach case's."""
    case_ = services.breach_case_of_task(task)
    if case_ is None or case_.status != BreachStatus.open:
        return None
    services._mark_rectification_ordered(case_, order.rectification_due_on,
                                         order.requirements or "", order.ordered_on, actor)
    return case_


@rectification_outcome_recorded.connect
def _mirror_outcome(sender, *, task, order, rectified, note, reinspected_on, actor=None, **_):
    """Close the task's breach case, or refer it for revocation (returns the revocation case)."""
    case_ = services.breach_case_of_task(task)
    if case_ is None:  # a task from before enforcement: refer the task itself
        if rectified:
            return None
        return services.open_revocation_case(
            task.licence, RevocationOrigin.supervision_breach, task=task,
            reason=f"核查发现：{task.findings}。已责令于 {order.rectification_due_on} 前整改，"
                   f"未整改到位：{note}", finding=task.finding or Finding.breach,
            requested_by=actor)
    if case_.status != BreachStatus.rectifying:
        return None
    return services._mark_outcome(case_, rectified, note, reinspected_on, actor)


@judicial_transfer_recorded.connect
def _mirror_judicial_transfer(sender, *, task, reference, transferred_on, actor=None, **_):
    """The task's transfer to the judicial authorities is its breach case's (counted once)."""
    case_ = services.breach_case_of_task(task)
    if case_ is None or case_.judicial_transfer_ref is not None:
        return None
    return services.mark_judicial_transfer(case_, reference, transferred_on, actor=actor)


@supplement_broken.connect
def _open_supplement_case(sender, *, obligation, origin, reason, actor=None, **_):
    """A missed or rejected supplement opens a revocation case, classified 违反承诺."""
    return services.open_revocation_case(
        obligation.licence, RevocationOrigin(origin), supplement=obligation, reason=reason,
        finding=Finding.breach, requested_by=actor)


@inspection_found_breach.connect
def _open_breach_of_routine_inspection(sender, *, licence, findings, found_on, actor=None,
                                       finding=None, **_):
    """A routine inspection (日常监管检查) that finds a breach opens a breach case.

    The inspector's classification (required by ``record_routine_result``) goes with it;
    a sender that gives none gets 违反承诺, the lesser finding.
    """
    if public_status(licence) != LicenceStatus.valid:
        return None
    return services.open_breach_case(
        licence, origin=BreachOrigin.routine_inspection, finding=finding or Finding.breach,
        facts=findings or "", found_on=found_on, actor=actor)


@licence_credit_barred.connect
def _open_breach_of_credit_recheck(sender, *, licence, reasons, **_):
    """A credit re-check that finds the licensee barred opens a breach case (credit_recheck).

    The commitment was decided on a degraded check; the supervisory department classifies
    the finding. Opened as 违反承诺 (it bars nothing by itself) with the re-check's reasons
    as the facts. Nothing to do for an application not approved or a licence no longer in
    force.
    """
    if licence is None or public_status(licence) != LicenceStatus.valid:
        return None
    return services.open_breach_case(
        licence, origin=BreachOrigin.credit_recheck, finding=Finding.breach,
        facts="信用信息共享平台恢复后复核发现：" + "；".join(reasons),
        found_on=local_today())
