"""What each role's dashboard shows: the head's SLA view, the approver's queue, the city view.

All figures are grouped counts through ``department_scope`` (a head and an approver see
only their own department); the lists link to the pages where the work is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select

from licensing.auth.access import department_scope
from licensing.auth.models import DepartmentKind, User
from licensing.cases.models import Application, ApplicationStatus
from licensing.cases.queries import visible_applications
from licensing.clock import local_today, utcnow
from licensing.enforcement.services import count_open_cases
from licensing.extensions import db
from licensing.notifications.models import Notification
from licensing.reports import charts
from licensing.reports.figures import on_time_rate
from licensing.reports.periods import Period
from licensing.reports.services import (
    MonthlyReportData,
    build_monthly_report,
    report_for,
    trend,
)
from licensing.supervision.jobs import NOTIFY_RESULT_PUSHED
from licensing.supervision.models import ACTIVE_TASK_STATES, Outcome, TaskStatus, VerificationTask
from licensing.supervision.services import (
    InboxFilters,
    current_due_expression,
    department_tasks,
    due_soon_limit,
    results_for_approval,
    task_inbox,
)
from licensing.supplements.services import count_awaiting_review

# --- the department head: deadlines (SLA) ------------------------------------------------------


@dataclass(frozen=True)
class InspectorLine:
    """One inspector's (or the unassigned pile's) active tasks and their deadlines."""

    user_id: int | None
    name: str
    active: int
    due_this_month: int
    due_soon: int
    overdue: int


@dataclass
class SlaView:
    """The head's view of the department's deadlines today."""

    today: date
    soon_limit: date
    lines: list[InspectorLine]
    totals: InspectorLine
    urgent: list[VerificationTask]
    month: MonthlyReportData
    statutory: dict[str, int] = field(default_factory=dict)  # approval departments
    supervisory: bool = True  # the head's department verifies (else it approves)

    @property
    def on_time_rate(self) -> float | None:
        """Return this month's on-time rate so far."""
        return on_time_rate(self.month.totals)


def sla_view(user: User, today: date | None = None) -> SlaView:
    """Build the head's deadline view: by inspector, the most urgent tasks, the month so far.

    For an approval department's head, the general track's statutory time limits instead.
    """
    today = today or local_today()
    limit = due_soon_limit(today)
    period = Period.of(today)
    lines: list[InspectorLine] = []
    urgent: list[VerificationTask] = []
    statutory: dict[str, int] = {}
    supervisory = (user.department is not None
                   and user.department.kind == DepartmentKind.supervisory)
    if supervisory:
        due_on = current_due_expression()
        active = VerificationTask.status.in_(ACTIVE_TASK_STATES)
        t = VerificationTask
        stmt = department_tasks(user).with_only_columns(
            t.assigned_to_id,
            func.count(t.id).filter(active),
            func.count(t.id).filter(t.status == TaskStatus.open,
                                    t.verification_due_on.between(period.first_day,
                                                                  period.last_day)),
            func.count(t.id).filter(active, due_on >= today, due_on <= limit),
            func.count(t.id).filter(active, due_on < today),
        ).where(active).group_by(t.assigned_to_id).order_by(None)
        rows = db.session.execute(stmt).all()
        names = dict(db.session.execute(
            select(User.id, User.display_name).where(
                User.id.in_([r[0] for r in rows if r[0] is not None]))).tuples().all())
        for user_id, *counts in rows:
            name = names.get(user_id, "") if user_id is not None else "待分派"
            lines.append(InspectorLine(user_id, name, *(int(c or 0) for c in counts)))
        lines.sort(key=lambda line: (line.user_id is None, -line.overdue, -line.due_soon,
                                     line.name))
        urgent = list(db.session.scalars(
            task_inbox(user, InboxFilters(due="overdue"), today, limit=10)).unique())
        if len(urgent) < 10:
            urgent += list(db.session.scalars(task_inbox(
                user, InboxFilters(due="due_soon"), today, limit=10 - len(urgent))).unique())
    elif user.department is not None:
        a = Application
        base = department_scope(select(a.id), a.approval_department_id, user=user)
        accepted = a.status == ApplicationStatus.accepted
        row = db.session.execute(base.with_only_columns(
            func.count(a.id).filter(a.status == ApplicationStatus.submitted),
            func.count(a.id).filter(accepted),
            func.count(a.id).filter(accepted, a.statutory_due_on >= today,
                                    a.statutory_due_on <= limit),
            func.count(a.id).filter(accepted, a.statutory_due_on < today),
        ).where(a.status.in_((ApplicationStatus.submitted, ApplicationStatus.accepted)))).one()
        statutory = dict(zip(("waiting", "accepted", "due_soon", "overdue"),
                             (int(v or 0) for v in row), strict=True))
    totals = InspectorLine(None, "合计", *(sum(getattr(line, f) for line in lines) for f in
                                          ("active", "due_this_month", "due_soon", "overdue")))
    month = build_monthly_report(period, user)
    return SlaView(today, limit, lines, totals, urgent, month, statutory, supervisory)


# --- the approver: the queue -------------------------------------------------------------------


@dataclass
class Queue:
    """What waits for the approval department."""

    waiting_decision: int
    general_in_progress: int
    statutory_overdue: int
    statutory_due_soon: int
    results_unread: int
    nonconform_results: int
    supplements_to_review: int
    revocations_open: int
    oldest_waiting: list[Application]
    soon_limit: date

    def waited(self, application: Application, now: datetime | None = None) -> str:
        """How long a signed letter has waited for its decision, in Chinese (``2天3小时``)."""
        if application.submitted_dt is None:
            return ""
        minutes = max(0, int(((now or utcnow()) - application.submitted_dt).total_seconds()
                             // 60))
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return f"{days}天{hours}小时"
        return f"{hours}小时{minutes}分钟" if hours else f"{minutes}分钟"

    @property
    def total(self) -> int:
        """Return how many things wait in all."""
        return (self.waiting_decision + self.results_unread + self.supplements_to_review
                + self.revocations_open)


def approver_queue(user: User, today: date | None = None) -> Queue:
    """Build the approver's queue: decisions, results to read, supplements, revocations."""

    today = today or local_today()
    limit = due_soon_limit(today)
    a = Application
    accepted = a.status == ApplicationStatus.accepted
    row = db.session.execute(visible_applications(user).with_only_columns(
        func.count(a.id).filter(a.status == ApplicationStatus.submitted),
        func.count(a.id).filter(accepted),
        func.count(a.id).filter(accepted, a.statutory_due_on < today),
        func.count(a.id).filter(accepted, a.statutory_due_on >= today,
                                a.statutory_due_on <= limit),
    ).where(a.status.in_((ApplicationStatus.submitted, ApplicationStatus.accepted)))
        .order_by(None)).one()
    unread = db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.kind == NOTIFY_RESULT_PUSHED,
        Notification.read_dt.is_(None))) or 0

    nonconform = db.session.scalar(
        results_for_approval(user).with_only_columns(func.count(VerificationTask.id))
        .where(VerificationTask.outcome == Outcome.nonconform,
               VerificationTask.status == TaskStatus.breach).order_by(None)) or 0
    oldest = list(db.session.scalars(
        visible_applications(user).where(a.status == ApplicationStatus.submitted)
        .order_by(a.submitted_dt, a.id).limit(10)))
    return Queue(
        waiting_decision=int(row[0] or 0), general_in_progress=int(row[1] or 0),
        statutory_overdue=int(row[2] or 0), statutory_due_soon=int(row[3] or 0),
        results_unread=int(unread), nonconform_results=int(nonconform),
        supplements_to_review=count_awaiting_review(user),
        revocations_open=count_open_cases(user), oldest_waiting=oldest, soon_limit=limit)


# --- the reform office: the city -----------------------------------------------------------------


@dataclass
class CityView:
    """The city view: the month's headline figures, a 12-month trend, departments compared."""

    period: Period
    report: MonthlyReportData
    points: list
    applications_chart: charts.Chart
    on_time_chart: charts.Chart
    overdue_chart: charts.Chart
    departments_chart: charts.Chart
    approvals_chart: charts.Chart


def city_view(user: User, period: Period, until: Period | None = None) -> CityView:
    """Build the reform office's view of ``period``, with the trend up to ``until``."""
    until = until or Period.current()
    # A finalised month is read from its snapshot (what was reported), not counted again;
    # a month counted live here is not counted a second time for the trend.
    report = report_for(period, user)
    points = trend(until, user, known={} if report.source == "final"
                   else {period: report.totals})
    labels = [p.period.short_label for p in points]
    partial = [p.partial for p in points]
    applications = charts.column_chart(
        "告知承诺制与一般程序申请（件）", labels,
        [("s-commitment", "告知承诺制"), ("s-general", "一般程序")],
        [(p.totals["applications_commitment"], p.totals["applications_general"])
         for p in points], partial=partial,
        description="近12个月每月受理的申请，按办理方式分列；带*的月份尚未结束。")
    on_time = charts.line_chart(
        "按期核查率（%）", labels, [on_time_rate(p.totals) for p in points], partial=partial,
        description="当月到期的核查任务中按期完成的比例。")
    overdue = charts.column_chart(
        "月末逾期未核查与超期推送（件）", labels,
        [("s-overdue", "月末逾期未核查"), ("s-late", "超期推送核查结果")],
        [(p.totals["tasks_overdue"], p.totals["results_pushed_late"]) for p in points],
        partial=partial, height=220,
        description="每月末仍逾期未核查的任务（含积压），以及当月超期推送的核查结果。")
    supervisory = [r for r in report.departments if r.kind == DepartmentKind.supervisory]
    supervisory.sort(key=lambda r: (-r.figures["tasks_due"], -r.figures["tasks_overdue"],
                                    r.code))
    rows = []
    for row in supervisory:
        f = row.figures
        rate = on_time_rate(f)
        note = (f"{f['tasks_on_time']}/{f['tasks_due']}"
                + (f" · {rate:.1f}%" if rate is not None else "")
                + (f" · 逾期 {f['tasks_overdue']}" if f["tasks_overdue"] else ""))
        rows.append((row.name, [(f["tasks_on_time"], "s-ontime", "按期完成"),
                                (f["tasks_due"] - f["tasks_on_time"], "s-missed",
                                 "未按期完成")], note))
    departments = charts.hbar_chart(
        f"{period.label}各监管部门到期核查任务", rows,
        legend=[("s-ontime", "按期完成"), ("s-missed", "未按期完成")],
        description="当月到期应核查的任务，按是否按期完成分段；右侧为按期完成数/到期数、"
                    "按期率和月末逾期未核查数。")
    approval_rows = []
    for row in report.departments:
        if row.kind != DepartmentKind.approval:
            continue
        f = row.figures
        approval_rows.append((row.name, [
            (f["applications_commitment"], "s-commitment", "告知承诺制"),
            (f["applications_general"], "s-general", "一般程序")],
            f"当场审批 {f['approved_on_the_spot']} · 撤销 {f['revocations']}"))
    approvals = charts.hbar_chart(
        f"{period.label}各审批部门受理申请", approval_rows,
        legend=[("s-commitment", "告知承诺制"), ("s-general", "一般程序")],
        description="当月受理的申请，按办理方式分段；右侧为当场审批和撤销许可数。")
    return CityView(period, report, points, applications, on_time, overdue, departments,
                    approvals)


__all__ = ["CityView", "InspectorLine", "Queue", "SlaView", "approver_queue", "city_view",
           "sla_view"]
