"""Enforcement (违诺处理): breach cases, rectification, and the revocation procedure.

工作方案 三（四）: a false or broken commitment found in verification *or routine supervision*
is ordered put right by a date (责令限期整改); not put right, the supervisory department handles
it (依法依规予以查处) and tells the approval department, which revokes the licence; a missed or
unacceptable supplement is revoked by the approval department, which tells the supervisory
department. 行政许可法 第七条、第四十七条: the licensee is told of the intended revocation and
may make a statement and defence and ask for a hearing; the decision takes effect on service.

Every state change goes through ``licensing.transitions.guarded_transition`` and is audited.
These functions flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, select, update

from licensing.audit.services import record_audit
from licensing.auth.access import department_scope, get_scoped_or_404
from licensing.auth.acting import acting_user
from licensing.auth.models import Role, User
from licensing.calendar.deadlines import DeadlineRule
from licensing.calendar.services import compute_deadline
from licensing.cases import licences
from licensing.cases.models import Licence, LicenceEvent, LicenceStatus
from licensing.clock import local_today, utcnow
from licensing.credit.models import CreditRecord, CreditRecordStatus
from licensing.credit.services import record_commitment_event, refresh_risk_level
from licensing.enforcement import documents
from licensing.enforcement.errors import (
    BreachNotFound,
    BreachTransitionRefused,
    HearingPending,
    InvalidBreach,
    InvalidProcedureStep,
    InvalidRevocation,
    LicenceAlreadyRevoked,
    NoOpenRevocationCase,
    NotBreachWorker,
    NotDecider,
    NoticeRequired,
    RevocationTransitionRefused,
    StaleRevocation,
    StatementPeriodOpen,
)
from licensing.enforcement.jobs import (
    NOTIFY_BREACH,
    NOTIFY_DECIDED,
    NOTIFY_REQUESTED,
    NOTIFY_SUPPLEMENT,
)
from licensing.enforcement.models import (
    BREACH_TRANSITIONS,
    MANUAL_BREACH_ORIGINS,
    OPEN_REVOCATION_STATES,
    REVOCATION_TRANSITIONS,
    BreachCase,
    BreachOrigin,
    BreachStatus,
    Finding,
    RevocationCase,
    RevocationOrigin,
    RevocationStatus,
    ServiceMethod,
)
from licensing.enforcement.procedure import procedure_setting
from licensing.enforcement.signals import licence_revoked, revocation_reversed
from licensing.extensions import db
from licensing.notifications.services import notify
from licensing.notifications.services import notify_department as _notify_department
from licensing.supervision import services as supervision
from licensing.supervision.errors import RectificationNotDue
from licensing.supervision.models import VerificationTask
from licensing.supplements.models import SupplementObligation
from licensing.supplements.services import lapse_open_supplements
from licensing.transitions import guarded_transition

_MAX_TEXT = 5000

_EVENT_LABELS = {"notice": "告知拟撤销", "revoke": "作出撤销决定", "dismiss": "作出不予撤销决定",
                 "serve": "送达", "merge": "并案办结", "reverse": "撤回撤销决定"}
_BREACH_EVENT_LABELS = {"order_rectification": "责令限期整改", "rectified": "确认整改到位",
                        "not_rectified": "确认未整改到位"}


def notify_department(department_id: int, roles, kind: str, title: str, body: str,
                      link: str | None, object_type: str, object_id, dedup_key: str) -> None:
    """Tell every active user of ``roles`` in a department (the notifications inbox)."""
    _notify_department(department_id, roles, kind, title[:200], body, link, object_type,
                       object_id, dedup_key)


def _text(value: str | None, message: str, error=InvalidProcedureStep,
          code: str | None = None) -> str:
    text = (value or "").strip()
    if not text:
        raise error(message, code=code)
    if len(text) > _MAX_TEXT:
        raise error(f"内容不能超过 {_MAX_TEXT} 个字。", code="text_too_long")
    return text


def check_step_date(value: Any, started_on: date, label: str, error=InvalidProcedureStep) -> date:
    """Refuse a step's date that is missing, in the future, or before the case started."""
    if not isinstance(value, date):
        raise error(f"请填写{label}。", code="date_required")
    if value > local_today():
        raise error(f"{label}不能晚于今天。", code="date_in_future")
    if value < started_on:
        raise error(f"{label}不能早于案件开始之日（{started_on}）。", code="date_before_case")
    return value


# --- breach cases -------------------------------------------------------------------------------


def _breach_refused(case_: BreachCase, event: str) -> BreachTransitionRefused:
    return BreachTransitionRefused(
        f"违诺案件当前状态为“{case_.status.label}”，不能{_BREACH_EVENT_LABELS[event]}。")


def _breach_worker(case_: BreachCase, actor: User | None) -> User:
    actor = acting_user(actor)
    if actor is None or not case_.can_work(actor):
        raise NotBreachWorker()
    return actor


def open_breach_case(
    licence: Licence,
    *,
    origin: BreachOrigin | str,
    finding: Finding | str,
    facts: str,
    found_on: date,
    actor: User | None = None,
    task: VerificationTask | None = None,
) -> BreachCase:
    """Open a breach case (违诺案件) on a licence of either track, from any origin.

    ``origin``: ``verification`` (with ``task``; opened by the nonconform result),
    ``routine_inspection``, ``complaint``, ``referral`` or ``credit_recheck``; ``finding``:
    ``false_commitment`` (不实承诺) or ``breach`` (违反承诺), with the ``facts`` and reasons;
    ``found_on`` not in the future nor before the licence. A person opening it by hand must be
    an inspector or the head of the licence's supervisory department; ``actor=None`` outside a
    request is the system (a credit re-check, a signal). Idempotent per task. Refused on a
    licence no longer in force.
    """
    try:
        origin = BreachOrigin(origin)
    except ValueError:
        raise InvalidBreach("请选择违诺案件的来源。", code="origin_invalid") from None
    try:
        finding = Finding(finding)
    except ValueError:
        raise InvalidBreach("请选择违诺性质：不实承诺或违反承诺。",
                            code="finding_invalid") from None
    if origin == BreachOrigin.verification and task is None:
        raise InvalidBreach("核查发现的违诺案件由核查结果自动立案。", code="origin_invalid")
    if task is not None:
        existing = db.session.scalar(select(BreachCase).where(BreachCase.task_id == task.id))
        if existing is not None:
            return existing
    facts = _text(facts, "请写明发现的事实及认定理由。", InvalidBreach, "facts_required")
    found_on = check_step_date(found_on, licence.issued_on, "发现日期", InvalidBreach)
    application = licence.application
    actor = acting_user(actor)
    if actor is not None and task is None and not (
            actor.role in (Role.inspector, Role.head)
            and actor.department_id == application.supervisory_department_id):
        raise NotBreachWorker()
    if licence.status != LicenceStatus.valid:
        raise LicenceAlreadyRevoked("该许可证已撤销，不能再立违诺案件。")
    case_ = BreachCase(
        licence_id=licence.id, application_id=application.id,
        supervisory_department_id=application.supervisory_department_id,
        approval_department_id=application.approval_department_id,
        origin=origin, task_id=task.id if task is not None else None, finding=finding,
        facts=facts, found_on=found_on, status=BreachStatus.open,
        opened_by_id=actor.id if actor is not None else None, opened_dt=utcnow())
    if task is not None and task.judicial_transfer_ref is not None:
        # handed over before the result was pushed: the case states it from the start
        case_.judicial_transfer_ref = task.judicial_transfer_ref
        case_.judicial_transferred_on = task.judicial_transferred_on
    db.session.add(case_)
    db.session.flush()
    record_audit("breach_case.opened", object_type="breach_case", object_id=case_.id,
                 actor=actor, changes={"licence": licence.number, "origin": origin,
                                       "finding": finding, "found_on": found_on,
                                       "task_id": case_.task_id,
                                       "judicial_transfer_ref": case_.judicial_transfer_ref})
    if task is None:
        notify_department(
            case_.supervisory_department_id, [Role.head], NOTIFY_BREACH,
            f"新的违诺案件：{licence.number}（{finding.label}）",
            f"来源：{origin.label}。请依法责令限期整改。", f"/breaches/{case_.id}",
            "breach_case", case_.id, f"breach_opened:{case_.id}")
    return case_


def open_manual_breach(licence: Licence, *, origin: str, finding: str, facts: str,
                       found_on: date, actor: User | None = None) -> BreachCase:
    """Open a breach case by hand (not from a verification task): the API's and pages' path."""
    if origin not in {o.value for o in MANUAL_BREACH_ORIGINS}:
        raise InvalidBreach("违诺案件来源须为日常监管检查、投诉举报、其他机关移送或信用复核。",
                            code="origin_invalid")
    actor = acting_user(actor)
    if actor is None:
        raise NotBreachWorker()
    return open_breach_case(licence, origin=origin, finding=finding, facts=facts,
                            found_on=found_on, actor=actor)


def breach_case_of_task(task: VerificationTask) -> BreachCase | None:
    """Return the breach case opened on a task's nonconform result, if any."""
    return db.session.scalar(select(BreachCase).where(BreachCase.task_id == task.id))


def order_rectification(case_: BreachCase, due_on: date, *, requirements: str,
                        actor: User | None = None) -> BreachCase:
    """Order the breach put right by ``due_on`` (责令限期整改), with what must be put right.

    The due date must be after today. A case opened on a verification task orders through the
    task (``licensing.supervision.services.order_rectification``), which keeps the task's own
    state machine; the case follows by the ``rectification_ordered`` signal.
    """
    actor = _breach_worker(case_, actor)
    today = local_today()
    if not isinstance(due_on, date):
        raise InvalidBreach("请填写整改期限。", code="due_on_required")
    if due_on <= today:
        raise InvalidBreach("整改期限必须晚于今天。", code="due_on_not_after")
    requirements = _text(requirements, "请写明需要整改的内容。", InvalidBreach,
                         "requirements_required")
    if case_.status != BreachStatus.open:
        raise _breach_refused(case_, "order_rectification")
    if case_.task is not None:
        supervision.order_rectification(case_.task, due_on, requirements=requirements,
                                        actor=actor)
        db.session.refresh(case_)
        return case_
    _mark_rectification_ordered(case_, due_on, requirements, today, actor)
    return case_


def _mark_rectification_ordered(case_: BreachCase, due_on: date, requirements: str,
                                ordered_on: date, actor: User | None) -> None:
    # The rectification notice's number: ``WSJKJ-ZG-2026-000012``.
    number = (f"{case_.supervisory_department.code.upper()}-ZG-{ordered_on.year}-"
              f"{case_.id:06d}")
    guarded_transition(case_, "order_rectification", BREACH_TRANSITIONS,
                       refused=_breach_refused, audit_type="breach_case", actor=actor,
                       values={"rectification_due_on": due_on,
                               "rectification_requirements": requirements,
                               "rectification_ordered_on": ordered_on,
                               "rectification_number": number},
                       changes={"due_on": due_on, "number": number})
    documents.issue_rectification_notice(case_, actor=actor)


@dataclass(frozen=True)
class BreachOutcome:
    """What recording a rectification outcome produced."""

    case: BreachCase
    revocation_case: RevocationCase | None


def record_outcome(case_: BreachCase, rectified: bool, *, note: str = "",
                   reinspected_on: date | None = None, penalty_ref: str | None = None,
                   actor: User | None = None) -> BreachOutcome:
    """Record whether the breach was put right.

    Rectified: the case is closed (``rectified``). Not rectified: only after the due date
    (逾期不整改) or on a re-inspection (复查, ``reinspected_on``) that found the breach still
    there (整改后仍不符合条件), else ``RectificationNotDue``; the department's handling
    (``penalty_ref``, the penalty decision's reference where one was made) is recorded and the
    case referred to the approval department as a revocation case, whose id is returned.
    """
    actor = _breach_worker(case_, actor)
    if case_.status != BreachStatus.rectifying:
        raise _breach_refused(case_, "rectified" if rectified else "not_rectified")
    if case_.task is not None:
        result = supervision.record_rectification_outcome(
            case_.task, rectified, note=note, actor=actor, reinspected_on=reinspected_on)
        db.session.refresh(case_)
        if penalty_ref:
            record_penalty(case_, penalty_ref, actor=actor)
        return BreachOutcome(case_, result.revocation_case)
    note = (note or "").strip()
    if len(note) > _MAX_TEXT:
        raise InvalidBreach(f"内容不能超过 {_MAX_TEXT} 个字。", code="text_too_long")
    if not rectified and not note:
        raise InvalidBreach("请写明未整改到位的情况。", code="note_required")
    if reinspected_on is not None:
        check_step_date(reinspected_on, case_.rectification_ordered_on, "复查日期", InvalidBreach)
    if not rectified and reinspected_on is None and local_today() <= case_.rectification_due_on:
        raise RectificationNotDue(
            f"整改期限（{case_.rectification_due_on}）尚未届满，不能认定未整改到位。"
            "如经复查发现整改后仍不符合条件，请填写复查日期。")
    revocation = _mark_outcome(case_, rectified, note, reinspected_on, actor)
    if penalty_ref:
        record_penalty(case_, penalty_ref, actor=actor)
    return BreachOutcome(case_, revocation)


def _mark_outcome(case_: BreachCase, rectified: bool, note: str, reinspected_on: date | None,
                  actor: User | None) -> RevocationCase | None:
    guarded_transition(case_, "rectified" if rectified else "not_rectified", BREACH_TRANSITIONS,
                       refused=_breach_refused, audit_type="breach_case", actor=actor,
                       values={"outcome_note": note or None, "reinspected_on": reinspected_on,
                               "outcome_recorded_dt": utcnow(),
                               "outcome_by_id": actor.id if actor is not None else None},
                       changes={"note": note, "reinspected_on": reinspected_on})
    if rectified:
        return None
    how = ("经复查整改后仍不符合条件" if reinspected_on is not None else "逾期未整改")
    reason = (f"{case_.supervisory_department.name}于 {case_.found_on} 发现"
              f"（{case_.origin.label}，{case_.finding.label}）：{case_.facts}。"
              f"已责令于 {case_.rectification_due_on} 前整改，{how}：{note}")
    return open_revocation_case(case_.licence, RevocationOrigin.supervision_breach,
                                reason=reason, task=case_.task, breach_case=case_,
                                finding=case_.finding, requested_by=actor)


def record_penalty(case_: BreachCase, penalty_ref: str, *, actor: User | None = None
                   ) -> BreachCase:
    """Record the department's handling (依法依规予以查处): the penalty decision's reference."""
    actor = _breach_worker(case_, actor)
    penalty_ref = _text(penalty_ref, "请填写处罚决定书文号。", InvalidBreach,
                        "penalty_ref_required")
    if len(penalty_ref) > 100:
        raise InvalidBreach("处罚决定书文号不能超过100个字符。", code="text_too_long")
    case_.penalty_ref = penalty_ref
    db.session.flush()
    record_audit("breach_case.penalty", object_type="breach_case", object_id=case_.id,
                 actor=actor, changes={"penalty_ref": penalty_ref})
    return case_


def record_judicial_transfer(case_: BreachCase, reference: str, transferred_on: date, *,
                             actor: User | None = None) -> BreachCase:
    """Record a transfer to the judicial authorities (移送司法机关), at any stage, once."""
    actor = _breach_worker(case_, actor)
    reference = _text(reference, "请填写移送文书编号。", InvalidBreach, "reference_required")
    if len(reference) > 100:
        raise InvalidBreach("移送文书编号不能超过100个字符。", code="text_too_long")
    check_step_date(transferred_on, case_.found_on, "移送日期", InvalidBreach)
    if case_.judicial_transfer_ref is not None:
        raise BreachTransitionRefused("该案件已记录移送司法机关，不能重复记录。")
    return mark_judicial_transfer(case_, reference, transferred_on, actor=actor)


def mark_judicial_transfer(case_: BreachCase, reference: str, transferred_on: date, *,
                           actor: User | None) -> BreachCase:
    """Write a checked judicial transfer on the case; audited (also the task's, mirrored)."""
    case_.judicial_transfer_ref = reference
    case_.judicial_transferred_on = transferred_on
    db.session.flush()
    record_audit("breach_case.judicial_transfer", object_type="breach_case",
                 object_id=case_.id, actor=actor,
                 changes={"reference": reference, "transferred_on": transferred_on})
    return case_


def visible_breaches(user: User) -> Select:
    """Breach cases of the user's department (supervisory or approval)."""
    return department_scope(select(BreachCase), BreachCase.supervisory_department_id,
                            BreachCase.approval_department_id, user=user)


def load_breach(case_id: int, user: User) -> BreachCase:
    """Load a breach case the user may see, or raise ``BreachNotFound`` (404)."""
    case_ = db.session.scalars(visible_breaches(user).where(BreachCase.id == case_id)).first()
    if case_ is None:
        raise BreachNotFound()
    return case_


# --- revocation cases: opening ---------------------------------------------------------------


def open_revocation_case(
    licence: Licence,
    origin: RevocationOrigin | str,
    *,
    reason: str,
    task: VerificationTask | None = None,
    supplement: SupplementObligation | None = None,
    breach_case: BreachCase | None = None,
    finding: Finding | str = Finding.breach,
    requested_by: User | None = None,
) -> RevocationCase | None:
    """Open a revocation case for the approval department; idempotent per task / supplement.

    Returns the existing case when one was opened already for the same task, supplement or
    breach case, and ``None`` (audited) when the licence is revoked already. ``finding``
    decides the credit consequence on service (a supplement is always 违反承诺). The approval
    department's approvers are notified; for a supplement the supervisory department too.
    """
    origin = RevocationOrigin(origin)
    finding = Finding(finding)
    clauses = []
    if task is not None:
        clauses.append(RevocationCase.task_id == task.id)
    if supplement is not None:
        clauses.append(RevocationCase.supplement_id == supplement.id)
    if breach_case is not None:
        clauses.append(RevocationCase.breach_case_id == breach_case.id)
    for clause in clauses:
        existing = db.session.scalar(select(RevocationCase).where(clause))
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
        breach_case_id=breach_case.id if breach_case is not None else None,
        finding=finding,
        status=RevocationStatus.requested,
        request_reason=reason[:_MAX_TEXT],
        requested_by_id=requested_by.id if requested_by is not None else None,
        requested_dt=utcnow(),
    )
    db.session.add(case_)
    db.session.flush()
    record_audit("revocation_case.requested", object_type="revocation_case", object_id=case_.id,
                 actor=requested_by,
                 changes={"licence": licence.number, "origin": origin, "finding": finding,
                          "task_id": case_.task_id, "supplement_id": case_.supplement_id,
                          "breach_case_id": case_.breach_case_id})
    notify_department(
        case_.approval_department_id, [Role.approver], NOTIFY_REQUESTED,
        f"待办理的撤销案件：{licence.number}",
        f"{origin.label}。请依法告知当事人并作出撤销或不予撤销的决定。",
        f"/revocations/{case_.id}", "revocation_case", case_.id, f"revocation_requested:{case_.id}")
    if origin != RevocationOrigin.supervision_breach:
        notify_department(
            case_.supervisory_department_id, [Role.head, Role.inspector], NOTIFY_SUPPLEMENT,
            f"承诺补交材料未履行：{licence.number}",
            f"{origin.label}，审批部门已立案审查是否撤销该许可。",
            None, "revocation_case", case_.id, f"supplement_failed:{case_.id}")
    return case_


# --- revocation cases: the procedure ---------------------------------------------------------


def _refused(case_: RevocationCase, event: str) -> RevocationTransitionRefused:
    return RevocationTransitionRefused(
        f"撤销案件当前状态为“{case_.status.label}”，不能{_EVENT_LABELS[event]}。")


def _transition(case_: RevocationCase, event: str, *, actor: User | None,
                expected_version: int | None = None, values: dict | None = None,
                changes: dict | None = None) -> None:
    guarded_transition(case_, event, REVOCATION_TRANSITIONS, refused=_refused,
                       audit_type="revocation_case", actor=actor, stale=StaleRevocation,
                       expected_version=expected_version, values=values, changes=changes)


def _decider(case_: RevocationCase, actor: User | None) -> User:
    actor = acting_user(actor)
    if actor is None or not case_.can_decide(actor):
        raise NotDecider()
    return actor


def open_cases_of(licence: Licence) -> list[RevocationCase]:
    """Return the licence's running cases, oldest first."""
    return list(db.session.scalars(
        select(RevocationCase).where(RevocationCase.licence_id == licence.id,
                                     RevocationCase.status.in_(OPEN_REVOCATION_STATES))
        .order_by(RevocationCase.id)))


def letter_number(case_: RevocationCase, decided_on: date) -> str:
    """Return the number of the revocation letter: ``XZSPJ-CX-2026-000012``."""
    return f"{case_.approval_department.code.upper()}-CX-{decided_on.year}-{case_.id:06d}"


def notice_number(case_: RevocationCase, noticed_on: date) -> str:
    """Return the number of the notice of intended revocation: ``XZSPJ-NCX-2026-000012``."""
    return f"{case_.approval_department.code.upper()}-NCX-{noticed_on.year}-{case_.id:06d}"


def give_notice(case_: RevocationCase, *, facts: str, reasons: str, legal_basis: str | None,
                actor: User | None = None, expected_version: int | None = None
                ) -> RevocationCase:
    """Give the notice of intended revocation (拟撤销行政许可告知书), dated today.

    It states the facts, reasons and legal basis and the licensee's rights to make a statement
    and defence and to ask for a hearing within the statement period (a city setting, default
    5 working days; stored as a deadline with its provenance, rule ``statement_period``).
    """
    actor = _decider(case_, actor)
    facts = _text(facts, "请写明拟撤销的事实。", code="facts_required")
    reasons = _text(reasons, "请写明拟撤销的理由。", code="reasons_required")
    legal_basis = (legal_basis or "").strip() or case_.default_legal_basis
    if len(legal_basis) > _MAX_TEXT:
        raise InvalidProcedureStep(f"法律依据不能超过 {_MAX_TEXT} 个字。", code="text_too_long")
    today = local_today()
    deadline = compute_deadline(
        DeadlineRule.statement_period, start_on=today, start_event="revocation_noticed",
        working_days=int(procedure_setting("statement_period_working_days")))
    number = notice_number(case_, today)
    values = {"notice_number": number, "noticed_on": today, "notice_facts": facts,
              "notice_reasons": reasons, "notice_legal_basis": legal_basis,
              **supervision.deadline_values("statement", deadline)}
    _transition(case_, "notice", actor=actor, expected_version=expected_version, values=values,
                changes={"notice_number": number, "statement_deadline": deadline.as_dict()})
    documents.issue_notice(case_, actor=actor)
    return case_


def record_statement(case_: RevocationCase, *, received_on: date, text: str = "",
                     hearing_requested: bool = False, waives_rights: bool = False,
                     actor: User | None = None) -> RevocationCase:
    """Record the statement and defence (written, or oral and minuted), or the written waiver.

    ``received_on`` is not in the future nor before the notice; a waiver cannot ask for a
    hearing. Once per case.
    """
    actor = _decider(case_, actor)
    if case_.status != RevocationStatus.noticed:
        raise NoticeRequired("尚未送达拟撤销行政许可告知书，不能记录陈述、申辩。")
    if case_.statement_received_on is not None:
        raise RevocationTransitionRefused("已记录当事人的陈述、申辩，不能重复记录。")
    received_on = check_step_date(received_on, case_.noticed_on, "收到陈述、申辩的日期")
    text = (text or "").strip()
    if len(text) > _MAX_TEXT:
        raise InvalidProcedureStep(f"内容不能超过 {_MAX_TEXT} 个字。", code="text_too_long")
    if waives_rights and hearing_requested:
        raise InvalidProcedureStep("放弃陈述、申辩和听证权利时不能同时要求听证。",
                                   code="waiver_with_hearing")
    if not waives_rights and not text:
        raise InvalidProcedureStep("请记录陈述、申辩的内容（口头陈述的，记录笔录要点）。",
                                   code="statement_required")
    _update_case(case_, {"statement_received_on": received_on, "statement_text": text or None,
                         "hearing_requested": bool(hearing_requested),
                         "rights_waived": bool(waives_rights)})
    record_audit("revocation_case.statement", object_type="revocation_case", object_id=case_.id,
                 actor=actor, changes={"received_on": received_on,
                                       "hearing_requested": bool(hearing_requested),
                                       "rights_waived": bool(waives_rights)})
    return case_


def investigators_of(case_: RevocationCase) -> set[str]:
    """Return the names of those who investigated the case (who may not host its hearing)."""
    names: set[str] = set()
    breach = case_.breach_case
    for user in (breach.opened_by if breach else None, breach.outcome_by if breach else None,
                 case_.task.checked_by if case_.task else None,
                 case_.task.assigned_to if case_.task else None, case_.requested_by):
        if user is not None:
            names.add(user.display_name.strip())
    return names


def record_hearing(case_: RevocationCase, *, held_on: date, host: str, place: str,
                   minutes: str, actor: User | None = None) -> RevocationCase:
    """Record the hearing held at the licensee's request: date, place, host, minutes.

    The host must not be one of those who investigated the case (行政许可法 第四十八条).
    """
    actor = _decider(case_, actor)
    if case_.status != RevocationStatus.noticed or not case_.hearing_requested:
        raise RevocationTransitionRefused("当事人未要求听证，不能记录听证。")
    if case_.hearing_held_on is not None:
        raise RevocationTransitionRefused("已记录听证，不能重复记录。")
    held_on = check_step_date(held_on, case_.noticed_on, "听证日期")
    host = _text(host, "请填写听证主持人。", code="host_required")
    place = _text(place, "请填写听证地点。", code="place_required")
    minutes = _text(minutes, "请记录听证笔录要点。", code="minutes_required")
    if len(host) > 100 or len(place) > 200:
        raise InvalidProcedureStep("听证主持人或地点过长。", code="text_too_long")
    if host in investigators_of(case_):
        raise InvalidProcedureStep("听证主持人不能由调查该案件的人员担任。",
                                   code="host_investigated")
    _update_case(case_, {"hearing_held_on": held_on, "hearing_host": host,
                         "hearing_place": place, "hearing_minutes": minutes})
    record_audit("revocation_case.hearing", object_type="revocation_case", object_id=case_.id,
                 actor=actor, changes={"held_on": held_on, "host": host, "place": place})
    return case_


def _update_case(case_: RevocationCase, values: dict) -> None:
    result = db.session.execute(
        update(RevocationCase).where(RevocationCase.id == case_.id,
                                     RevocationCase.status == case_.status,
                                     RevocationCase.lock_version == case_.lock_version)
        .values(lock_version=RevocationCase.lock_version + 1, **values)
        .execution_options(synchronize_session=False))
    db.session.refresh(case_)
    if result.rowcount != 1:
        raise StaleRevocation()


def decision_blocker(case_: RevocationCase, today: date | None = None):
    """Return the error a revocation decision would meet now, or ``None`` when it may be made.

    No decision before the notice; none while a requested hearing has not been held; none
    before the statement period ends, unless the statement is in and no hearing was asked
    for, or the rights were waived.
    """
    today = today or local_today()
    if case_.status == RevocationStatus.requested or case_.noticed_on is None:
        return NoticeRequired()
    if case_.hearing_requested and case_.hearing_held_on is None:
        return HearingPending()
    in_period = today <= case_.statement_due_on
    statement_in = case_.statement_received_on is not None
    if in_period and not (case_.rights_waived or (statement_in and not case_.hearing_requested)
                          or case_.hearing_held_on is not None):
        return StatementPeriodOpen(
            f"当事人陈述、申辩和要求听证的期限至 {case_.statement_due_on} 届满，"
            "期限届满前（当事人已陈述申辩且未要求听证，或书面放弃权利的除外）不能作出撤销决定。")
    return None


def decide(case_: RevocationCase, outcome: str, reason: str, *, legal_basis: str | None = None,
           public_interest: bool = False, actor: User | None = None,
           expected_version: int | None = None) -> RevocationCase:
    """Decide: ``revoke`` (撤销, effective on service) or ``not_revoke`` (不予撤销).

    ``not_revoke`` may rest on 行政许可法 第六十九条's public-interest exception
    (``public_interest``, with its reason). A revocation is refused with ``notice_required``,
    ``statement_period_open`` or ``hearing_pending`` while the procedure does not allow it;
    it answers the statement in ``reason``. The licence stays in force until service.
    """
    if outcome == "not_revoke":
        return dismiss(case_, reason, public_interest=public_interest, actor=actor,
                       expected_version=expected_version)
    if outcome != "revoke":
        raise InvalidRevocation("请选择决定：撤销或不予撤销。", code="outcome_invalid")
    actor = _decider(case_, actor)
    if case_.status not in (RevocationStatus.requested, RevocationStatus.noticed):
        raise _refused(case_, "revoke")
    blocker = decision_blocker(case_)
    if blocker is not None:
        raise blocker
    reason = _text(reason, "请写明撤销理由（并回应当事人的陈述、申辩）。", InvalidRevocation)
    legal_basis = (legal_basis or "").strip() or case_.notice_legal_basis or \
        case_.default_legal_basis
    if len(legal_basis) > _MAX_TEXT:
        raise InvalidRevocation(f"法律依据不能超过 {_MAX_TEXT} 个字。")
    decided_on = local_today()
    number = letter_number(case_, decided_on)
    _transition(case_, "revoke", actor=actor, expected_version=expected_version,
                values={"decision_reason": reason, "legal_basis": legal_basis,
                        "decided_by_id": actor.id, "decided_dt": utcnow(),
                        "decided_on": decided_on, "letter_number": number},
                changes={"licence": case_.licence.number, "letter_number": number,
                         "legal_basis": legal_basis})
    documents.issue_revocation_letter(case_, actor=actor)
    return case_


def revoke(licence: Licence, reason: str, *, legal_basis: str | None = None,
           actor: User | None = None, case: RevocationCase | None = None,
           expected_version: int | None = None) -> RevocationCase:
    """Decide to revoke a licence on its running case (the one-step path of the first version).

    ``case`` defaults to the licence's oldest running case (``NoOpenRevocationCase`` when there
    is none). The procedure applies: without a notice it answers ``notice_required``.
    """
    if case is None:
        cases = [c for c in open_cases_of(licence) if c.status != RevocationStatus.decided]
        if not cases:
            if licence.status == LicenceStatus.revoked:
                raise LicenceAlreadyRevoked()
            raise NoOpenRevocationCase()
        case = cases[0]
    elif case.licence_id != licence.id:
        raise ValueError("the case belongs to another licence")
    return decide(case, "revoke", reason, legal_basis=legal_basis, actor=actor,
                  expected_version=expected_version)


def dismiss(case: RevocationCase, reason: str, *, public_interest: bool = False,
            actor: User | None = None, expected_version: int | None = None) -> RevocationCase:
    """Decide not to revoke (不予撤销), with the reason; the supervisory department is told.

    ``public_interest``: 行政许可法 第六十九条 — revoking would do great harm to the public
    interest. A verification task waiting on this case is closed.
    """
    actor = _decider(case, actor)
    reason = _text(reason, "请写明不予撤销的理由。", InvalidRevocation)
    _transition(case, "dismiss", actor=actor, expected_version=expected_version,
                values={"decision_reason": reason, "decided_by_id": actor.id,
                        "decided_dt": utcnow(), "decided_on": local_today(),
                        "public_interest": bool(public_interest)},
                changes={"reason": reason, "public_interest": bool(public_interest)})
    if case.task is not None:
        supervision.revocation_dismissed(case.task, actor=actor)
    notify_department(
        case.supervisory_department_id, [Role.head, Role.inspector], NOTIFY_DECIDED,
        f"不予撤销：{case.licence.number}",
        f"{case.approval_department.name}决定不予撤销该许可。理由：{reason}",
        f"/revocations/{case.id}", "revocation_case", case.id, f"revocation_decided:{case.id}")
    return case


def serve(case_: RevocationCase, *, method: str, served_on: date, receipt: str,
          actor: User | None = None, expected_version: int | None = None) -> RevocationCase:
    """Record the service (送达) of the revocation decision; the licence is revoked from then.

    ``method``: direct, post, electronic or public_notice; ``served_on`` not in the future nor
    before the decision; ``receipt`` the proof (回执). In this transaction: the licence is
    revoked (``revoke_licence_on_service``), the licence's other running cases merged, its
    verification task closed and open supplements lapsed, the credit records written by the
    finding's classification, the supervisory department and the applicant told, and
    ``licence_revoked`` sent.
    """
    actor = _decider(case_, actor)
    try:
        method = ServiceMethod(method)
    except ValueError:
        raise InvalidProcedureStep("请选择送达方式。", code="method_invalid") from None
    if case_.status != RevocationStatus.decided:
        raise _refused(case_, "serve")
    served_on = check_step_date(served_on, case_.decided_on, "送达日期")
    receipt = _text(receipt, "请填写送达回执（签收人、回执编号或公告载体）。",
                    code="receipt_required")
    _transition(case_, "serve", actor=actor, expected_version=expected_version,
                values={"service_method": method, "served_on": served_on,
                        "service_receipt": receipt, "served_by_id": actor.id,
                        "served_dt": utcnow()},
                changes={"method": method, "served_on": served_on})
    documents.issue_service_receipt(case_, actor=actor)
    licence = case_.licence
    revoke_licence_on_service(licence, case_, actor=actor)
    now_decided = case_.decided_on
    for other in open_cases_of(licence):
        _transition(other, "merge", actor=actor,
                    values={"merged_into_id": case_.id, "decided_by_id": actor.id,
                            "decided_dt": utcnow(), "decided_on": now_decided,
                            "decision_reason":
                                f"许可证已依第 {case_.id} 号撤销案件撤销，本案一并办结。"},
                    changes={"merged_into": case_.id})
    task = db.session.scalar(select(VerificationTask).where(
        VerificationTask.licence_id == licence.id))
    if task is not None:
        supervision.licence_revoked(task, actor=actor)
    lapse_open_supplements(licence, actor=actor)
    record_credit_consequences(case_, actor=actor)
    notify_department(
        case_.supervisory_department_id, [Role.head, Role.inspector], NOTIFY_DECIDED,
        f"许可已撤销：{licence.number}",
        f"{case_.approval_department.name}撤销该许可的决定（{case_.letter_number}）已于 "
        f"{served_on} 送达，许可自送达之日起撤销。",
        f"/revocations/{case_.id}", "revocation_case", case_.id, f"revocation_decided:{case_.id}")
    applicant = licence.applicant
    if applicant.user_id is not None:
        notify(applicant.user_id, NOTIFY_DECIDED, f"您的行政许可已被撤销：{licence.number}",
               f"{case_.approval_department.name}作出的撤销行政许可决定（{case_.letter_number}）"
               f"已于 {served_on} 送达，许可证自送达之日起失效。",
               f"/applications/{case_.application.public_id}", "licence", licence.id,
               f"licence_revoked:{licence.id}")
    licence_revoked.send(licence, licence=licence, case=case_, actor=actor)
    return case_


def revoke_licence_on_service(licence: Licence, case_: RevocationCase, *,
                              actor: User | None) -> None:
    """Put the licence in its revoked state (the one place that does; see #16's statuses).

    Conditional UPDATE from ``valid``: a licence revoked meanwhile raises
    ``LicenceAlreadyRevoked``. Audited as ``licence.revoked``. The licence's history gains a
    ``revoked`` version, effective on service, numbered as the decision letter.
    """
    result = db.session.execute(
        update(Licence).where(Licence.id == licence.id, Licence.status == LicenceStatus.valid)
        .values(status=LicenceStatus.revoked, revoked_dt=utcnow())
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise LicenceAlreadyRevoked()
    db.session.refresh(licence)
    record_audit("licence.revoked", object_type="licence", object_id=licence.id, actor=actor,
                 changes={"number": licence.number, "revocation_case_id": case_.id,
                          "origin": case_.origin, "served_on": case_.served_on,
                          "status": ["valid", "revoked"]})
    # the version states what the public register may: the classification, not the reasons
    licences.add_version(licence, LicenceEvent.revoked, effective_on=case_.served_on,
                         reason=case_.finding.label, actor=actor,
                         document_number=case_.letter_number)


def restore_licence_on_reversal(licence: Licence, case_: RevocationCase, *,
                                actor: User | None) -> None:
    """Put a licence whose revocation was withdrawn back in force (the reverse of the above).

    The licence's history gains a ``reinstated`` version, effective on the withdrawal.
    """
    result = db.session.execute(
        update(Licence).where(Licence.id == licence.id, Licence.status == LicenceStatus.revoked)
        .values(status=LicenceStatus.valid, revoked_dt=None)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise RevocationTransitionRefused("许可证当前不是已撤销状态。")
    db.session.refresh(licence)
    record_audit("licence.revocation_reversed", object_type="licence", object_id=licence.id,
                 actor=actor, changes={"number": licence.number, "revocation_case_id": case_.id,
                                       "status": ["revoked", "valid"]})
    licences.add_version(licence, LicenceEvent.reinstated, effective_on=case_.reversed_on,
                         reason=case_.reversal_reason, actor=actor)


def _credit_events(case_: RevocationCase) -> list[tuple[str, str, str]]:
    """``(kind, ref, summary)`` of the credit events a served case writes, by its finding."""
    number = case_.licence.number
    events = [("revocation", f"licence:{number}", f"行政许可 {number} 被撤销")]
    if case_.finding == Finding.false_commitment:
        events.append(("dishonesty", f"licence:{number}",
                       f"不实承诺（虚假承诺），行政许可 {number} 被撤销"))
    else:
        events.append(("commitment_broken", f"revocation:{case_.id}",
                       f"违反承诺，行政许可 {number} 被撤销"))
    return events


def record_credit_consequences(case_: RevocationCase, *, actor: User | None) -> None:
    """Write the credit records and queue their pushes, by the finding's classification.

    不实承诺 → ``dishonesty`` (a ``false_commitment`` record: bars the commitment track until
    repaired); 违反承诺 → ``commitment_broken`` (counts in the risk level, does not bar by
    itself). Both with ``revocation`` (``licence_revoked``). Only on service.
    """
    licence = case_.licence
    payload = {"licence": licence.number, "item": licence.item_version.code,
               "decided_on": case_.decided_on.isoformat(),
               "served_on": case_.served_on.isoformat(), "letter_number": case_.letter_number,
               "origin": case_.origin.value, "finding": case_.finding.value,
               "reason": case_.decision_reason, "legal_basis": case_.legal_basis,
               "approval_department": case_.approval_department.name}
    for kind, ref, summary in _credit_events(case_):
        record_commitment_event(licence.applicant, kind, ref=ref, payload=payload,
                                occurred_on=case_.served_on, summary=summary, actor=actor)


def reverse_revocation(case_: RevocationCase, *, reason: str, reversed_on: date,
                       actor: User | None = None) -> RevocationCase:
    """Withdraw a served revocation that was not upheld (on review, in court, or by the organ).

    The licence is in force again, and the credit records the service wrote are withdrawn
    (``withdrawn``; the risk level is recomputed). Audited; ``revocation_reversed`` is sent.
    """
    actor = _decider(case_, actor)
    reason = _text(reason, "请写明撤回撤销决定的依据（如行政复议决定书文号）。",
                   code="reason_required")
    if case_.status != RevocationStatus.revoked:
        raise _refused(case_, "reverse")
    reversed_on = check_step_date(reversed_on, case_.served_on, "撤回日期")
    _transition(case_, "reverse", actor=actor,
                values={"reversed_on": reversed_on, "reversal_reason": reason},
                changes={"reason": reason, "reversed_on": reversed_on})
    licence = case_.licence
    restore_licence_on_reversal(licence, case_, actor=actor)
    keys = [f"system:{kind}:{ref}" for kind, ref, _ in _credit_events(case_)]
    for record in db.session.scalars(select(CreditRecord).where(
            CreditRecord.dedupe_key.in_(keys),
            CreditRecord.status != CreditRecordStatus.withdrawn)):
        previous = record.status
        record.status = CreditRecordStatus.withdrawn
        db.session.flush()
        record_audit("credit.record.withdrawn", object_type="credit_record",
                     object_id=record.id, actor=actor,
                     changes={"status": [previous, "withdrawn"], "revocation_case_id": case_.id,
                              "reason": reason})
    refresh_risk_level(licence.applicant, actor=actor)
    revocation_reversed.send(licence, licence=licence, case=case_, actor=actor)
    return case_


# --- reading ----------------------------------------------------------------------------------


def visible_cases(user: User) -> Select:
    """Cases of the user's department: the approval department's, or the supervisory one's."""
    return department_scope(select(RevocationCase), RevocationCase.approval_department_id,
                            RevocationCase.supervisory_department_id, user=user)


def load_case(case_id: int, user: User) -> RevocationCase:
    """Load a case the user may see, or raise ``NotFound`` (404)."""
    return get_scoped_or_404(RevocationCase, case_id, RevocationCase.approval_department_id,
                             RevocationCase.supervisory_department_id, user=user)


def count_open_cases(user: User) -> int:
    """Count the running cases in the user's department."""
    stmt = visible_cases(user).with_only_columns(func.count(RevocationCase.id)).where(
        RevocationCase.status.in_(OPEN_REVOCATION_STATES)).order_by(None)
    return db.session.scalar(stmt) or 0


def served_revocation_of(licence: Licence) -> RevocationCase | None:
    """Return the served case that revoked the licence, if it is revoked."""
    return db.session.scalar(select(RevocationCase).where(
        RevocationCase.licence_id == licence.id,
        RevocationCase.status == RevocationStatus.revoked))


__all__ = [
    "BreachOutcome", "breach_case_of_task", "count_open_cases", "decide", "decision_blocker",
    "dismiss", "give_notice", "letter_number", "load_breach", "load_case", "open_breach_case",
    "open_cases_of", "open_manual_breach", "open_revocation_case", "order_rectification",
    "record_credit_consequences", "record_hearing", "record_judicial_transfer",
    "record_outcome", "record_penalty", "record_statement", "reverse_revocation", "revoke",
    "revoke_licence_on_service", "serve", "served_revocation_of", "visible_breaches",
    "visible_cases",
]
