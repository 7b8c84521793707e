"""Revocation of licences by the approval department (撤销行政许可).

工作方案 三（四）: a breach not put right (逾期不整改或者整改后仍不符合条件) is reported by the
supervisory department, and the approval department revokes the licence; a promised material
not handed in by its deadline, or not acceptable, is revoked by the approval department, which
tells the supervisory department. Dishonesty goes to the credit platform.

A case moves only through ``_transition`` (``REVOCATION_TRANSITIONS``, conditional UPDATE,
audit), like the verification task. These functions flush and never commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import Select, func, select, update

from licensing.audit.services import record_audit
from licensing.auth.access import department_scope
from licensing.auth.models import Role, User
from licensing.cases.models import Licence, LicenceStatus, SupplementObligation
from licensing.clock import local_today, utcnow
from licensing.extensions import db
from licensing.revocation.errors import (
    InvalidRevocation,
    LicenceAlreadyRevoked,
    NoOpenRevocationCase,
    NotDecider,
    RevocationTransitionRefused,
    StaleRevocation,
)
from licensing.revocation.models import (
    REVOCATION_TRANSITIONS,
    RevocationCase,
    RevocationOrigin,
    RevocationStatus,
)
from licensing.supervision.models import VerificationTask

NOTIFY_REQUESTED = "revocation.requested"
NOTIFY_DECIDED = "revocation.decided"
NOTIFY_SUPPLEMENT = "supplement.failed"
NOTIFY_SUBMITTED = "supplement.submitted"

_MAX_TEXT = 5000

_EVENT_LABELS = {"revoke": "作出撤销决定", "dismiss": "作出不予撤销决定", "merge": "并案办结"}


def _register_notification_kinds() -> None:
    try:
        from licensing.notifications.services import register_kind
    except ModuleNotFoundError:  # pragma: no cover - the notifications domain is optional
        return
    register_kind(NOTIFY_REQUESTED, "撤销许可申请")
    register_kind(NOTIFY_DECIDED, "撤销许可决定")
    register_kind(NOTIFY_SUPPLEMENT, "补交材料未履行")
    register_kind(NOTIFY_SUBMITTED, "补交材料待审核")


_register_notification_kinds()


def acting_user(actor: User | None) -> User | None:
    """Return ``actor``, else the logged-in user of the request, else ``None``."""
    if actor is not None:
        return actor
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


def _text(value: str | None, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise InvalidRevocation(message)
    if len(text) > _MAX_TEXT:
        raise InvalidRevocation(f"内容不能超过 {_MAX_TEXT} 个字。")
    return text


def notify_department(department_id: int, roles, kind: str, title: str, body: str,
                      link: str | None, object_type: str, object_id, dedup_key: str) -> None:
    """Tell every active user of ``roles`` in a department (the notifications inbox)."""
    from licensing.notifications.services import notify_department as _notify

    _notify(department_id, roles, kind, title[:200], body, link, object_type, object_id,
            dedup_key)


# --- opening ----------------------------------------------------------------------------------


def open_revocation_case(
    licence: Licence,
    origin: RevocationOrigin | str,
    *,
    reason: str,
    task: VerificationTask | None = None,
    supplement: SupplementObligation | None = None,
    requested_by: User | None = None,
) -> RevocationCase | None:
    """Open a revocation case for the approval department; idempotent per task / supplement.

    Returns the existing case when one was opened already for the same task or supplement,
    and ``None`` (audited) when the licence is revoked already: there is nothing left to
    revoke. The approval department's approvers are notified; for a supplement the
    supervisory department is told as well (工作方案 三（四））.
    """
    origin = RevocationOrigin(origin)
    existing = None
    if task is not None:
        existing = db.session.scalar(select(RevocationCase).where(
            RevocationCase.task_id == task.id))
    elif supplement is not None:
        existing = db.session.scalar(select(RevocationCase).where(
            RevocationCase.supplement_id == supplement.id))
    if existing is not None:
        return existing
    if licence.status == LicenceStatus.revoked:
        record_audit("revocation_case.not_opened", object_type="licence", object_id=licence.id,
                     actor=requested_by,
                     changes={"origin": origin, "reason": "许可证已撤销",
                              "task_id": task.id if task else None,
                              "supplement_id": supplement.id if supplement else None})
        return None
    application = licence.application
    case_ = RevocationCase(
        licence_id=licence.id,
        application_id=application.id,
        approval_department_id=application.approval_department_id,
        supervisory_department_id=application.supervisory_department_id,
        origin=origin,
        task_id=task.id if task is not None else None,
        supplement_id=supplement.id if supplement is not None else None,
        status=RevocationStatus.requested,
        request_reason=reason[:_MAX_TEXT],
        requested_by_id=requested_by.id if requested_by is not None else None,
        requested_dt=utcnow(),
    )
    db.session.add(case_)
    db.session.flush()
    record_audit("revocation_case.requested", object_type="revocation_case", object_id=case_.id,
                 actor=requested_by,
                 changes={"licence": licence.number, "origin": origin,
                          "task_id": case_.task_id, "supplement_id": case_.supplement_id})
    notify_department(
        case_.approval_department_id, [Role.approver], NOTIFY_REQUESTED,
        f"待决定的撤销案件：{licence.number}",
        f"{origin.label}。请依法作出撤销或不予撤销的决定。",
        f"/revocations/{case_.id}", "revocation_case", case_.id, f"revocation_requested:{case_.id}")
    if origin != RevocationOrigin.supervision_breach:
        notify_department(
            case_.supervisory_department_id, [Role.head, Role.inspector], NOTIFY_SUPPLEMENT,
            f"承诺补交材料未履行：{licence.number}",
            f"{origin.label}，审批部门已立案审查是否撤销该许可。",
            None, "revocation_case", case_.id, f"supplement_failed:{case_.id}")
    return case_


# --- deciding ---------------------------------------------------------------------------------


def _transition(case_: RevocationCase, event: str, *, actor: User | None,
                expected_version: int | None = None,
                values: Mapping[str, Any] | None = None,
                changes: Mapping[str, Any] | None = None) -> None:
    sources, target = REVOCATION_TRANSITIONS[event]
    if expected_version is not None and case_.lock_version != expected_version:
        raise StaleRevocation()
    if case_.status not in sources:
        raise RevocationTransitionRefused(
            f"撤销案件当前状态为“{case_.status.label}”，不能{_EVENT_LABELS[event]}。")
    previous = case_.status
    stmt = update(RevocationCase).where(RevocationCase.id == case_.id,
                                        RevocationCase.status == previous)
    if expected_version is not None:
        stmt = stmt.where(RevocationCase.lock_version == expected_version)
    result = db.session.execute(
        stmt.values(status=target, lock_version=RevocationCase.lock_version + 1,
                    **dict(values or {}))
        .execution_options(synchronize_session=False))
    db.session.refresh(case_)
    if result.rowcount != 1:
        if expected_version is not None and case_.lock_version != expected_version:
            raise StaleRevocation()
        raise RevocationTransitionRefused(
            f"撤销案件当前状态为“{case_.status.label}”，不能{_EVENT_LABELS[event]}。")
    record_audit(f"revocation_case.{event}", object_type="revocation_case", object_id=case_.id,
                 actor=actor, changes={"status": [previous, target], **dict(changes or {})})


def _decider(case_: RevocationCase, actor: User | None) -> User:
    actor = acting_user(actor)
    if actor is None or not case_.can_decide(actor):
        raise NotDecider()
    return actor


def open_cases_of(licence: Licence) -> list[RevocationCase]:
    """Return the licence's cases awaiting a decision, oldest first."""
    return list(db.session.scalars(
        select(RevocationCase).where(RevocationCase.licence_id == licence.id,
                                     RevocationCase.status == RevocationStatus.requested)
        .order_by(RevocationCase.id)))


def letter_number(case_: RevocationCase, decided_on: date) -> str:
    """Return the number of the revocation letter: ``XZSPJ-CX-2026-000012``."""
    return f"{case_.approval_department.code.upper()}-CX-{decided_on.year}-{case_.id:06d}"


def revoke(
    licence: Licence,
    reason: str,
    *,
    legal_basis: str | None = None,
    actor: User | None = None,
    case: RevocationCase | None = None,
    decided_on: date | None = None,
    expected_version: int | None = None,
) -> RevocationCase:
    """Revoke a licence on its revocation case (撤销行政许可决定).

    ``case`` defaults to the licence's oldest case awaiting a decision (``NoOpenRevocationCase``
    when there is none: a licence is revoked here only on a reported breach or a supplement
    missed or rejected). ``legal_basis`` defaults to the basis of the case's origin. In this
    one transaction: the case becomes ``revoked`` with its letter number; the licence
    ``revoked`` with ``revoked_dt`` (the public verification page says 已撤销 at once); the
    licence's other open cases ``merged``; its verification task ``revoked`` and its open
    supplement obligations ``lapsed``; a
    ``revocation`` (local ``licence_revoked`` record) and a ``dishonesty`` push queued for the
    credit platform; the supervisory department notified. Only an approver of the licence's
    approval department may do it (``NotDecider``).
    """
    from licensing.credit.services import record_commitment_event
    from licensing.revocation.supplements import lapse_open_supplements
    from licensing.supervision.services import licence_revoked

    if case is None:
        cases = open_cases_of(licence)
        if not cases:
            if licence.status == LicenceStatus.revoked:
                raise LicenceAlreadyRevoked()
            raise NoOpenRevocationCase()
        case = cases[0]
    elif case.licence_id != licence.id:
        raise ValueError("the case belongs to another licence")
    actor = _decider(case, actor)
    reason = _text(reason, "请写明撤销理由。")
    legal_basis = (legal_basis or "").strip() or case.default_legal_basis
    if len(legal_basis) > _MAX_TEXT:
        raise InvalidRevocation(f"法律依据不能超过 {_MAX_TEXT} 个字。")
    decided_on = decided_on or local_today()
    now = utcnow()
    number = letter_number(case, decided_on)
    _transition(case, "revoke", actor=actor, expected_version=expected_version,
                values={"decision_reason": reason, "legal_basis": legal_basis,
                        "decided_by_id": actor.id, "decided_dt": now, "decided_on": decided_on,
                        "letter_number": number},
                changes={"licence": licence.number, "letter_number": number,
                         "legal_basis": legal_basis})
    result = db.session.execute(
        update(Licence).where(Licence.id == licence.id, Licence.status == LicenceStatus.valid)
        .values(status=LicenceStatus.revoked, revoked_dt=now)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise LicenceAlreadyRevoked()
    db.session.refresh(licence)
    record_audit("licence.revoked", object_type="licence", object_id=licence.id, actor=actor,
                 changes={"number": licence.number, "revocation_case_id": case.id,
                          "origin": case.origin, "status": ["valid", "revoked"]})
    for other in open_cases_of(licence):
        _transition(other, "merge", actor=actor,
                    values={"merged_into_id": case.id, "decided_by_id": actor.id,
                            "decided_dt": now, "decided_on": decided_on,
                            "decision_reason":
                                f"许可证已依第 {case.id} 号撤销案件撤销，本案一并办结。"},
                    changes={"merged_into": case.id})
    task = db.session.scalar(select(VerificationTask).where(
        VerificationTask.licence_id == licence.id))
    if task is not None:
        licence_revoked(task, actor=actor)
    lapse_open_supplements(licence, actor=actor)
    applicant = licence.applicant
    payload = {"licence": licence.number, "item": licence.item_version.code,
               "decided_on": decided_on.isoformat(), "letter_number": number,
               "origin": case.origin.value, "reason": reason, "legal_basis": legal_basis,
               "approval_department": case.approval_department.name}
    record_commitment_event(applicant, "revocation", ref=f"licence:{licence.number}",
                            payload=payload, occurred_on=decided_on,
                            summary=f"行政许可 {licence.number} 被撤销", actor=actor)
    record_commitment_event(applicant, "dishonesty", ref=f"licence:{licence.number}",
                            payload=payload, occurred_on=decided_on,
                            summary=f"违反告知承诺，行政许可 {licence.number} 被撤销", actor=actor)
    notify_department(
        case.supervisory_department_id, [Role.head, Role.inspector], NOTIFY_DECIDED,
        f"许可已撤销：{licence.number}",
        f"{case.approval_department.name}已于 {decided_on} 撤销该许可（{number}）。",
        f"/supervision/tasks/{task.id}" if task is not None else None,
        "revocation_case", case.id, f"revocation_decided:{case.id}")
    if applicant.user_id is not None:  # the applicant's online account, if it has one
        from licensing.notifications.services import notify

        notify(applicant.user_id, NOTIFY_DECIDED, f"您的行政许可已被撤销：{licence.number}",
               f"{case.approval_department.name}已于 {decided_on} 作出撤销行政许可决定"
               f"（{number}），许可证自即日起失效。",
               f"/applications/{case.application.public_id}", "licence", licence.id,
               f"licence_revoked:{licence.id}")
    return case


def dismiss(case: RevocationCase, reason: str, *, actor: User | None = None,
            expected_version: int | None = None) -> RevocationCase:
    """Decide not to revoke (不予撤销), with the reason; the supervisory department is told.

    A verification task waiting on this case is closed.
    """
    from licensing.supervision.services import revocation_dismissed

    actor = _decider(case, actor)
    reason = _text(reason, "请写明不予撤销的理由。")
    now = utcnow()
    _transition(case, "dismiss", actor=actor, expected_version=expected_version,
                values={"decision_reason": reason, "decided_by_id": actor.id, "decided_dt": now,
                        "decided_on": local_today()},
                changes={"reason": reason})
    if case.task is not None:
        revocation_dismissed(case.task, actor=actor)
    notify_department(
        case.supervisory_department_id, [Role.head, Role.inspector], NOTIFY_DECIDED,
        f"不予撤销：{case.licence.number}",
        f"{case.approval_department.name}决定不予撤销该许可。理由：{reason}",
        f"/supervision/tasks/{case.task_id}" if case.task_id else None,
        "revocation_case", case.id, f"revocation_decided:{case.id}")
    return case


# --- reading ----------------------------------------------------------------------------------


def visible_cases(user: User) -> Select:
    """Cases of the user's department: the approval department's, or the supervisory one's."""
    return department_scope(select(RevocationCase), RevocationCase.approval_department_id,
                            RevocationCase.supervisory_department_id, user=user)


def load_case(case_id: int, user: User) -> RevocationCase:
    """Load a case the user may see, or raise ``NotFound`` (404)."""
    from licensing.auth.access import get_scoped_or_404

    return get_scoped_or_404(RevocationCase, case_id, RevocationCase.approval_department_id,
                             RevocationCase.supervisory_department_id, user=user)


def count_open_cases(user: User) -> int:
    """Count the cases awaiting a decision in the user's department."""
    stmt = visible_cases(user).with_only_columns(func.count(RevocationCase.id)).where(
        RevocationCase.status == RevocationStatus.requested).order_by(None)
    return db.session.scalar(stmt) or 0


__all__ = ["count_open_cases", "dismiss", "letter_number", "load_case", "open_cases_of",
           "open_revocation_case", "revoke", "visible_cases"]
