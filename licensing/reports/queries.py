"""The set-based queries behind the monthly report.

One ``SELECT ... GROUP BY department, item version`` per source table, with one
``count(*) FILTER (WHERE ...)`` per figure and a ``WHERE`` that is the union of the figures'
conditions, so each table is read once, through its date indexes where the planner finds
them worth it. Python then only adds up the groups (a department has a few dozen item
versions), never the rows.

Every condition is on a date stored on the row: legal dates (``*_on``) between the month's
first and last day, instants (``*_dt``, naive UTC) in ``[Period.start, Period.end)``. The
current ``status`` of a row is used only where the status cannot change any more (a revoked
revocation case, a rectified order), so a month that is over always counts the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Integer, and_, cast, false, func, or_, select, true
from sqlalchemy.sql import Select

from licensing.auth.access import department_scope
from licensing.calendar.models import CalendarRecomputeEvent
from licensing.cases.models import Application, Decision, Track
from licensing.credit.models import OutboxMessage, OutboxStatus
from licensing.extensions import db
from licensing.reports.figures import CITY_ONLY, DEPARTMENTAL
from licensing.reports.periods import Period
from licensing.revocation.models import RevocationCase, RevocationStatus
from licensing.supervision.models import (
    Outcome,
    RectificationOrder,
    RectificationStatus,
    VerificationTask,
)

#: ``(department id, item version id)``: the finest grouping the queries return.
CellKey = tuple[int, int]


@dataclass
class Collected:
    """Raw figures: per ``(department id, item version id)``, and the city-only ones."""

    cells: dict[CellKey, dict[str, int]] = field(default_factory=dict)
    city_only: dict[str, int] | None = None

    def add(self, key: CellKey, figures: dict[str, int]) -> None:
        """Add a group's figures to its cell."""
        cell = self.cells.setdefault(key, dict.fromkeys(DEPARTMENTAL, 0))
        for name, value in figures.items():
            cell[name] += int(value or 0)


def _count(condition):
    return func.count().filter(condition)


def _in_instants(column, period: Period):
    return and_(column >= period.start, column < period.end)


def _scoped(stmt: Select, column, user) -> Select:
    return department_scope(stmt, column, user=user) if user is not None else stmt


def application_figures(period: Period, user=None) -> Select:
    """Applications by track, on-the-spot approvals, credit refusals: by approval department.

    ``submitted_dt`` is the moment an application left the draft (letter signed on the
    commitment track, accepted on the general track); the track cannot change after it.
    """
    a = Application
    submitted = _in_instants(a.submitted_dt, period)
    decided = a.decided_on.between(period.first_day, period.last_day)
    refused = and_(a.credit_ineligible == true(), _in_instants(a.created_dt, period))
    stmt = (
        select(
            a.approval_department_id, a.item_version_id,
            _count(and_(submitted, a.track == Track.commitment)).label("applications_commitment"),
            _count(and_(submitted, a.track == Track.general)).label("applications_general"),
            _count(and_(decided, a.track == Track.commitment, a.decision == Decision.approve))
            .label("approved_on_the_spot"),
            _count(refused).label("credit_ineligible"),
        )
        .where(or_(submitted, decided, refused))
        .group_by(a.approval_department_id, a.item_version_id)
    )
    return _scoped(stmt, a.approval_department_id, user)


def _finalised_after(period: Period, deadline: str):
    """Task ids whose ``deadline`` stopped being provisional after the month ended."""
    e = CalendarRecomputeEvent
    return select(cast(e.object_id, Integer)).where(
        e.object_type == "verification_task", e.deadline == deadline,
        e.old_provisional == true(), e.new_provisional == false(), e.created_dt >= period.end)


def task_conditions(period: Period) -> dict[str, object]:
    """The SQL condition of each verification-task figure for ``period``."""
    t = VerificationTask
    first, last = period.first_day, period.last_day
    not_checked_by_end = or_(t.checked_on.is_(None), t.checked_on > last)
    not_closed_by_end = or_(t.closed_dt.is_(None), t.closed_dt >= period.end)
    not_pushed_by_end = or_(t.pushed_dt.is_(None), t.pushed_dt >= period.end)
    pushed = _in_instants(t.pushed_dt, period)
    verification_outstanding = and_(t.verification_start_on <= last, not_checked_by_end,
                                    not_closed_by_end)
    push_outstanding = and_(t.result_push_start_on <= last, not_pushed_by_end, not_closed_by_end)
    # A task ended by the revocation of its licence before it was checked (checked_on NULL,
    # closed_dt set) is no longer due once it has ended.
    # (Written positively: NOT over a NULL closed_dt would be NULL, not true.)
    not_ended_unchecked = or_(t.checked_on.is_not(None), t.closed_dt.is_(None),
                              t.closed_dt >= period.end)
    due = and_(t.verification_due_on.between(first, last), not_ended_unchecked)
    return {
        "tasks_due": due,
        "tasks_on_time": and_(due, t.checked_on <= t.verification_due_on),
        "tasks_done_late": and_(t.checked_on.between(first, last),
                                t.checked_on > t.verification_due_on),
        "tasks_overdue": and_(t.verification_due_on <= last, not_checked_by_end,
                              not_closed_by_end),
        "results_pushed": pushed,
        "results_pushed_late": and_(pushed, t.pushed_late == true()),
        "breaches": and_(t.checked_on.between(first, last), t.outcome == Outcome.nonconform),
        "judicial_transfers": t.judicial_transferred_on.between(first, last),
        "provisional_deadlines": or_(
            and_(verification_outstanding,
                 or_(t.verification_provisional == true(),
                     t.id.in_(_finalised_after(period, "verification")))),
            and_(push_outstanding,
                 or_(t.result_push_provisional == true(),
                     t.id.in_(_finalised_after(period, "result_push"))))),
    }


def task_figures(period: Period, user=None) -> Select:
    """The verification figures, by supervisory department."""
    t = VerificationTask
    conditions = task_conditions(period)
    stmt = (
        select(t.supervisory_department_id, t.item_version_id,
               *(_count(condition).label(name) for name, condition in conditions.items()))
        .where(or_(*conditions.values()))
        .group_by(t.supervisory_department_id, t.item_version_id)
    )
    return _scoped(stmt, t.supervisory_department_id, user)


def rectification_figures(period: Period, user=None) -> Select:
    """Rectification orders given and put right, by the task's supervisory department."""
    t, r = VerificationTask, RectificationOrder
    ordered = r.ordered_on.between(period.first_day, period.last_day)
    completed = and_(r.status == RectificationStatus.rectified,
                     _in_instants(r.outcome_recorded_dt, period))
    stmt = (
        select(t.supervisory_department_id, t.item_version_id,
               _count(ordered).label("rectifications_ordered"),
               _count(completed).label("rectifications_completed"))
        .select_from(r).join(t, t.id == r.task_id)
        .where(or_(ordered, completed))
        .group_by(t.supervisory_department_id, t.item_version_id)
    )
    return _scoped(stmt, t.supervisory_department_id, user)


def revocation_figures(period: Period, user=None) -> Select:
    """Licences revoked, by the approval department that decided."""
    c, a = RevocationCase, Application
    stmt = (
        select(c.approval_department_id, a.item_version_id, func.count().label("revocations"))
        .select_from(c).join(a, a.id == c.application_id)
        .where(c.status == RevocationStatus.revoked,
               c.decided_on.between(period.first_day, period.last_day))
        .group_by(c.approval_department_id, a.item_version_id)
    )
    return _scoped(stmt, c.approval_department_id, user)


def credit_figures(period: Period) -> Select:
    """Pushes to the credit platform delivered in the month, and pending at its end (city)."""
    o = OutboxMessage
    delivered = _in_instants(o.delivered_dt, period)
    # ``status <> 'delivered'`` is ``delivered_dt IS NULL`` (CHECK delivered_iff_dated), and
    # can use the status index.
    pending = and_(o.created_dt < period.end,
                   or_(o.status.in_((OutboxStatus.pending, OutboxStatus.failed)),
                       o.delivered_dt >= period.end))
    return select(_count(delivered).label("credit_pushes_delivered"),
                  _count(pending).label("credit_pushes_pending")).where(or_(delivered, pending))


def collect(period: Period, user=None) -> Collected:
    """Run the report's queries for ``period``; scoped to ``user``'s department if given.

    The city-only figures are computed when no user is given or the user sees every
    department.
    """
    collected = Collected()
    for build in (application_figures, task_figures, rectification_figures, revocation_figures):
        result = db.session.execute(build(period, user))
        names = list(result.keys())[2:]
        for row in result:
            collected.add((row[0], row[1]), dict(zip(names, row[2:], strict=True)))
    if user is None or user.sees_all_departments:
        row = db.session.execute(credit_figures(period)).one()
        collected.city_only = {name: int(row._mapping[name] or 0) for name in CITY_ONLY}
    return collected

