"""Verification tasks: opened by the decision, worked by the supervisory department.

Every change of a task's state goes through ``_transition``: the step must be allowed from the
current state by ``TASK_TRANSITIONS`` (else ``TaskTransitionRefused``), the row is moved by a
conditional ``UPDATE ... WHERE status = <the state read>`` (and ``AND lock_version = <the
form's>`` when a form is behind it), so of two people acting at once exactly one succeeds and
the other gets a clear refusal, and the step is audited in the same function. Like every
service these functions flush and never commit.

The policy (工作方案 三（三）（四）): the supervisory department checks on site within the
deadline, pushes the result to the approval department within 5 working days after the check,
orders a breach put right by a date (限期整改), asks the approval department to revoke when it is
not put right, and hands a suspected crime to the judicial authorities (移送司法机关).
"""

from __future__ import annotations

import functools
import re
from calendar import monthrange
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, BinaryIO, NamedTuple

from sqlalchemy import (
    Date,
    Select,
    and_,
    case,
    cast,
    false,
    func,
    null,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import joinedload, selectinload

from licensing.applicants.models import Applicant, ApplicantKind
from licensing.audit.services import id_of, record_audit
from licensing.auth.access import department_scope, get_scoped_or_404
from licensing.auth.acting import acting_user
from licensing.auth.models import Role, User
from licensing.calendar.core import CalendarRangeError
from licensing.calendar.deadlines import Deadline, DeadlineRule
from licensing.calendar.errors import CalendarNotLoaded, CalendarOutOfRange
from licensing.calendar.models import DEADLINE_FIELDS
from licensing.calendar.services import compute_deadline, due, get_calendar
from licensing.cases.models import Licence
from licensing.catalogue.models import ItemVersion, MovedCheck, VerificationMethod
from licensing.clock import local_today, utcnow
from licensing.credit.services import record_commitment_event
from licensing.errors import DomainError, Forbidden, NotFound
from licensing.event_dates import check_event_date
from licensing.extensions import db
from licensing.notifications.services import notify, notify_department
from licensing.supervision.errors import (
    InvalidAssignee,
    InvalidRectification,
    InvalidResult,
    JudicialTransferInvalid,
    NotYourTask,
    RectificationNotDue,
    RectificationTransitionRefused,
    StaleTask,
    TaskTransitionRefused,
)
from licensing.supervision.jobs import NOTIFY_ASSIGNED, NOTIFY_RESULT_PUSHED
from licensing.supervision.models import (
    ACTIVE_TASK_STATES,
    RECTIFICATION_TRANSITIONS,
    TASK_EVENT_LABELS,
    TASK_TRANSITIONS,
    TERMINAL_TASK_STATES,
    ChecklistVerdict,
    Outcome,
    RectificationOrder,
    RectificationStatus,
    RoutineInspection,
    TaskEvidence,
    TaskStatus,
    VerificationTask,
    due_date_of,
)
from licensing.supervision.signals import (
    inspection_found_breach,
    judicial_transfer_recorded,
    nonconform_result_pushed,
    rectification_ordered,
    rectification_outcome_recorded,
)
from licensing.transitions import allowed_events as _allowed_events
from licensing.transitions import guarded_transition
from licensing.uploads import store_upload
from licensing.url_ints import MAX_INT, parse_id

#: A deadline within this many working days from today is "due soon" (临期).
DUE_SOON_WORKING_DAYS = 5
_MAX_TEXT = 5000


# --- helpers ----------------------------------------------------------------------------------


_actor = acting_user


def _require_worker(task: VerificationTask, actor: User | None) -> User:
    actor = _actor(actor)
    if actor is None or not task.can_work(actor):
        if actor is not None and task.in_department(actor) and actor.role == Role.inspector:
            raise NotYourTask()
        raise NotYourTask("只有该任务所属监管部门的监管人员或负责人可以办理。")
    return actor


def _clean(text: str | None, limit: int = _MAX_TEXT) -> str:
    value = (text or "").strip()
    if len(value) > limit:
        raise InvalidResult(f"内容不能超过 {limit} 个字。", code="text_too_long")
    return value


def deadline_values(prefix: str, deadline: Deadline | None) -> dict[str, Any]:
    """Return the ``{prefix}_*`` column values of a deadline, for an ``UPDATE``."""
    return {f"{prefix}_{name}": (getattr(deadline, name) if deadline is not None else None)
            for name in DEADLINE_FIELDS}


def refused(task: VerificationTask, event: str) -> TaskTransitionRefused:
    """Return the refusal of ``event`` in the task's current state, in Chinese."""
    return TaskTransitionRefused(
        f"核查任务当前状态为“{task.status.label}”，不能{TASK_EVENT_LABELS[event]}。")


def allowed_events(task: VerificationTask) -> list[str]:
    """Return the events the task's state machine allows now (for the task page)."""
    return _allowed_events(task, TASK_TRANSITIONS)


def _transition(task: VerificationTask, event: str, *, actor: User | None,
                expected_version: int | None = None, values: Mapping[str, Any] | None = None,
                changes: Mapping[str, Any] | None = None) -> None:
    """Move the task by ``event``, under a row lock, and audit it (see the module docstring)."""
    guarded_transition(task, event, TASK_TRANSITIONS, refused=refused,
                       audit_type="verification_task", actor=actor, stale=StaleTask,
                       expected_version=expected_version, values=values, changes=changes)


def _update_task(task: VerificationTask, *, allowed: Iterable[TaskStatus], event: str,
                 expected_version: int | None, values: Mapping[str, Any],
                 extra_where=None) -> None:
    """Change a task's fields without a change of state (assignment, judicial transfer)."""
    allowed = tuple(allowed)
    if expected_version is not None and task.lock_version != expected_version:
        raise StaleTask()
    if task.status not in allowed:
        raise refused(task, event)
    stmt = update(VerificationTask).where(VerificationTask.id == task.id,
                                          VerificationTask.status.in_(allowed))
    if expected_version is not None:
        stmt = stmt.where(VerificationTask.lock_version == expected_version)
    if extra_where is not None:
        stmt = stmt.where(extra_where)
    result = db.session.execute(
        stmt.values(lock_version=VerificationTask.lock_version + 1, **dict(values))
        .execution_options(synchronize_session=False))
    db.session.refresh(task)
    if result.rowcount != 1:
        if expected_version is not None and task.lock_version != expected_version:
            raise StaleTask()
        raise refused(task, event)


def _notify_department(department_id: int, roles, kind: str, title: str, body: str,
                       link: str | None, object_type: str, object_id, dedup_key: str) -> None:

    notify_department(department_id, roles, kind, title[:200], body, link, object_type,
                      object_id, dedup_key)


# --- opening ----------------------------------------------------------------------------------


def open_verification_task(application, licence, deadline: Deadline) -> VerificationTask:
    """Push a freshly licensed commitment case to its supervisory department as a task.

    Called inside the decision's transaction; the checks the item moved after the decision
    (site survey, expert review, inspection) travel with the task.
    """
    version = application.item_version
    task = VerificationTask(
        licence=licence,
        application=application,
        supervisory_department_id=application.supervisory_department_id,
        approval_department_id=application.approval_department_id,
        item_version_id=application.item_version_id,
        status=TaskStatus.open,
        moved_checks=list(version.moved_checks or []),
    )
    task.verification_deadline = deadline
    # No flush of its own: the task, and the new licence before it, go in with the decision's
    # documents (issue 18); the entry names their ids when it is written.
    db.session.add(task)
    record_audit("verification_task.opened", object_type="verification_task",
                 object_id=id_of(task), changes={"licence_id": id_of(licence),
                                             "deadline": deadline.as_dict()})
    return task


# --- assignment -------------------------------------------------------------------------------


def assignable_inspectors(task: VerificationTask) -> list[User]:
    """Return the active inspectors of the task's supervisory department, by name."""
    return list(db.session.scalars(
        select(User).where(User.role == Role.inspector, User.active.is_(True),
                           User.department_id == task.supervisory_department_id)
        .order_by(User.display_name, User.id)))


def assign_task(task: VerificationTask, inspector: User, *, actor: User | None = None,
                expected_version: int | None = None) -> VerificationTask:
    """Assign (or reassign) a task to an inspector of its own department; the head does it.

    Refused: by anyone but the head of the task's supervisory department (``Forbidden``); to
    someone who is not an active inspector of that department (``InvalidAssignee``); on a
    task already closed (``TaskTransitionRefused``); on a stale form (``StaleTask``).
    Audited as ``verification_task.assigned``; the inspector is notified.
    """
    actor = _actor(actor)
    if actor is None or not task.can_assign(actor):
        raise Forbidden("只有本监管部门的负责人可以分派核查任务。")
    if (inspector is None or inspector.role != Role.inspector or not inspector.active
            or inspector.department_id != task.supervisory_department_id):
        raise InvalidAssignee()
    previous = task.assigned_to_id
    if previous == inspector.id:
        return task
    _update_task(task, allowed=ACTIVE_TASK_STATES, event="assign",
                 expected_version=expected_version,
                 values={"assigned_to_id": inspector.id, "assigned_dt": utcnow()})
    record_audit("verification_task.assigned", object_type="verification_task",
                 object_id=task.id, actor=actor,
                 changes={"assigned_to": [previous, inspector.id],
                          "reassigned": previous is not None})

    notify(inspector, NOTIFY_ASSIGNED, f"新的核查任务：{task.licence.number}",
           f"{task.item_version.name}，核查期限 {task.verification_due_on}。",
           f"/supervision/tasks/{task.id}", "verification_task", task.id,
           f"task_assigned:{task.id}:{inspector.id}")
    return task


# --- the result -------------------------------------------------------------------------------


def checklist_items(task: VerificationTask) -> list[str]:
    """Return what the check covers: the item's checklist (核查要点), then the moved checks.

    The checks moved after the decision (现场勘验, 专家评审, 检验检疫) are part of this task
    (工作方案 三（二）), so they are ticked off with the rest.
    """
    items = [str(entry) for entry in (task.item_version.verification_checklist or [])]
    return items + [f"{label}（审批后实施）" for label in moved_check_labels(task)]


def open_supplements(task: VerificationTask) -> list:
    """The promised supplements of the task's case not yet handed in and accepted.

    A conform check does not settle them: each stays open until it is handed in and
    accepted, or lapses by its own deadline.
    """
    return [s for s in task.application.supplements if s.is_open]


def working_days_left(task: VerificationTask, today: date | None = None) -> int | None:
    """Working days from today to the task's current due date (negative when overdue)."""

    due_on = task.current_due_on
    if due_on is None:
        return None
    try:
        return get_calendar().working_days_between(today or local_today(), due_on)
    except (CalendarRangeError, CalendarNotLoaded, CalendarOutOfRange):
        return None


def verification_method_label(task: VerificationTask) -> str:
    """Return how the item's commitment is checked (现场核查 / 书面核查 / 网上核查)."""
    method = task.item_version.verification_method
    try:
        return VerificationMethod(method).label
    except ValueError:
        return str(method)


def moved_check_labels(task: VerificationTask) -> list[str]:
    """Return the labels of the checks moved after the decision."""
    labels = []
    for value in task.moved_checks or []:
        try:
            labels.append(MovedCheck(value).label)
        except ValueError:
            labels.append(str(value))
    return labels


def _verdict(value) -> ChecklistVerdict | None:
    if value is True:
        return ChecklistVerdict.conform
    if value is False:
        return ChecklistVerdict.nonconform
    try:
        return ChecklistVerdict(value) if value else None
    except ValueError:
        raise InvalidResult("核查要点的结论只能是符合、不符合或不适用。",
                            code="checklist_verdict_invalid") from None


def _normalise_checklist(task: VerificationTask,
                         answers: Mapping[str, Any] | Iterable[str] | None) -> list[dict] | None:
    """Return the checklist as answered: a verdict (or ``None``) for every point, in order.

    ``answers`` maps a point to its verdict (``ChecklistVerdict`` value; ``True``/``False``
    for 符合/不符合), or lists the points found 符合.
    """
    if answers is None:
        return None
    items = checklist_items(task)
    if isinstance(answers, Mapping):
        marks = {str(k): _verdict(v) for k, v in answers.items()}
    else:
        marks = {str(k): ChecklistVerdict.conform for k in answers}
    return [{"item": item, "verdict": marks[item].value if marks.get(item) else None,
             "ok": marks.get(item) == ChecklistVerdict.conform} for item in items]


def check_checklist(outcome: Outcome, checklist: list[dict] | None) -> None:
    """「符合承诺」 needs every point answered and none 不符合; refuse anything else."""
    if checklist is None or outcome != Outcome.conform:
        return
    unanswered = [c["item"] for c in checklist if not c["verdict"]]
    if unanswered:
        raise InvalidResult(
            f"结论为符合承诺时，每个核查要点都须作出结论（符合、不符合或不适用）。"
            f"尚未作出结论：{'、'.join(unanswered)}。", code="checklist_incomplete")
    failed = [c["item"] for c in checklist if c["verdict"] == ChecklistVerdict.nonconform]
    if failed:
        raise InvalidResult(
            f"核查要点“{'、'.join(failed)}”不符合，结论不能为符合承诺。",
            code="checklist_contradicts_outcome")


def record_result(
    task: VerificationTask,
    outcome: Outcome | str,
    findings: str | None,
    checked_on: date,
    *,
    actor: User | None = None,
    checklist: Mapping[str, Any] | Iterable[str] | None = None,
    push: bool = True,
    expected_version: int | None = None,
    finding: str | None = None,
) -> Deadline:
    """Record the result of the on-site check; return its result-push deadline.

    ``outcome`` is ``conform`` or ``nonconform`` (findings required); ``checked_on`` the day
    the check ended (not in the future, not before the licence). The task becomes
    ``checked`` and gets its ``result_push`` deadline: 5 working days after ``checked_on``
    (rule ``result_push_5``, 工作方案 三（三）). With ``push`` (the default, see
    docs/decisions/0010-supervision-state-machines-and-result-push.md) the result is pushed
    to the approval department in the same transaction (``push_result``). An unassigned task
    is assigned to the inspector who records it.
    """
    actor = _require_worker(task, actor)
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise InvalidResult("请选择核查结果：符合承诺或不符合承诺。",
                            code="outcome_required") from None
    findings = _clean(findings)
    if outcome == Outcome.nonconform and not findings:
        raise InvalidResult("核查不符合承诺时，必须写明发现的问题。", code="findings_required")
    if outcome == Outcome.nonconform:
        # Unstated, the milder classification: 违反承诺 (the licensee keeps the commitment
        # track); 不实承诺 must be stated by the department.
        finding = finding or "breach"
        if finding not in ("false_commitment", "breach"):
            raise InvalidResult("请选择违诺性质：不实承诺或违反承诺。", code="finding_invalid")
    else:
        finding = None
    if not isinstance(checked_on, date):
        raise InvalidResult("请填写核查日期。", code="checked_on_required")
    checklist = _normalise_checklist(task, checklist)
    check_checklist(outcome, checklist)
    today = local_today()
    if checked_on > today:
        raise InvalidResult("核查日期不能晚于今天。", code="checked_on_future")
    if checked_on < task.licence.issued_on:
        raise InvalidResult("核查日期不能早于许可决定日期。", code="checked_on_before_licence")
    if task.status != TaskStatus.open:
        raise refused(task, "record_result")
    push_deadline = compute_deadline(DeadlineRule.result_push_5, start_on=checked_on,
                                     start_event="verification_checked")
    values: dict[str, Any] = {
        "outcome": outcome,
        "checked_on": checked_on,
        "findings": findings or None,
        "finding": finding,
        "checklist": checklist,
        "checked_by_id": actor.id,
        "result_recorded_dt": utcnow(),
        **deadline_values("result_push", push_deadline),
    }
    if task.assigned_to_id is None and actor.role == Role.inspector:
        values.update(assigned_to_id=actor.id, assigned_dt=utcnow())
    late_check = task.verification_due_on is not None and checked_on > task.verification_due_on
    _transition(task, "record_result", actor=actor, expected_version=expected_version,
                values=values,
                changes={"outcome": outcome, "checked_on": checked_on,
                         "checked_after_deadline": late_check,
                         "result_push_deadline": push_deadline.as_dict()})
    if push:
        push_result(task, actor=actor)
    return push_deadline


def push_result(task: VerificationTask, *, actor: User | None = None,
                expected_version: int | None = None) -> VerificationTask:
    """Push a recorded result to the approval department (核查信息推送).

    The result then shows in the approval department's inbox (``results_for_approval``) and
    its approvers are notified; ``pushed_late`` is set when today is after the push deadline.
    A conform result closes the task and queues ``commitment_kept`` for the credit platform; a
    nonconform one moves it to ``breach`` (a rectification order is next) and sends
    ``nonconform_result_pushed``: the enforcement domain opens the task's breach case.
    """
    actor = _require_worker(task, actor)
    if task.status != TaskStatus.checked:
        raise refused(task, "push_conform")
    now = utcnow()
    late = local_today() > task.result_push_due_on
    conform = task.outcome == Outcome.conform
    event = "push_conform" if conform else "push_nonconform"
    values: dict[str, Any] = {"pushed_dt": now, "pushed_by_id": actor.id, "pushed_late": late}
    if conform:
        values["closed_dt"] = now
    _transition(task, event, actor=actor, expected_version=expected_version, values=values,
                changes={"pushed_late": late, "result_push_due_on": task.result_push_due_on})
    licence = task.licence
    payload = {"licence": licence.number, "item": task.item_version.code,
               "checked_on": task.checked_on.isoformat(),
               "supervisory_department": task.supervisory_department.name}
    if conform:
        record_commitment_event(licence.applicant, "commitment_kept", ref=f"task:{task.id}",
                                payload=payload, occurred_on=task.checked_on,
                                summary="承诺经现场核查属实", actor=actor)
    else:
        # The breach case (enforcement) is opened here; its credit consequence follows the
        # revocation's service, never the finding alone.
        nonconform_result_pushed.send(task, task=task, actor=actor)
    late_note = "（超过推送期限）" if late else ""
    _notify_department(
        task.approval_department_id, [Role.approver], NOTIFY_RESULT_PUSHED,
        f"核查结果{late_note}：{licence.number} {task.outcome.label}",
        f"{task.supervisory_department.name}于 {task.checked_on} 完成核查：{task.outcome.label}。",
        "/approvals/results", "verification_task", task.id, f"result_pushed:{task.id}")
    return task


# --- breach: rectification, judicial transfer ---------------------------------------------------


def rectification_working_days(ordered_on: date, due_on: date) -> int:
    """Return the working days an order given on ``ordered_on`` grants up to ``due_on``.

    A due date that is not a working day carries over to the next working day (a period ending
    on a holiday ends on the day after it), so the count includes that day.
    """
    calendar = get_calendar()
    try:
        n = calendar.working_days_between(ordered_on, due_on)
        if not calendar.is_working_day(due_on):
            n += 1
    except ValueError as exc:  # CalendarRangeError
        raise InvalidRectification(str(exc)) from None
    return max(n, 1)


@dataclass(frozen=True)
class RectificationResult:
    """What recording a rectification outcome produced."""

    order: RectificationOrder
    revocation_case: Any | None  # licensing.enforcement.models.RevocationCase


def order_rectification(
    task: VerificationTask,
    due_on: date,
    *,
    requirements: str = "",
    actor: User | None = None,
    ordered_on: date | None = None,
    expected_version: int | None = None,
) -> RectificationOrder:
    """Order a breach put right by ``due_on`` (责令限期整改); the task becomes ``rectifying``.

    The due date is stored as a legal deadline (rule ``rectification``, counted in working
    days from the order's date; one falling on a day off carries over to the next working
    day). Refused unless the task is in ``breach`` (nonconform result pushed).
    """
    actor = _require_worker(task, actor)
    ordered_on = ordered_on or local_today()
    if not isinstance(due_on, date):
        raise InvalidRectification("请填写整改期限。", code="due_on_required")
    if due_on <= ordered_on:
        raise InvalidRectification("整改期限必须晚于责令整改之日。", code="due_on_not_after")
    if task.status != TaskStatus.breach:
        raise refused(task, "order_rectification")
    requirements = _clean(requirements)
    deadline = compute_deadline(DeadlineRule.rectification, start_on=ordered_on,
                                start_event="rectification_ordered",
                                working_days=rectification_working_days(ordered_on, due_on))
    order = RectificationOrder(task=task, requirements=requirements,
                               ordered_on=ordered_on, ordered_by_id=actor.id)
    order.rectification_deadline = deadline
    db.session.add(order)
    _transition(task, "order_rectification", actor=actor, expected_version=expected_version,
                changes={"rectification_due_on": deadline.due_on})
    db.session.flush()
    record_audit("rectification.ordered", object_type="rectification", object_id=order.id,
                 actor=actor, changes={"task_id": task.id, "deadline": deadline.as_dict(),
                                       "requested_due_on": due_on})
    rectification_ordered.send(task, task=task, order=order, actor=actor)
    return order


def _rectification_refused(order: RectificationOrder, event: str):
    return RectificationTransitionRefused(
        f"整改通知当前状态为“{order.status.label}”，不能再记录整改结果。")


def _transition_rectification(order: RectificationOrder, event: str, *, actor: User,
                              values: Mapping[str, Any]) -> None:
    guarded_transition(order, event, RECTIFICATION_TRANSITIONS, refused=_rectification_refused,
                       audit_type="rectification", actor=actor, values=values,
                       changes={"task_id": order.task_id})


def record_rectification_outcome(
    task: VerificationTask,
    rectified: bool,
    *,
    note: str = "",
    actor: User | None = None,
    expected_version: int | None = None,
    reinspected_on: date | None = None,
) -> RectificationResult:
    """Record whether the breach was put right.

    Rectified: the order is ``rectified`` and the task ``closed``. Not rectified: only after
    the due date (逾期不整改), or before it on a re-inspection (复查, ``reinspected_on``) that
    found the breach still there (整改后仍不符合条件); else ``RectificationNotDue``. The order
    is then ``failed``, the task ``revocation_requested``, and ``rectification_outcome_recorded``
    tells the enforcement domain, which refers the task's breach case for revocation.
    """
    actor = _require_worker(task, actor)
    order = task.rectification
    if order is None or task.status != TaskStatus.rectifying:
        raise refused(task, "rectified" if rectified else "not_rectified")
    note = _clean(note)
    if not rectified and not note:
        raise InvalidResult("请写明未整改到位的情况。", code="note_required")
    today = local_today()
    if reinspected_on is not None:
        if not isinstance(reinspected_on, date):
            raise InvalidResult("请填写复查日期。", code="reinspected_on_invalid")
        if reinspected_on > today:
            raise InvalidResult("复查日期不能晚于今天。", code="date_in_future")
        if reinspected_on < order.ordered_on:
            raise InvalidResult("复查日期不能早于责令整改之日。", code="date_before_case")
    if not rectified and reinspected_on is None and today <= order.rectification_due_on:
        raise RectificationNotDue(
            f"整改期限（{order.rectification_due_on}）尚未届满，不能认定未整改到位。"
            "如经复查发现整改后仍不符合条件，请填写复查日期。")
    now = utcnow()
    _transition_rectification(order, "rectified" if rectified else "not_rectified", actor=actor,
                              values={"outcome_note": note or None, "outcome_recorded_dt": now,
                                      "outcome_by_id": actor.id,
                                      "reinspected_on": reinspected_on})
    if rectified:
        _transition(task, "rectified", actor=actor, expected_version=expected_version,
                    values={"closed_dt": now})
    else:
        _transition(task, "not_rectified", actor=actor, expected_version=expected_version,
                    changes={"note": note, "reinspected_on": reinspected_on})
    results = rectification_outcome_recorded.send(
        task, task=task, order=order, rectified=rectified, note=note,
        reinspected_on=reinspected_on, actor=actor)
    case_ = next((value for _, value in results if value is not None), None)
    return RectificationResult(order, case_)


def record_judicial_transfer(task: VerificationTask, reference: str, transferred_on: date,
                             *, note: str = "", actor: User | None = None) -> VerificationTask:
    """Record that a suspected crime was handed to the judicial authorities (移送司法机关).

    Only for a nonconform result, once per task. ``reference`` is the transfer document's
    number (移送文书编号). Audited as ``verification_task.judicial_transfer``.
    """
    actor = _require_worker(task, actor)
    reference = (reference or "").strip()
    if not reference or len(reference) > 100 or not isinstance(transferred_on, date):
        raise JudicialTransferInvalid()
    check_event_date(transferred_on, label="移送日期", not_before=task.licence.issued_on,
                     not_before_label="许可决定日期")
    if task.outcome != Outcome.nonconform:
        raise TaskTransitionRefused("只有核查不符合承诺的任务才能记录移送司法机关。")
    if task.judicial_transfer_ref is not None:
        raise TaskTransitionRefused("该任务已记录移送司法机关，不能重复记录。")
    allowed = [s for s in TaskStatus if s != TaskStatus.open]
    _update_task(task, allowed=allowed, event="judicial_transfer", expected_version=None,
                 values={"judicial_transfer_ref": reference,
                         "judicial_transferred_on": transferred_on,
                         "judicial_transfer_note": _clean(note) or None},
                 extra_where=VerificationTask.judicial_transfer_ref.is_(None))
    record_audit("verification_task.judicial_transfer", object_type="verification_task",
                 object_id=task.id, actor=actor,
                 changes={"reference": reference, "transferred_on": transferred_on})
    judicial_transfer_recorded.send(task, task=task, reference=reference,
                                    transferred_on=transferred_on, actor=actor)
    return task


# --- called by the revocation domain ------------------------------------------------------------


def licence_revoked(task: VerificationTask, *, actor: User | None) -> bool:
    """Move the task to ``revoked`` after its licence was revoked; False if already closed."""
    if task.status in TERMINAL_TASK_STATES:
        return False
    _transition(task, "licence_revoked", actor=actor, values={"closed_dt": utcnow()})
    return True


def revocation_dismissed(task: VerificationTask, *, actor: User | None) -> bool:
    """Close the task after the approval department decided not to revoke."""
    if task.status != TaskStatus.revocation_requested:
        return False
    _transition(task, "revocation_dismissed", actor=actor, values={"closed_dt": utcnow()})
    return True


# --- evidence ---------------------------------------------------------------------------------


def add_evidence(task: VerificationTask, stream: BinaryIO, filename: str | None, *,
                 note: str = "", actor: User | None = None) -> TaskEvidence:
    """Store a photo or PDF as evidence of the task (type by content, size limited, hashed).

    Refused on a task already closed or revoked. Audited with the file's SHA-256.
    """
    actor = _require_worker(task, actor)
    if task.status in TERMINAL_TASK_STATES:
        raise TaskTransitionRefused(f"核查任务已{task.status.label}，不能再上传证据。")
    stored = store_upload(stream, filename, "evidence")
    evidence = TaskEvidence(task_id=task.id, stored_name=stored.stored_name,
                            original_name=stored.original_name,
                            content_type=stored.content_type, size_bytes=stored.size_bytes,
                            sha256=stored.sha256, note=_clean(note, 500),
                            uploaded_by_id=actor.id, uploaded_dt=utcnow())
    db.session.add(evidence)
    db.session.flush()
    record_audit("verification_task.evidence_added", object_type="verification_task",
                 object_id=task.id, actor=actor,
                 changes={"evidence_id": evidence.id, "sha256": stored.sha256,
                          "content_type": stored.content_type, "size_bytes": stored.size_bytes})
    return evidence


# --- reading: labels ---------------------------------------------------------------------------

ACTION_LABELS = {
    "verification_task.opened": "推送核查任务",
    "verification_task.assigned": "分派核查人员",
    "verification_task.record_result": "记录核查结果",
    "verification_task.push_conform": "推送核查结果（符合承诺）",
    "verification_task.push_nonconform": "推送核查结果（不符合承诺）",
    "verification_task.order_rectification": "责令限期整改",
    "verification_task.rectified": "整改到位，办结",
    "verification_task.not_rectified": "未整改到位，提请撤销许可",
    "verification_task.revocation_dismissed": "审批部门不予撤销，办结",
    "verification_task.licence_revoked": "许可已撤销",
    "verification_task.judicial_transfer": "移送司法机关",
    "verification_task.evidence_added": "上传证据材料",
    "revocation_case.requested": "提请撤销许可",
    "revocation_case.revoke": "作出撤销决定",
    "revocation_case.dismiss": "作出不予撤销决定",
    "revocation_case.merge": "并案办结",
}


def action_label(action: str) -> str:
    """Return the Chinese label of an audit action of this domain (the code if unknown)."""
    return ACTION_LABELS.get(action, action)


# --- reading: the inbox -----------------------------------------------------------------------


def due_soon_limit(today: date | None = None) -> date:
    """Return the last day that counts as "due soon": the 5th working day after today.

    Without calendar data (or beyond it) a week is used, so the inbox still opens.
    """
    today = today or local_today()
    try:
        return due(today, DUE_SOON_WORKING_DAYS).due_on
    except DomainError:
        return today + timedelta(days=7)


def deadline_flag(due_on: date | None, today: date, soon_limit: date) -> str | None:
    """Return ``"overdue"``, ``"due_soon"`` or ``None`` for a due date."""
    if due_on is None:
        return None
    if due_on < today:
        return "overdue"
    if due_on <= soon_limit:
        return "due_soon"
    return None


def current_due_expression():
    """``due_date_of`` in SQL (needs an outer join of the order on its task).

    Built from ``dated_states``: a state's arm holds when the task is in it and, for the
    rectification, when its running order is the joined row.
    """
    return case(*((VerificationTask.status == status if join_on is None
                   else and_(VerificationTask.status == status, join_on), due_on)
                  for status, due_on, join_on in dated_states()), else_=None)


def department_tasks(user: User) -> Select:
    """Tasks of the user's supervisory department (all departments for the reform office)."""
    return department_scope(
        select(VerificationTask).outerjoin(
            RectificationOrder, RectificationOrder.task_id == VerificationTask.id),
        VerificationTask.supervisory_department_id, user=user)


@dataclass(frozen=True)
class InboxFilters:
    """The inbox's filters, as read from the query string."""

    status: str = "active"  # "active", "all" or a TaskStatus value
    item_id: int | None = None
    inspector: str = ""  # "", "mine", "none" or a user id
    due: str = ""  # "", "overdue", "due_soon"


#: An inbox cursor: ``-`` or a date of the calendar's form, then the task id, up to 18 ASCII
#: digits (the API document's pattern for ``after``; ``InboxCursor.parse`` reads every match).
CURSOR_PATTERN = re.compile(
    r"(-|([0-9]{4})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]))\.([0-9]{1,18})")


@dataclass(frozen=True)
class InboxCursor:
    """Where a page of the inbox ended: the last task's current due date and id.

    Written ``2026-11-20.123`` (or ``-.123`` for a task without a due date, which sort last);
    ``parse`` answers ``None`` for anything else, and the list starts from the top.
    """

    due_on: date | None
    task_id: int

    def __str__(self) -> str:
        return f"{self.due_on.isoformat() if self.due_on else '-'}.{self.task_id}"

    @classmethod
    def parse(cls, text: str | None) -> InboxCursor | None:
        """Read a cursor as written by ``str``; ``None`` when it does not have that form.

        A cursor of that form (``CURSOR_PATTERN``, the API document's) always has a place in
        the order, even when no task could have written it, and is read as that place: an id
        past the largest an id can be as the largest (no task follows either), a day past
        the end of its month as after every task of the month's last day (``2026-02-30``
        continues at 1 March), the year 0 as before every dated task.
        """
        found = CURSOR_PATTERN.fullmatch((text or "").strip())
        if found is None:
            return None
        dated, year, month, day, id_text = found.groups()
        task_id = min(int(id_text), MAX_INT)
        if dated == "-":
            return cls(None, task_id)
        year, month, day = int(year), int(month), int(day)
        if year == 0:
            return cls(date.min, 0)
        last = monthrange(year, month)[1]
        if day > last:
            return cls(date(year, month, last), MAX_INT)
        return cls(date(year, month, day), task_id)

    @classmethod
    def after(cls, task: VerificationTask) -> InboxCursor:
        """The cursor that continues after ``task``."""
        return cls(task.current_due_on, task.id)


def dated_states():
    """The rule of ``models.due_date_of`` in SQL: ``(state, due date column, join)``.

    The task states whose next act has a due date, where that date is kept, and for the
    rectification the condition that joins the running order that keeps it. The inbox reads
    each state through its own index (``ix_verification_tasks_*_due``) in due-date order and
    merges them, instead of sorting every task by a CASE no index can serve;
    ``current_due_expression`` is the same rule as one CASE.
    """
    order = RectificationOrder
    return (
        (TaskStatus.open, VerificationTask.verification_due_on, None),
        (TaskStatus.checked, VerificationTask.result_push_due_on, None),
        (TaskStatus.rectifying, order.rectification_due_on,
         and_(order.task_id == VerificationTask.id,
              order.status == RectificationStatus.ordered)),
    )


def _inbox_statuses(filters: InboxFilters) -> set[TaskStatus] | None:
    """The states the filter admits (``None``: every state)."""
    if filters.status == "active":
        return set(ACTIVE_TASK_STATES)
    if filters.status in TaskStatus.__members__:
        return {TaskStatus(filters.status)}
    return None


def _inbox_where(stmt: Select, user: User, filters: InboxFilters) -> Select:
    """The filters every group shares: the department, the item, the inspector."""
    stmt = department_scope(stmt, VerificationTask.supervisory_department_id, user=user)
    if filters.item_id:
        stmt = stmt.where(VerificationTask.item_version_id.in_(
            select(ItemVersion.id).where(ItemVersion.item_id == filters.item_id)))
    if filters.inspector == "mine":
        stmt = stmt.where(VerificationTask.assigned_to_id == user.id)
    elif filters.inspector == "none":
        stmt = stmt.where(VerificationTask.assigned_to_id.is_(None))
    elif (inspector_id := parse_id(filters.inspector)) is not None:
        stmt = stmt.where(VerificationTask.assigned_to_id == inspector_id)
    return stmt


def _undated_branches(user: User, filters: InboxFilters, statuses: set[TaskStatus] | None,
                      after: InboxCursor | None) -> list[Select]:
    """``(id, NULL)`` of the tasks without a due date, one index-served read per kind.

    The states that never have one (breach, closed, ...), each by itself; and, in case a date
    is missing, the dated states without it. (One ``CASE ... IS NULL`` over every active task
    of the department could use no index.)
    """
    groups = {status: (due_on, join_on) for status, due_on, join_on in dated_states()}
    wanted = set(TaskStatus) if statuses is None else statuses
    conditions = []
    # one state per branch: each is an ordered range of ``ix_verification_tasks_status_id``
    conditions += [VerificationTask.status == status for status in sorted(wanted - set(groups))]
    for status in sorted(wanted & set(groups)):
        due_on, join_on = groups[status]
        if join_on is None:
            conditions.append(and_(VerificationTask.status == status, due_on.is_(None)))
        else:
            dated = select(RectificationOrder.id).where(join_on, due_on.is_not(None)).exists()
            conditions.append(and_(VerificationTask.status == status, ~dated))
    branches = []
    for condition in conditions:
        stmt = _inbox_where(select(VerificationTask.id.label("id"),
                                   cast(null(), Date).label("due")).where(condition),
                            user, filters)
        if after is not None and after.due_on is None:
            stmt = stmt.where(VerificationTask.id > after.task_id)
        branches.append(stmt)
    return branches


class _Reader(NamedTuple):
    """What a list statement takes from its reader: a hashable key for the memos below."""

    id: int
    role: Role
    department_id: int | None
    sees_all_departments: bool


def _reader(user: User) -> _Reader:
    return _Reader(user.id, user.role, user.department_id, user.sees_all_departments)


def _inbox_keys(user: User, filters: InboxFilters, today: date, limit: int | None,
                after: InboxCursor | None):
    """``(id, due)`` of the tasks in inbox order, one index-ordered branch per group."""
    soon = due_soon_limit(today) if filters.due == "due_soon" else None
    return _inbox_keys_statement(_reader(user), filters, today, soon, limit, after)


# The statement is a union of some ten index-ordered branches; building it costs more CPU
# than PostgreSQL spends running it, so it is built once per reader, filter, day and page.
# Everything it depends on is in the key (the due-soon limit too, read from the calendar
# before), and statements are immutable, so a kept one is as good as a new one.
@functools.lru_cache(maxsize=512)
def _inbox_keys_statement(user: _Reader, filters: InboxFilters, today: date,
                          soon: date | None, limit: int | None, after: InboxCursor | None):
    statuses = _inbox_statuses(filters)
    branches = []
    for status, due_on, join_on in dated_states():
        if statuses is not None and status not in statuses:
            continue
        stmt = select(VerificationTask.id.label("id"), due_on.label("due"))
        if join_on is not None:
            stmt = stmt.join(RectificationOrder, join_on)
        stmt = _inbox_where(stmt.where(VerificationTask.status == status, due_on.is_not(None)),
                            user, filters)
        if filters.due == "overdue":
            stmt = stmt.where(due_on < today)
        elif filters.due == "due_soon":
            stmt = stmt.where(due_on >= today, due_on <= soon)
        if after is not None:
            if after.due_on is None:
                continue  # every dated task comes before the undated ones
            stmt = stmt.where(or_(due_on > after.due_on,
                                  and_(due_on == after.due_on,
                                       VerificationTask.id > after.task_id)))
        branches.append(stmt.order_by(due_on, VerificationTask.id).limit(limit))
    if filters.due not in ("overdue", "due_soon"):
        branches += [stmt.order_by(VerificationTask.id).limit(limit)
                     for stmt in _undated_branches(user, filters, statuses, after)]
    if not branches:
        return select(VerificationTask.id.label("id"), cast(null(), Date).label("due")) \
            .where(false()).subquery("inbox")
    # Each branch is wrapped, so its ORDER BY ... LIMIT stays its own (SQLite needs this).
    parts = [select(*b.subquery().c) for b in branches]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("inbox")


def inbox_options():
    """What an inbox row shows, loaded for the whole page (no lazy load per row).

    ``selectinload``: one small statement per relation, by primary keys. One statement joining
    them all costs PostgreSQL more to plan (some 20 ms) than these cost to run.
    """
    return (selectinload(VerificationTask.licence).selectinload(Licence.applicant),
            selectinload(VerificationTask.item_version).selectinload(ItemVersion.item),
            selectinload(VerificationTask.assigned_to),
            selectinload(VerificationTask.rectification))


def task_inbox(user: User, filters: InboxFilters | None = None,
               today: date | None = None, *, limit: int | None = None, offset: int = 0,
               after: InboxCursor | None = None) -> Select:
    """Select the department's tasks for the inbox, the next due date first, then by id.

    Tasks without a due date come last. Give ``limit`` (and ``offset`` or ``after``, the
    cursor of the previous page's last task) for one page: each state group then reads only
    the head of its own index instead of the whole department.
    """
    filters = filters or InboxFilters()
    today = today or local_today()
    head = None if limit is None else (offset if after is None else 0) + limit
    keys = _inbox_keys(user, filters, today, head, after)
    stmt = (select(VerificationTask).join(keys, keys.c.id == VerificationTask.id)
            .options(*inbox_options())
            .order_by(keys.c.due.is_(None), keys.c.due, keys.c.id))
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset if after is None else 0)
    return stmt


@dataclass(frozen=True)
class InboxRow:
    """What one line of the inbox shows: plain values read in one statement for the page.

    The inbox renders 50 of these per request; building them from one joined row costs a
    fraction of loading each task with its licence, holder, item and inspector as objects.
    """

    id: int
    status: TaskStatus
    current_due_on: date | None
    verification_provisional: bool
    pushed_late: bool
    item_name: str
    holder_name: str
    holder_kind: ApplicantKind
    holder_code: str
    licence_number: str
    inspector_name: str | None


def inbox_page(user: User, filters: InboxFilters | None = None, today: date | None = None,
               *, limit: int, offset: int = 0,
               after: InboxCursor | None = None) -> list[tuple[int, date | None]]:
    """``(task id, due date)`` of one page of the inbox, in its order (one statement).

    The due date is the one the order is by (``None`` for the undated tasks at the end), so
    ``InboxCursor(*page[-1])`` continues after the page.
    """
    filters = filters or InboxFilters()
    today = today or local_today()
    keys = _inbox_keys(user, filters, today, (offset if after is None else 0) + limit, after)
    stmt = (select(keys.c.id, keys.c.due).order_by(keys.c.due.is_(None), keys.c.due, keys.c.id)
            .limit(limit).offset(offset if after is None else 0))
    return [(task_id, due_on) for task_id, due_on in db.session.execute(stmt)]


def task_lines(stmt: Select, ids: list[int]) -> Select:
    """``stmt`` (a select of task columns) narrowed to the tasks ``ids``, with what a line of
    a task list shows joined: its licence, the holder, the item version and the
    rectification order (outer: a task has one only once rectification is ordered)."""
    t = VerificationTask
    return (stmt.join(Licence, Licence.id == t.licence_id)
            .join(Applicant, Applicant.id == Licence.applicant_id)
            .join(ItemVersion, ItemVersion.id == t.item_version_id)
            .outerjoin(RectificationOrder, RectificationOrder.task_id == t.id)
            .where(t.id.in_(ids)))


def inbox_rows(user: User, filters: InboxFilters | None = None, today: date | None = None,
               *, limit: int, offset: int = 0, after: InboxCursor | None = None
               ) -> tuple[list[InboxRow], InboxCursor | None]:
    """One page of the inbox (the order of ``task_inbox``) as ``InboxRow``, and the cursor of
    the next page when this one is full.

    Two statements: the page's task ids in inbox order (the index-ordered groups of
    ``task_inbox``), then their lines by primary key with the licence, holder, item version,
    inspector and rectification order joined (a join over 50 known ids plans in a moment,
    unlike one over the groups' union).
    """
    page = inbox_page(user, filters, today, limit=limit, offset=offset, after=after)
    if not page:
        return [], None
    ids = [task_id for task_id, _ in page]
    following = InboxCursor(page[-1][1], page[-1][0]) if len(page) == limit else None
    t, order = VerificationTask, RectificationOrder
    stmt = (task_lines(select(t.id, t.status, t.verification_due_on, t.result_push_due_on,
                              order.status, order.rectification_due_on,
                              t.verification_provisional,
                              t.pushed_late, ItemVersion.name, Applicant.name, Applicant.kind,
                              Applicant.code, Licence.number, User.display_name), ids)
            .outerjoin(User, User.id == t.assigned_to_id))
    rows = {}
    for (task_id, status, verification_due, push_due, order_status, rectification_due,
         provisional, late, item, holder, kind, code, number, inspector) \
            in db.session.execute(stmt):
        due_on = due_date_of(status, verification_due, push_due, order_status,
                             rectification_due)
        rows[task_id] = InboxRow(task_id, status, due_on, bool(provisional), bool(late), item,
                                 holder, kind, code, number, inspector)
    return [rows[task_id] for task_id in ids], following


@dataclass(frozen=True)
class TaskCounts:
    """Figures of a department's inbox."""

    active: int
    due_soon: int
    overdue: int
    rectifying: int
    unassigned: int


def task_counts(user: User, today: date | None = None) -> TaskCounts:
    """Count the department's active, due-soon, overdue, rectifying and unassigned tasks.

    One statement of small counts, each over the active tasks of one state only (an index
    range), never over every task the department ever had.
    """
    today = today or local_today()
    row = db.session.execute(_counts_statement(_reader(user), today,
                                               due_soon_limit(today))).one()
    return TaskCounts(*(int(v or 0) for v in row))


@functools.lru_cache(maxsize=512)
def _counts_statement(user: _Reader, today: date, limit: date) -> Select:
    """``task_counts``' statement, built once per reader and day (as ``_inbox_keys``)."""

    def count(*where, join_on=None):
        stmt = select(func.count()).select_from(VerificationTask)
        if join_on is not None:
            stmt = stmt.join(RectificationOrder, join_on)
        return department_scope(stmt.where(*where), VerificationTask.supervisory_department_id,
                                user=user).scalar_subquery()

    active = VerificationTask.status.in_(ACTIVE_TASK_STATES)
    due_soon = [count(VerificationTask.status == status, due_on >= today, due_on <= limit,
                      join_on=join_on) for status, due_on, join_on in dated_states()]
    overdue = [count(VerificationTask.status == status, due_on < today, join_on=join_on)
               for status, due_on, join_on in dated_states()]
    return select(
        count(active),
        sum(due_soon[1:], due_soon[0]),
        sum(overdue[1:], overdue[0]),
        count(VerificationTask.status == TaskStatus.rectifying),
        count(active, VerificationTask.assigned_to_id.is_(None)),
    )


def results_for_approval(user: User) -> Select:
    """Pushed results that reached the user's approval department, newest first."""
    return department_scope(
        select(VerificationTask).where(VerificationTask.pushed_dt.is_not(None)),
        VerificationTask.approval_department_id, user=user,
    ).order_by(VerificationTask.pushed_dt.desc(), VerificationTask.id.desc())


def load_task(task_id: int, user: User, *, for_action: bool = False) -> VerificationTask:
    """Load a task the user may see, or raise ``NotFound`` (404).

    Viewing: staff of its supervisory department, or of its approval department (which
    receives the result). Acting (``for_action``): its supervisory department only. On
    PostgreSQL an acting load takes the row lock (``SELECT ... FOR UPDATE``).
    """
    if not for_action:
        return get_scoped_or_404(VerificationTask, task_id,
                                 VerificationTask.supervisory_department_id,
                                 VerificationTask.approval_department_id, user=user)
    stmt = department_scope(select(VerificationTask).where(VerificationTask.id == task_id),
                            VerificationTask.supervisory_department_id, user=user)
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=VerificationTask)
    task = db.session.scalars(stmt).first()
    if task is None:
        raise NotFound("未找到该核查任务，或您无权查看。", code="task_not_found")
    return task


def visible_items(user: User) -> list[tuple[int, str]]:
    """Return ``(item_id, name)`` of the items with tasks in the user's department.

    Asked per item version of the catalogue (a short list): does the department have a task
    under it (one probe of ``ix_verification_tasks_item_version_dept``)? Never a grouping
    over every task.
    """
    has_task = department_scope(
        select(VerificationTask.id).where(VerificationTask.item_version_id == ItemVersion.id),
        VerificationTask.supervisory_department_id, user=user).exists()
    stmt = (select(ItemVersion.item_id, func.max(ItemVersion.name)).where(has_task)
            .group_by(ItemVersion.item_id).order_by(ItemVersion.item_id))
    return [(row[0], row[1]) for row in db.session.execute(stmt)]


def department_inspectors(user: User) -> list[User]:
    """Return the inspectors of the user's department (for the inbox filter)."""
    stmt = select(User).where(User.role == Role.inspector)
    if not user.sees_all_departments:
        stmt = stmt.where(User.department_id == user.department_id)
    return list(db.session.scalars(stmt.order_by(User.display_name, User.id)))


__all__ = [
    "InboxCursor",
    "InboxFilters",
    "InboxRow",
    "RectificationResult",
    "TaskCounts",
    "add_evidence",
    "allowed_events",
    "assign_task",
    "assignable_inspectors",
    "deadline_flag",
    "due_soon_limit",
    "inbox_page",
    "inbox_rows",
    "licence_revoked",
    "load_task",
    "open_verification_task",
    "order_rectification",
    "push_result",
    "record_judicial_transfer",
    "record_rectification_outcome",
    "record_result",
    "results_for_approval",
    "revocation_dismissed",
    "task_counts",
    "task_inbox",
    "task_lines",
]


# --- routine inspections (日常监管检查) ----------------------------------------------------------


def open_routine_inspections(user: User) -> list[RoutineInspection]:
    """The department's routine inspections still to be done, oldest draw first."""
    return list(db.session.scalars(department_scope(
        select(RoutineInspection).where(RoutineInspection.checked_on.is_(None))
        .options(joinedload(RoutineInspection.licence).joinedload(Licence.applicant))
        .order_by(RoutineInspection.drawn_dt, RoutineInspection.id),
        RoutineInspection.supervisory_department_id, user=user)))


#: The classification of a nonconform result (``licensing.enforcement.models.Finding``).
FINDINGS = ("false_commitment", "breach")


def record_routine_result(inspection: RoutineInspection, outcome: Outcome | str,
                          findings: str | None, checked_on: date, *,
                          actor: User, finding: str | None = None) -> RoutineInspection:
    """Record a routine inspection's result; a ``nonconform`` one announces a breach.

    Only an inspector or head of the inspection's department. When the licensee falls short,
    the facts (``findings``) and their classification (``finding``: ``false_commitment``
    不实承诺 or ``breach`` 违反承诺) are both required. ``nonconform`` sends
    ``inspection_found_breach`` (origin ``routine_inspection``) with the classification, so a
    breach case is opened, as for a verification that finds one.
    """
    if actor is None or actor.department_id != inspection.supervisory_department_id or (
            actor.role not in (Role.inspector, Role.head)):
        raise NotYourTask("只有该检查所属监管部门的监管人员或负责人可以办理。")
    if inspection.checked_on is not None:
        raise InvalidResult("该日常监管检查已记录结果。", code="already_checked")
    try:
        outcome = Outcome(outcome)
    except ValueError:
        raise InvalidResult("请选择检查结果：符合或不符合。", code="outcome_required") from None
    findings = _clean(findings)
    if outcome == Outcome.nonconform and not findings:
        raise InvalidResult("检查不符合时，必须写明发现的问题。", code="findings_required")
    finding = (finding or "").strip() or None
    if outcome == Outcome.nonconform:
        if finding is None:
            raise InvalidResult("检查不符合时，请选择违诺性质：不实承诺或违反承诺。",
                                code="finding_required")
        if finding not in FINDINGS:
            raise InvalidResult("违诺性质只能是不实承诺或违反承诺。", code="finding_invalid")
    elif finding is not None:
        raise InvalidResult("检查符合时不能选择违诺性质。", code="finding_invalid")
    if not isinstance(checked_on, date) or checked_on > local_today():
        raise InvalidResult("检查日期不能晚于今天。", code="checked_on_future")
    inspection.outcome = outcome
    inspection.findings = findings or None
    inspection.finding = finding
    inspection.checked_on = checked_on
    inspection.checked_by_id = actor.id
    db.session.flush()
    record_audit("routine_inspection.checked", object_type="routine_inspection",
                 object_id=inspection.id, actor=actor,
                 changes={"licence_id": inspection.licence_id, "outcome": outcome,
                          "finding": finding, "checked_on": checked_on,
                          "draw_seed": inspection.draw_seed})
    if outcome == Outcome.nonconform:
        inspection_found_breach.send(inspection, licence=inspection.licence, findings=findings,
                                     finding=finding, found_on=checked_on,
                                     origin="routine_inspection", actor=actor)
    return inspection
