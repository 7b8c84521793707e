"""Deadline sweeps: reminders before a legal deadline, and what follows once it has passed.

Every sweep selects its work by state and date (``due_on < today``, ``due_on`` within the
next N working days), so a run after days of downtime handles everything that fell due
meanwhile; every reminder is keyed (object, tier, due date), so nothing is sent twice and a
moved date is announced again.

Two forms:

* **Set-based sweeps of verification tasks** (there can be hundreds of thousands open): one
  ``UPDATE ... RETURNING`` or ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` per step, on
  the indexed due-date columns; see ``bench/sweep.py``.
* **A registry for the other deadlines**: ``register_deadline_sweep(DeadlineSweep(...))``
  makes the jobs ``<name>_due_soon`` and ``<name>_overdue``, which work per item and commit
  per item. The overdue step calls the owning domain's transition (``on_overdue``), which must
  take the row out of the open set (so it is not selected again), then tells the people
  concerned. Supplements (reminders; the missed step is the revocation domain's
  ``mark_missed_supplements``, run by ``supplement_missed``) and rectification orders are
  registered below; another domain registers its deadlines in its own ``jobs.py``.

Heads of a supervisory department get one digest a day per department (unassigned tasks due
soon, tasks newly overdue), not one notice per task; inspectors get one per task.

Reminder tiers: ``reminder_working_days()``, default 5 and 1 working days before the due
date (``Settings.extra["reminder_working_days"]`` or ``LICENSING_REMINDER_WORKING_DAYS=5,1``).
A deadline gets the reminder of the smallest tier it falls within: a task seen for the first
time 1 working day before its due date gets the 1-day reminder only.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import String, and_, case, cast, exists, func, literal, null, select, update
from sqlalchemy.orm import aliased
from sqlalchemy.sql import ColumnElement

from licensing.audit.services import record_audit
from licensing.auth.models import Role, User
from licensing.extensions import db
from licensing.jobs.helpers import for_each_item, path_for, path_prefix_for, today_of
from licensing.jobs.registry import Trigger, every, job
from licensing.notifications.owners import Owner, register_owner
from licensing.notifications.services import (
    date_text_sql,
    dedup_key_sql,
    insert_notifications_from,
    notify_department,
    notify_users,
    recipients,
    register_kind,
)
from licensing.types import UTCDateTime

log = logging.getLogger("licensing.supervision.jobs")

DEFAULT_REMINDER_WORKING_DAYS = (5, 1)
PROVISIONAL = "（暂定）"

#: The endpoint that shows one verification task, and its id argument.
TASK_ENDPOINTS = (("supervision.show", "task_id"),)


# -- reminder tiers ---------------------------------------------------------------------------


def reminder_working_days() -> tuple[int, ...]:
    """Return the reminder tiers in working days before the due date, ascending (``(1, 5)``)."""
    settings = current_app.config.get("SETTINGS")
    raw: Any = settings.extra.get("reminder_working_days") if settings is not None else None
    if raw is None:
        raw = os.environ.get("LICENSING_REMINDER_WORKING_DAYS")
    if raw is None or raw == "":
        return tuple(sorted(DEFAULT_REMINDER_WORKING_DAYS))
    values = [int(v) for v in (raw.split(",") if isinstance(raw, str) else raw)]
    if not values or any(v < 1 or v > 60 for v in values):
        raise ValueError("reminder working days must be between 1 and 60")
    return tuple(sorted(set(values)))


@dataclass(frozen=True)
class ReminderWindow:
    """Deadlines due from ``first_day`` to ``last_day`` (inclusive) get the ``tier`` reminder."""

    tier: int
    first_day: date
    last_day: date


def reminder_windows(today: date, tiers: Sequence[int] | None = None) -> list[ReminderWindow]:
    """Return the reminder windows from ``today``: tier N covers due dates up to due(today, N).

    A deadline due today is within every tier; it gets the smallest. Needs the calendar
    (raises ``CalendarNotLoaded`` without it: reminders are never computed from a guess).
    """
    from licensing.calendar.services import due

    windows = []
    first = today
    for tier in sorted(tiers or reminder_working_days()):
        last = due(today, tier).due_on
        if last >= first:
            windows.append(ReminderWindow(tier, first, last))
        first = max(first, last + timedelta(days=1))
    return windows


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


def _supervision():
    try:
        from licensing.supervision import models
    except ModuleNotFoundError:  # pragma: no cover - the supervision domain is always there
        return None
    return models


def _task_notifications(where: ColumnElement[bool], *, kind: str, title, body_for, key_for,
                        due_column, now: datetime, to_assignee: bool = True,
                        heads: str = "unassigned") -> int:
    """Insert one notification per matching task for its inspector and/or its heads.

    ``heads``: ``"unassigned"`` tells the heads of the supervisory department about tasks
    without an active assignee; ``"always"`` about every task; ``"never"`` about none (they
    get a digest per department instead, see ``_head_digests``).
    """
    sm = _supervision()
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
    sm = _supervision()
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
    sm = _supervision()
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
    sm = _supervision()
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
    sm = _supervision()
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


# -- the registry of per-item deadline sweeps ---------------------------------------------


@dataclass(frozen=True)
class DeadlineSweep:
    """A stored deadline (``deadline_mixin(prefix)`` on ``model``) the scheduler watches.

    ``is_open()`` selects rows whose deadline still runs. ``describe(row)`` names the
    obligation in Chinese ("许可证 X 的补齐补全材料「Y」"); ``remind(row)`` lists who is
    reminded before the due date, ``escalate(row)`` who is told once it passed (default: the
    same). ``on_overdue(row, today)`` is the owning domain's transition for a missed
    deadline (audited there); it must take the row out of ``is_open()``, which is what makes
    the overdue job idempotent. Without it the job only tells people, once per due date,
    ending the notice with ``overdue_advice``. ``overdue_job=False`` makes no overdue job
    (the owning domain runs its own).
    """

    name: str
    label: str
    model: type
    prefix: str
    is_open: Callable[[], ColumnElement[bool]]
    object_type: str
    describe: Callable[[Any], str]
    remind: Callable[[Any], Sequence[User]]
    link: Callable[[Any], str | None] = lambda row: None
    escalate: Callable[[Any], Sequence[User]] | None = None
    on_overdue: Callable[[Any, date], Any] | None = None
    #: The sentence that ends the overdue notice when ``on_overdue`` returns none of its own.
    overdue_advice: str = "请及时依法处理。"
    #: False when the owning domain runs its own overdue job (supplements: the revocation).
    overdue_job: bool = True
    due_soon_trigger: Trigger = field(default_factory=lambda: every(hours=1))
    overdue_trigger: Trigger = field(default_factory=lambda: every(minutes=15))

    def column(self, field_name: str):
        """Return the model's ``{prefix}_{field_name}`` column."""
        return getattr(self.model, f"{self.prefix}_{field_name}")


_sweeps: dict[str, DeadlineSweep] = {}


def registered_sweeps() -> dict[str, DeadlineSweep]:
    """Return the registered deadline sweeps by name."""
    return dict(_sweeps)


def register_deadline_sweep(sweep: DeadlineSweep) -> DeadlineSweep:
    """Register a deadline and make its two jobs, ``<name>_due_soon`` and ``<name>_overdue``."""
    _sweeps[sweep.name] = sweep
    due_soon_kind = register_kind(f"{sweep.name}.due_soon", f"{sweep.label}即将到期")
    overdue_kind = register_kind(f"{sweep.name}.overdue", f"{sweep.label}逾期")

    def due_soon(now: datetime) -> int:
        return _due_soon_per_item(sweep, due_soon_kind, now)

    def overdue(now: datetime) -> int:
        return _overdue_per_item(sweep, overdue_kind, now)

    due_soon.__doc__ = (f"Remind of {sweep.name} deadlines within the reminder tiers; keyed "
                        "(row, tier, due date), so idempotent.")
    overdue.__doc__ = (f"Handle {sweep.name} deadlines past due: the owner's transition, then "
                       "one notice per due date; the transition leaves the open set.")
    due_soon.__qualname__ = f"sweep_{sweep.name}_due_soon"
    overdue.__qualname__ = f"sweep_{sweep.name}_overdue"
    job(f"{sweep.name}_due_soon", sweep.due_soon_trigger, label=f"{sweep.label}到期提醒")(due_soon)
    if sweep.overdue_job:
        job(f"{sweep.name}_overdue", sweep.overdue_trigger,
            label=f"{sweep.label}逾期处理")(overdue)
    return sweep


def _due_soon_per_item(sweep: DeadlineSweep, kind: str, now: datetime) -> int:
    today = today_of(now)
    windows = reminder_windows(today)
    if not windows:
        return 0
    due_on = sweep.column("due_on")
    pk = sweep.model.__mapper__.primary_key[0]
    ids = db.session.scalars(
        select(pk).where(sweep.is_open(), due_on >= windows[0].first_day,
                         due_on <= windows[-1].last_day).order_by(due_on, pk)
    ).all()

    def handle(row_id) -> bool:
        row = db.session.get(sweep.model, row_id)
        if row is None:
            return False
        row_due = getattr(row, f"{sweep.prefix}_due_on")
        window = next((w for w in windows if w.first_day <= row_due <= w.last_day), None)
        if window is None:
            return False
        provisional = PROVISIONAL if getattr(row, f"{sweep.prefix}_provisional") else ""
        what = sweep.describe(row)
        sent = notify_users(
            sweep.remind(row), kind, f"{sweep.label}即将到期（{window.tier}个工作日内）"[:200],
            f"{what}的期限为 {row_due.isoformat()}{provisional}，"
            f"距到期已不足{window.tier}个工作日。",
            sweep.link(row), sweep.object_type, row_id,
            f"{sweep.name}_due_soon:{row_id}:{window.tier}", due_on=row_due,
        )
        return bool(sent)

    return for_each_item(ids, handle)


def _overdue_per_item(sweep: DeadlineSweep, kind: str, now: datetime) -> int:
    today = today_of(now)
    pk = sweep.model.__mapper__.primary_key[0]
    ids = db.session.scalars(
        select(pk).where(sweep.is_open(), sweep.column("due_on") < today)
        .order_by(sweep.column("due_on"), pk)
    ).all()

    def handle(row_id) -> bool:
        row = db.session.get(sweep.model, row_id,
                             with_for_update=True if _lock_rows() else None)
        if row is None:
            return False
        row_due = getattr(row, f"{sweep.prefix}_due_on")
        if not _is_open(row_id) or row_due is None or row_due >= today:
            return False  # moved on since the selection (another runner, a person)
        outcome = sweep.on_overdue(row, today) if sweep.on_overdue is not None else None
        db.session.flush()
        transitioned = not _is_open(row_id)
        what = sweep.describe(row)
        follow_up = outcome if isinstance(outcome, str) else sweep.overdue_advice
        sent = notify_users(
            (sweep.escalate or sweep.remind)(row), kind, f"{sweep.label}已逾期"[:200],
            f"{what}的期限 {row_due.isoformat()} 已过。{follow_up}",
            sweep.link(row), sweep.object_type, row_id, f"{sweep.name}_overdue:{row_id}",
            due_on=row_due,
        )
        return transitioned or bool(sent)

    def _is_open(row_id) -> bool:
        return db.session.scalar(select(pk).where(pk == row_id, sweep.is_open())) is not None

    return for_each_item(ids, handle)


def _lock_rows() -> bool:
    # SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers anyway.
    return db.session.get_bind().dialect.name == "postgresql"


# -- supplements (承诺限期补齐补全) and rectification orders (限期整改) -----------------------


def _applicant_user(application) -> User | None:
    """The applicant's online account, if they have an active one."""
    user_id = application.applicant.user_id
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.active else None


def _applicant_or_clerks(application) -> list[User]:
    user = _applicant_user(application)
    if user is not None:
        return [user]
    # A counter applicant with no online account: the counter clerks phone them.
    return recipients([Role.clerk], application.approval_department_id)


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


def _register_supplements() -> DeadlineSweep | None:
    try:
        from licensing.cases.models import SupplementObligation, SupplementStatus
    except ImportError:  # pragma: no cover - the cases domain is always there
        return None

    def describe(obligation) -> str:
        return (f"许可证 {obligation.licence.number} 承诺限期补齐补全的材料"
                f"「{obligation.material.name}」")

    def link(obligation) -> str | None:
        return (path_for("supplements.supplement", supplement_id=obligation.id)
                or path_for("cases.show", public_id=obligation.application.public_id))

    return register_deadline_sweep(DeadlineSweep(
        name="supplement", label="补齐补全材料", model=SupplementObligation,
        prefix="supplement",
        is_open=lambda: SupplementObligation.status == SupplementStatus.pending,
        object_type="supplement", describe=describe,
        remind=lambda o: _applicant_or_clerks(o.application), link=link,
        overdue_job=False,  # supplement_missed: licensing.supplements.jobs
    ))


SUPPLEMENT_SWEEP = _register_supplements()


def _register_rectifications() -> DeadlineSweep | None:
    sm = _supervision()
    if sm is None or not hasattr(sm, "RectificationOrder"):  # pragma: no cover
        return None
    order_model = sm.RectificationOrder

    def describe(order) -> str:
        return f"许可证 {order.task.licence.number} 的限期整改（核查任务 #{order.task_id}）"

    def remind(order) -> list[User]:
        applicant = _applicant_user(order.task.application)
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
    sm = _supervision()
    task = db.session.get(sm.VerificationTask, int(object_id))
    if task is None:
        return None
    return Owner(_task_workers(task, heads="always"), _task_link(task.id),
                 f"核查任务 #{task.id}（许可证 {task.licence.number}）")


@register_owner("supplement")
def _supplement_owner(object_id: str) -> Owner | None:
    if SUPPLEMENT_SWEEP is None:
        return None
    obligation = db.session.get(SUPPLEMENT_SWEEP.model, int(object_id))
    if obligation is None:
        return None
    return Owner(_applicant_or_clerks(obligation.application),
                 SUPPLEMENT_SWEEP.link(obligation), SUPPLEMENT_SWEEP.describe(obligation))


@register_owner("rectification")
def _rectification_owner(object_id: str) -> Owner | None:
    if RECTIFICATION_SWEEP is None:
        return None
    order = db.session.get(RECTIFICATION_SWEEP.model, int(object_id))
    if order is None:
        return None
    return Owner(RECTIFICATION_SWEEP.remind(order), RECTIFICATION_SWEEP.link(order),
                 RECTIFICATION_SWEEP.describe(order))


@register_owner("application")
def _application_owner(object_id: str) -> Owner | None:
    try:
        from licensing.cases.models import Application
    except ImportError:  # pragma: no cover
        return None
    application = db.session.get(Application, int(object_id))
    if application is None:
        return None
    return Owner(recipients([Role.approver], application.approval_department_id),
                 path_for("cases.show", public_id=application.public_id),
                 f"申请 {application.public_id[:8]}")


__all__ = [
    "DeadlineSweep",
    "ReminderWindow",
    "register_deadline_sweep",
    "reminder_windows",
    "reminder_working_days",
]
