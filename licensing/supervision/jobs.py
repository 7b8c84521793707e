"""The supervision domain's sweeps and notification kinds.

* **Set-based sweeps of verification tasks** (there can be hundreds of thousands open): one
  ``UPDATE ... RETURNING`` or ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` per step, on
  the indexed due-date columns; see ``bench/sweep.py``.
* **Rectification orders** (限期整改), registered with the per-item deadline sweeps of
  ``licensing.jobs.deadlines``.

Heads of a supervisory department get one digest a day per department (unassigned tasks due
soon, tasks newly overdue), not one notice per task; inspectors get one per task. Reminder
tiers and keys: ``licensing.jobs.deadlines``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import String, and_, case, cast, exists, func, literal, null, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from licensing.audit.services import record_audit
from licensing.auth.models import Role, User
from licensing.cases.jobs import applicant_user
from licensing.extensions import db
from licensing.jobs.deadlines import (
    PROVISIONAL,
    DeadlineSweep,
    register_deadline_sweep,
    reminder_windows,
)
from licensing.jobs.helpers import path_for, path_prefix_for, today_of
from licensing.jobs.registry import every, job
from licensing.notifications.owners import Owner, register_owner
from licensing.notifications.services import (
    date_text_sql,
    dedup_key_sql,
    insert_notifications_from,
    notify_department,
    recipients,
    register_kind,
)
from licensing.supervision import models as sm
from licensing.types import UTCDateTime

log = logging.getLogger("licensing.supervision.jobs")


#: The endpoint that shows one verification task, and its id argument.
TASK_ENDPOINTS = (("supervision.show", "task_id"),)



# -- helpers for set-based notification inserts -------------------------------------------


def _text(value: Any) -> ColumnElement[str]:
    return cast(value, String)


def _provisional(flag: ColumnElement[bool]) -> ColumnElement[str]:
    return case((flag.is_(True), PROVISIONAL), else_="")


def _link_sql(endpoints: Sequence[tuple[str, str]], id_column) -> ColumnElement:
    for endpoint, argument in endpoints:
        prefix = path_prefix_for(endpoint, argument)
        if prefix is not None:
            return literal(prefix) + _text(id_column)
    return null()


def _notification_row(user_id, *, kind: str, title, body, link, object_type: str, object_id,
                      key_prefix, due_on, now: datetime) -> list:
    """The columns of ``INSERT_COLUMNS``, in order, for ``insert_notifications_from``."""
    return [
        user_id.label("user_id"),
        literal(kind).label("kind"),
        (title if isinstance(title, ColumnElement) else literal(title)).label("title"),
        body.label("body"),
        link.label("link"),
        literal(object_type).label("object_type"),
        _text(object_id).label("object_id"),
        dedup_key_sql(key_prefix, due_on).label("dedup_key"),
        due_on.label("due_on"),
        literal(now, UTCDateTime).label("created_dt"),
    ]


# -- verification tasks (set-based) -------------------------------------------------------

KIND_TASK_DUE_SOON = register_kind("verification.due_soon", "核查即将到期")
KIND_TASK_OVERDUE = register_kind("verification.overdue", "核查逾期")
KIND_UNASSIGNED_DIGEST = register_kind("verification.unassigned_digest", "核查待分派")
KIND_OVERDUE_DIGEST = register_kind("verification.overdue_digest", "核查逾期汇总")
KIND_PUSH_DUE_SOON = register_kind("result_push.due_soon", "结果推送即将到期")
KIND_PUSH_OVERDUE = register_kind("result_push.overdue", "结果推送逾期")
#: Told to the approval department when a result is pushed, and to an inspector assigned a task.
NOTIFY_RESULT_PUSHED = register_kind("verification.result_pushed", "核查结果推送")
NOTIFY_ASSIGNED = register_kind("verification.assigned", "核查任务分派")



def _task_notifications(where: ColumnElement[bool], *, kind: str, title, body_for, key_for,
                        due_column, now: datetime, to_assignee: bool = True,
                        heads: str = "unassigned") -> int:
    """Insert one notification per matching task for its inspector and/or its heads.

    ``heads``: ``"unassigned"`` tells the heads of the supervisory department about tasks
    without an active assignee; ``"always"`` about every task; ``"never"`` about none (they
    get a digest per department instead, see ``_head_digests``).
    """
    task = sm.VerificationTask.__table__
    assignee = aliased(User.__table__, name="assignee")
    head = aliased(User.__table__, name="head")
    link = _link_sql(TASK_ENDPOINTS, task.c.id)
    inserted = 0

    def row(user_id):
        return _notification_row(user_id, kind=kind, title=title, body=body_for(task),
                                 link=link, object_type="verification_task",
                                 object_id=task.c.id, key_prefix=key_for(task),
                                 due_on=due_column(task), now=now)

    active_assignee = and_(assignee.c.id == task.c.assigned_to_id, assignee.c.active.is_(True))
    if to_assignee:
        stmt = select(*row(assignee.c.id)).select_from(
            task.join(assignee, active_assignee)).where(where)
        inserted += insert_notifications_from(stmt)
    if heads == "never":
        return inserted
    head_join = and_(head.c.department_id == task.c.supervisory_department_id,
                     head.c.role == Role.head.value, head.c.active.is_(True))
    head_where = where
    if heads == "unassigned":
        head_where = and_(where, ~exists(select(assignee.c.id).where(active_assignee)))
    stmt = select(*row(head.c.id)).select_from(task.join(head, head_join)).where(head_where)
    inserted += insert_notifications_from(stmt)
    return inserted


def _head_digests(where: ColumnElement[bool], *, kind: str, title: str,
                  body_for: Callable[[int, int], str], key: str, link: str | None,
                  today: date) -> int:
    """Send the heads of each supervisory department one notice about its matching tasks.

    A department with hundreds of tasks falling due gets one line a day, not hundreds:
    ``body_for(count, unassigned)``; keyed ``<key>:<department>@<today>``, so once a day.
    """
    task = sm.VerificationTask.__table__
    rows = db.session.execute(
        select(task.c.supervisory_department_id, func.count(task.c.id),
               func.count(task.c.id).filter(task.c.assigned_to_id.is_(None)))
        .where(where).group_by(task.c.supervisory_department_id)
    ).all()
    sent = 0
    for department_id, count, unassigned in rows:
        sent += len(notify_department(
            department_id, [Role.head], kind, title, body_for(count, unassigned), link,
            "department", department_id, f"{key}:{department_id}", due_on=today))
    return sent


def _without_active_assignee(task) -> ColumnElement[bool]:
    assignee = aliased(User.__table__, name="active_assignee")
    return ~exists(select(assignee.c.id).where(assignee.c.id == task.c.assigned_to_id,
                                               assignee.c.active.is_(True)))


def verification_due_soon_sweep(now: datetime) -> int:
    """Insert the due-soon reminders of open verification tasks; return how many were new.

    The assigned inspector gets one reminder per task, tier and due date. The heads get one
    notice a day per department counting the unassigned tasks due within the largest tier.
    """
    task = sm.VerificationTask.__table__
    today = today_of(now)
    windows = reminder_windows(today)
    sent = 0
    is_open = task.c.status == sm.TaskStatus.open.value
    for window in windows:
        n = window.tier
        where = and_(is_open, task.c.verification_due_on >= window.first_day,
                     task.c.verification_due_on <= window.last_day)
        sent += _task_notifications(
            where, kind=KIND_TASK_DUE_SOON, title=f"现场核查即将到期（{n}个工作日内）",
            body_for=lambda t, n=n: (literal("核查任务 #") + _text(t.c.id)
                                     + literal("的现场核查期限为 ")
                                     + date_text_sql(t.c.verification_due_on)
                                     + _provisional(t.c.verification_provisional)
                                     + literal(f"，距到期已不足{n}个工作日，请按时完成核查。")),
            key_for=lambda t, n=n: (literal("verification_due_soon:") + _text(t.c.id)
                                    + literal(f":{n}")),
            due_column=lambda t: t.c.verification_due_on, now=now, heads="never",
        )
    if windows:
        widest = windows[-1]
        sent += _head_digests(
            and_(is_open, task.c.verification_due_on >= today,
                 task.c.verification_due_on <= widest.last_day, _without_active_assignee(task)),
            kind=KIND_UNASSIGNED_DIGEST, title="有即将到期的核查任务尚未分派",
            body_for=lambda count, _: (f"本部门有 {count} 项尚未分派的现场核查任务将在"
                                       f"{widest.tier}个工作日内（{widest.last_day.isoformat()}"
                                       "前）到期，请尽快分派。"),
            key="verification_unassigned_digest",
            link=path_for("supervision.inbox", due="due_soon", inspector="none"), today=today)
    return sent


def verification_overdue_sweep(now: datetime) -> int:
    """Mark open tasks past their verification due date overdue, once; tell inspector and heads.

    ``overdue_marked_dt`` is set once (the task stays open: overdue is a fact about it, not a
    state). The notices go first, for the tasks about to be marked (a predicate the planner
    estimates well, unlike "marked at this instant" right after the UPDATE): one per task to
    its inspector, one per department to the heads. Then the tasks are marked and one audit
    entry lists them; all commit together, so a repeated run finds nothing to do. Returns how
    many tasks were marked.
    """
    task = sm.VerificationTask.__table__
    today = today_of(now)
    to_mark = and_(task.c.status == sm.TaskStatus.open.value,
                   task.c.verification_due_on < today,
                   task.c.overdue_marked_dt.is_(None))
    _task_notifications(
        to_mark, kind=KIND_TASK_OVERDUE, title="现场核查已逾期",
        body_for=lambda t: (literal("核查任务 #") + _text(t.c.id) + literal("的现场核查期限 ")
                            + date_text_sql(t.c.verification_due_on)
                            + _provisional(t.c.verification_provisional)
                            + literal(" 已过，仍未完成核查，请尽快处理。")),
        key_for=lambda t: literal("verification_overdue:") + _text(t.c.id),
        due_column=lambda t: t.c.verification_due_on, now=now, heads="never",
    )
    _head_digests(
        to_mark, kind=KIND_OVERDUE_DIGEST, title="现场核查逾期",
        body_for=lambda count, unassigned: (
            f"本部门新增 {count} 项现场核查任务逾期未完成"
            + (f"（其中 {unassigned} 项尚未分派）" if unassigned else "") + "，请督促办理。"),
        key="verification_overdue_digest",
        link=path_for("supervision.inbox", due="overdue"), today=today)
    marked = db.session.execute(
        update(task).where(to_mark).values(overdue_marked_dt=now).returning(task.c.id)
    ).scalars().all()
    if not marked:
        db.session.rollback()
        return 0
    record_audit("verification_task.overdue_marked", object_type="verification_task_batch",
                 object_id=today.isoformat(),
                 changes={"count": len(marked), "due_before": today,
                          "task_ids": sorted(marked)})
    db.session.commit()
    return len(marked)


def result_push_sweep(now: datetime) -> int:
    """Remind of results to push to the approval department, and flag pushes that are late.

    Tasks in ``checked`` state have a result-push deadline (5 working days after the check).
    Before it: the tier reminders; after it: one notice to the inspector and the heads per
    due date. Nothing is marked on the task: the push itself records whether it was late.
    """
    task = sm.VerificationTask.__table__
    today = today_of(now)
    checked = task.c.status == sm.TaskStatus.checked.value
    sent = 0
    for window in reminder_windows(today):
        n = window.tier
        where = and_(checked, task.c.result_push_due_on >= window.first_day,
                     task.c.result_push_due_on <= window.last_day)
        sent += _task_notifications(
            where, kind=KIND_PUSH_DUE_SOON, title=f"核查结果推送即将到期（{n}个工作日内）",
            body_for=lambda t, n=n: (
                literal("核查任务 #") + _text(t.c.id) + literal("的核查结果须在 ")
                + date_text_sql(t.c.result_push_due_on) + _provisional(t.c.result_push_provisional)
                + literal(" 前推送至审批部门。")),
            key_for=lambda t, n=n: (literal("result_push_due_soon:") + _text(t.c.id)
                                    + literal(f":{n}")),
            due_column=lambda t: t.c.result_push_due_on, now=now,
        )
    overdue = and_(checked, task.c.result_push_due_on < today)
    sent += _task_notifications(
        overdue, kind=KIND_PUSH_OVERDUE, title="核查结果推送已逾期",
        body_for=lambda t: (literal("核查任务 #") + _text(t.c.id) + literal("的核查结果推送期限 ")
                            + date_text_sql(t.c.result_push_due_on)
                            + literal(" 已过，请立即推送，推送时将标记为逾期推送。")),
        key_for=lambda t: literal("result_push_overdue:") + _text(t.c.id),
        due_column=lambda t: t.c.result_push_due_on, now=now, heads="always",
    )
    db.session.commit()
    return sent


@job("verification_due_soon", every(hours=1), label="现场核查到期提醒")
def verification_due_soon(now: datetime) -> int:
    """Remind inspectors of checks due within N working days; heads of unassigned ones.

    Set-based and idempotent: one INSERT ... SELECT per tier, keyed (task, tier, due date), so
    a repeated run sends nothing new and a moved due date is announced again; the heads'
    digest is keyed (department, day).
    """
    sent = verification_due_soon_sweep(now)
    db.session.commit()
    return sent


@job("verification_overdue", every(minutes=15), label="现场核查逾期标记")
def verification_overdue(now: datetime) -> int:
    """Mark open verification tasks past their due date overdue and tell inspector and heads.

    Idempotent: only tasks with no ``overdue_marked_dt`` are marked, in one transaction with
    their notifications, so a repeated run finds nothing to do.
    """
    return verification_overdue_sweep(now)


@job("result_push_reminders", every(hours=1), label="核查结果推送提醒")
def result_push_reminders(now: datetime) -> int:
    """Remind of check results to push within 5 working days, and of late ones.

    Idempotent: every notice is keyed (task, tier or "overdue", due date).
    """
    return result_push_sweep(now)


# -- rectification orders (限期整改) ---------------------------------------------------



def _task_workers(task, *, heads: str = "unassigned") -> list[User]:
    """The task's active inspector, and the department heads (always, or if unassigned)."""
    users: list[User] = []
    if task.assigned_to is not None and task.assigned_to.active:
        users.append(task.assigned_to)
    if heads == "always" or not users:
        users += [u for u in recipients([Role.head], task.supervisory_department_id)
                  if u not in users]
    return users


def _task_link(task_id: int) -> str | None:
    for endpoint, argument in TASK_ENDPOINTS:
        path = path_for(endpoint, **{argument: task_id})
        if path is not None:
            return path
    return None




def _register_rectifications() -> DeadlineSweep | None:
    if sm is None or not hasattr(sm, "RectificationOrder"):  # pragma: no cover
        return None
    order_model = sm.RectificationOrder

    def describe(order) -> str:
        return f"许可证 {order.task.licence.number} 的限期整改（核查任务 #{order.task_id}）"

    def remind(order) -> list[User]:
        applicant = applicant_user(order.task.application)
        return ([applicant] if applicant else []) + _task_workers(order.task)

    return register_deadline_sweep(DeadlineSweep(
        name="rectification", label="限期整改", model=order_model, prefix="rectification",
        is_open=lambda: order_model.status == sm.RectificationStatus.ordered,
        object_type="rectification", describe=describe, remind=remind,
        escalate=lambda order: _task_workers(order.task, heads="always"),
        link=lambda order: _task_link(order.task_id),
        # Whether the breach was put right is a person's finding (record_rectification_outcome
        # opens the revocation case): past the due date the inspector and heads are told to
        # check and record it, once per due date.
        overdue_advice="请核实整改情况并记录整改结果；未整改到位的，将提请审批部门撤销许可。",
    ))


RECTIFICATION_SWEEP = _register_rectifications()


# -- who owns what (for notices about recomputed deadlines) -------------------------------


@register_owner("verification_task")
def _task_owner(object_id: str) -> Owner | None:
    task = db.session.get(sm.VerificationTask, int(object_id))
    if task is None:
        return None
    return Owner(_task_workers(task, heads="always"), _task_link(task.id),
                 f"核查任务 #{task.id}（许可证 {task.licence.number}）")


@register_owner("rectification")
def _rectification_owner(object_id: str) -> Owner | None:
    if RECTIFICATION_SWEEP is None:
        return None
    order = db.session.get(RECTIFICATION_SWEEP.model, int(object_id))
    if order is None:
        return None
    return Owner(RECTIFICATION_SWEEP.remind(order), RECTIFICATION_SWEEP.link(order),
                 RECTIFICATION_SWEEP.describe(order))


__all__ = ["KIND_TASK_DUE_SOON", "NOTIFY_ASSIGNED", "NOTIFY_RESULT_PUSHED", "RECTIFICATION_SWEEP",
           "result_push_reminders", "verification_due_soon", "verification_overdue"]
