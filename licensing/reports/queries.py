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

**Bounds.** The month-end figures (overdue, provisional deadlines, pending pushes) reach
outside the month: for a month that is over they cover most of the table, which is then read
once in full. The month in progress is different: what they count is still unfinished, or
dated in the month. For it each figure also has a *bound* (``Source.bounds``), a condition
that every row the figure counts meets by logic alone (a superset, not an estimate), written
so that an index serves it: a date from the month's first day on, or a partial index of the
unfinished tasks. The ``WHERE`` is then ``(any bound) AND (any condition)``; the counts are the
same, only fewer rows are read (``tests/integration/test_report_bounds.py`` checks both
ways against each other).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import Integer, and_, cast, exists, false, func, join, or_, select, true
from sqlalchemy.sql import Select

from licensing.auth.access import department_scope
from licensing.calendar.models import CalendarRecomputeEvent
from licensing.cases.models import Application, Decision, Track
from licensing.clock import local_today
from licensing.credit.models import OutboxMessage, OutboxStatus
from licensing.enforcement.models import BreachCase, BreachStatus, RevocationCase, RevocationStatus
from licensing.extensions import db
from licensing.publicity.models import PublicityRecord
from licensing.reports.figures import DEPARTMENTAL, FIGURE_KEYS
from licensing.reports.periods import Period
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


def application_conditions(period: Period) -> dict[str, object]:
    """Applications by track, on-the-spot approvals, credit refusals (approval department).

    ``submitted_dt`` is the moment an application left the draft (letter signed on the
    commitment track, accepted on the general track); the track cannot change after it.
    """
    a = Application
    submitted = _in_instants(a.submitted_dt, period)
    return {
        "applications_commitment": and_(submitted, a.track == Track.commitment),
        "applications_general": and_(submitted, a.track == Track.general),
        "approved_on_the_spot": and_(a.decided_on.between(period.first_day, period.last_day),
                                     a.track == Track.commitment,
                                     a.decision == Decision.approve,
                                     a.decided_on_the_spot == true()),
        "approved_later": and_(a.decided_on.between(period.first_day, period.last_day),
                               a.track == Track.commitment, a.decision == Decision.approve,
                               or_(a.decided_on_the_spot.is_(None),
                                   a.decided_on_the_spot == false())),
        "credit_ineligible": and_(a.credit_ineligible == true(),
                                  _in_instants(a.created_dt, period)),
    }


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
    # During the month in progress only a task whose due date has passed is overdue: one due
    # on the 29th is not overdue on the 1st. Once the month is over the cut-off is its last day.
    overdue_through = min(last, local_today() - timedelta(days=1))
    return {
        "tasks_due": due,
        "tasks_on_time": and_(due, t.checked_on <= t.verification_due_on),
        "tasks_done_late": and_(t.checked_on.between(first, last),
                                t.checked_on > t.verification_due_on),
        "tasks_overdue": and_(t.verification_due_on <= overdue_through, not_checked_by_end,
                              not_closed_by_end),
        "results_pushed": pushed,
        "results_pushed_late": and_(pushed, t.pushed_late == true()),
        # a task's breach and transfer count here only while no breach case states them
        # (a result not pushed yet, or a task from before enforcement): see breach_conditions
        "breaches": and_(t.checked_on.between(first, last), t.outcome == Outcome.nonconform,
                         ~_breach_case_of(t.id)),
        "judicial_transfers": and_(
            t.judicial_transferred_on.between(first, last),
            ~_breach_case_of(t.id, BreachCase.judicial_transferred_on.is_not(None))),
        "provisional_deadlines": or_(
            and_(verification_outstanding,
                 or_(t.verification_provisional == true(),
                     t.id.in_(_finalised_after(period, "verification")))),
            and_(push_outstanding,
                 or_(t.result_push_provisional == true(),
                     t.id.in_(_finalised_after(period, "result_push"))))),
    }


def task_bounds(period: Period) -> dict[str, tuple]:
    """Per task figure, index-served conditions one of which its rows meet (see the module).

    A task overdue at the month's end is unchecked and not closed now (and due by the
    cut-off), or was checked after the month's last day, or closed after its end. A
    provisional deadline is flagged provisional now, or was finalised by a calendar change
    after the month (read first: a short list of ids, none while the month runs). Instants
    are compared with ``Period.start`` / ``Period.end``, dates with the first and last day.
    The unchecked and the flagged tasks are written as the predicates of
    ``ix_verification_tasks_unchecked`` and ``ix_verification_tasks_provisional``.
    """
    t = VerificationTask
    first, last = period.first_day, period.last_day
    overdue_through = min(last, local_today() - timedelta(days=1))  # as task_conditions
    checked_in_month = t.checked_on.between(first, last)
    checked_after = t.checked_on > last
    closed_after = t.closed_dt >= period.end
    due_in_month = t.verification_due_on.between(first, last)
    pushed = _in_instants(t.pushed_dt, period)
    finalised_later = list(db.session.scalars(
        select(cast(CalendarRecomputeEvent.object_id, Integer)).where(
            CalendarRecomputeEvent.object_type == "verification_task",
            CalendarRecomputeEvent.old_provisional == true(),
            CalendarRecomputeEvent.new_provisional == false(),
            CalendarRecomputeEvent.created_dt >= period.end)))
    provisional = (or_(t.verification_provisional, t.result_push_provisional),
                   *((t.id.in_(finalised_later),) if finalised_later else ()))
    return {
        "tasks_due": (due_in_month,),
        "tasks_on_time": (due_in_month,),
        "tasks_done_late": (checked_in_month,),
        "tasks_overdue": (and_(t.checked_on.is_(None), t.closed_dt.is_(None),
                               t.verification_due_on <= overdue_through),
                          checked_after, closed_after),
        "results_pushed": (pushed,),
        "results_pushed_late": (pushed,),
        "breaches": (checked_in_month,),
        "judicial_transfers": (t.judicial_transferred_on.between(first, last),),
        "provisional_deadlines": provisional,
    }


def _breach_case_of(task_id, *conditions):
    """``EXISTS`` a breach case of the task (meeting ``conditions``)."""
    return exists().where(BreachCase.task_id == task_id, *conditions)


def breach_conditions(period: Period) -> dict[str, object]:
    """Breach cases of every origin (the licence's supervisory department).

    Found in verification, routine inspection, on a complaint, a referral or a credit re-check
    (工作方案 三（四）: 「在核查或日常监管中发现」); counted on the day found, the day the
    rectification was ordered, the moment it was confirmed put right, the day of the transfer
    to the judicial authorities.
    """
    b = BreachCase
    first, last = period.first_day, period.last_day
    return {
        "breaches": b.found_on.between(first, last),
        "rectifications_ordered": b.rectification_ordered_on.between(first, last),
        "rectifications_completed": and_(b.status == BreachStatus.rectified,
                                         _in_instants(b.outcome_recorded_dt, period)),
        "judicial_transfers": b.judicial_transferred_on.between(first, last),
    }


def rectification_conditions(period: Period) -> dict[str, object]:
    """Task rectification orders no breach case states (tasks from before enforcement)."""
    r = RectificationOrder
    legacy = ~_breach_case_of(r.task_id)
    return {
        "rectifications_ordered": and_(r.ordered_on.between(period.first_day, period.last_day),
                                       legacy),
        "rectifications_completed": and_(r.status == RectificationStatus.rectified,
                                         _in_instants(r.outcome_recorded_dt, period), legacy),
    }


def revocation_conditions(period: Period) -> dict[str, object]:
    """Licences revoked (the approval department that decided), in the month of service.

    A revocation takes effect on service (送达), so it counts in the month it was served; one
    withdrawn later (``reversed``) still took effect that month, so the month keeps counting it.
    """
    c = RevocationCase
    return {"revocations": and_(c.status.in_((RevocationStatus.revoked,
                                              RevocationStatus.reversed)),
                                c.served_on.between(period.first_day, period.last_day))}


def credit_conditions(period: Period) -> dict[str, object]:
    """Pushes to the credit platform delivered in the month, and pending at its end (city)."""
    o = OutboxMessage
    return {
        "credit_pushes_delivered": _in_instants(o.delivered_dt, period),
        # ``status <> 'delivered'`` is ``delivered_dt IS NULL`` (CHECK delivered_iff_dated),
        # and can use the status index.
        "credit_pushes_pending": and_(
            o.created_dt < period.end,
            or_(o.status.in_((OutboxStatus.pending, OutboxStatus.failed)),
                o.delivered_dt >= period.end)),
    }


def publicity_conditions(period: Period) -> dict[str, object]:
    """Publicity records made public late in the month, and overdue at its end."""
    p = PublicityRecord
    return {
        "publicity_late": and_(p.delivered_on.between(period.first_day, period.last_day),
                               p.delivered_on > p.publicity_due_on),
        "publicity_overdue": and_(p.publicity_due_on <= period.last_day,
                                  or_(p.delivered_on.is_(None),
                                      p.delivered_on > period.last_day)),
    }


def credit_bounds(period: Period) -> dict[str, tuple]:
    """Per credit figure, index-served conditions one of which its rows meet."""
    o = OutboxMessage
    return {"credit_pushes_delivered": (_in_instants(o.delivered_dt, period),),
            "credit_pushes_pending": (o.status.in_((OutboxStatus.pending, OutboxStatus.failed)),
                                      o.delivered_dt >= period.end)}


def publicity_bounds(period: Period) -> dict[str, tuple]:
    """Per publicity figure, index-served conditions one of which its rows meet."""
    p = PublicityRecord
    since_first = (p.delivered_on.is_(None), p.delivered_on >= period.first_day)
    return {"publicity_late": since_first, "publicity_overdue": since_first}


@dataclass(frozen=True)
class Source:
    """One table the report counts: its conditions, and the department and item it names."""

    conditions: Callable[[Period], dict[str, object]]
    table: Callable[[], object]  # the FROM clause (with its join)
    department: Callable[[], object] | None  # None: city only
    item_version: Callable[[], object] | None
    #: Per figure, conditions one of which each of its rows meets, each served by an index
    #: (for a month in progress); None: the conditions are index ranges themselves, or the
    #: table is small.
    bounds: Callable[[Period], dict[str, tuple]] | None = None
    #: A city-wide panel's figures of the month in progress are counted one by one (each
    #: condition a range of a covering index) rather than together.
    apart: bool = False

    def where(self, months: dict[Period, dict[str, object]]) -> list:
        """The ``WHERE`` of the months' counts (``months``: the conditions counted in each):
        any condition, and any of their bounds (see the module).

        The bounds are added only when every month is in progress: for a month that is over
        they reach most of the table, and a plain read of it is cheaper.
        """
        conditions, bounds = [], self.bound_arms(months)
        for wanted in months.values():
            conditions += wanted.values()
        where = [or_(*conditions)]
        if bounds:
            where.append(or_(*bounds))
        return where

    def bound_arms(self, months: dict[Period, dict[str, object]]) -> list:
        """The bounds of the months' wanted figures, each arm once; none if a month is over."""
        bounded = self.bounds is not None and not any(p.has_ended() for p in months)
        bounds = {}
        if bounded:
            for period, wanted in months.items():
                for name, arms in self.bounds(period).items():
                    if name in wanted:
                        bounds.update((id(arm), arm) for arm in arms)  # each arm once
        return list(bounds.values())


SOURCES = (
    Source(application_conditions, lambda: Application,
           lambda: Application.approval_department_id, lambda: Application.item_version_id,
           apart=True),
    # A month that is over: one parallel sequential scan at a million cases (~0.2 s): the
    # month-end figures (overdue, provisional) reach outside the month's date ranges, so an
    # index combination does no better (measured with bench/report.py --explain). The month
    # in progress: its bounds, index ranges over the month's and the unfinished tasks.
    Source(task_conditions, lambda: VerificationTask,
           lambda: VerificationTask.supervisory_department_id,
           lambda: VerificationTask.item_version_id, task_bounds),
    Source(rectification_conditions,
           lambda: join(RectificationOrder, VerificationTask,
                        VerificationTask.id == RectificationOrder.task_id),
           lambda: VerificationTask.supervisory_department_id,
           lambda: VerificationTask.item_version_id),
    Source(breach_conditions,
           lambda: join(BreachCase, Application, Application.id == BreachCase.application_id),
           lambda: BreachCase.supervisory_department_id, lambda: Application.item_version_id),
    Source(revocation_conditions,
           lambda: join(RevocationCase, Application,
                        Application.id == RevocationCase.application_id),
           lambda: RevocationCase.approval_department_id, lambda: Application.item_version_id),
    Source(credit_conditions, lambda: OutboxMessage, None, None, credit_bounds),
    Source(publicity_conditions, lambda: PublicityRecord,
           lambda: PublicityRecord.approval_department_id,
           lambda: PublicityRecord.item_version_id, publicity_bounds),
)


def grouped(source: Source, period: Period, user=None) -> Select:
    """One month's figures of a source, by department and item version."""
    conditions = source.conditions(period)
    department, version = source.department(), source.item_version()
    stmt = (
        select(department, version,
               *(_count(condition).label(name) for name, condition in conditions.items()))
        .select_from(source.table())
        .where(*source.where({period: conditions}))
        .group_by(department, version)
    )
    return _scoped(stmt, department, user)


def city_only(source: Source, period: Period) -> Select:
    """One month's figures of a source without a department (the city's)."""
    conditions = source.conditions(period)
    return (select(*(_count(condition).label(name) for name, condition in conditions.items()))
            .select_from(source.table()).where(*source.where({period: conditions})))


def collect(period: Period, user=None) -> Collected:
    """Run the report's queries for ``period``; scoped to ``user``'s department if given.

    The city-only figures are computed when no user is given or the user sees every
    department.
    """
    collected = Collected()
    for source in SOURCES:
        if source.department is None:
            if user is None or user.sees_all_departments:
                row = db.session.execute(city_only(source, period)).one()
                collected.city_only = {name: int(value or 0)
                                       for name, value in row._mapping.items()}
            continue
        result = db.session.execute(grouped(source, period, user))
        names = list(result.keys())[2:]
        for row in result:
            collected.add((row[0], row[1]), dict(zip(names, row[2:], strict=True)))
    return collected


def monthly_totals(periods: list[Period], user=None,
                   figures: set[str] | None = None) -> dict[Period, dict[str, int]]:
    """The totals of several months at once: one query per table, one count per month.

    The same conditions as ``collect``, so the figures are the same; for the trends of the
    dashboards, where twelve separate reports would read every table twelve times. Give
    ``figures`` to count only those (a home page's panel): a table none of them comes from
    is not read.
    """
    totals = {p: {} for p in periods}
    sees_all = user is None or user.sees_all_departments
    for source in SOURCES:
        if source.department is None and not sees_all:
            continue
        months = {period: {name: condition for name, condition
                           in source.conditions(period).items()
                           if figures is None or name in figures} for period in periods}
        columns = [_count(condition).label(f"{name}__{index}")
                   for index, wanted in enumerate(months.values())
                   for name, condition in wanted.items()]
        if not columns:
            continue
        if source.apart and figures is not None and sees_all and len(periods) == 1 \
                and not periods[0].has_ended():
            # a city panel's few figures of the month in progress, each its own index-only
            # count (ix_applications_submitted_track, ix_applications_decided_spot): one
            # count with FILTERs over their OR visits every row of the month in the table
            (wanted,) = months.values()
            stmt = select(*(select(func.count()).select_from(source.table()).where(condition)
                            .scalar_subquery().label(f"{name}__0")
                            for name, condition in wanted.items()))
            rows = dict(db.session.execute(stmt).one()._mapping)
        else:
            rows = {}
            by_arms = _by_arms(source, months) if figures is not None else {}
            for name, (condition, arms) in by_arms.items():  # a sum of counts, one per arm
                rows[f"{name}__0"] = sum(db.session.scalar(_scoped_to(
                    source, user, select(func.count()).select_from(source.table()).where(
                        condition, arm, *(earlier.is_not(True) for earlier in arms[:k]))))
                    or 0 for k, arm in enumerate(arms))
            rest = {period: {name: condition for name, condition in wanted.items()
                             if name not in by_arms} for period, wanted in months.items()}
            if any(rest.values()):
                stmt = select(*(_count(condition).label(f"{name}__{index}")
                                for index, wanted in enumerate(rest.values())
                                for name, condition in wanted.items())
                              ).select_from(source.table()).where(*source.where(rest))
                rows.update(db.session.execute(_scoped_to(source, user, stmt)).one()._mapping)
        for label, value in rows.items():
            name, index = label.rsplit("__", 1)
            month = totals[periods[int(index)]]
            month[name] = month.get(name, 0) + int(value or 0)  # a figure may have two sources
    return {p: {k: month[k] for k in FIGURE_KEYS if k in month}
            for p, month in totals.items()}


def _scoped_to(source: Source, user, stmt: Select) -> Select:
    return _scoped(stmt, source.department(), user) if source.department is not None else stmt


def _by_arms(source: Source, months: dict[Period, dict[str, object]]) -> dict[str, tuple]:
    """``{name: (condition, bound arms)}`` of the wanted figures of one month in progress
    whose bounds have several arms (the overdue tasks), for a panel; else empty.

    Such a figure is counted as a sum, one ``count(*)`` per arm of its own bounds, each row in
    the first arm it meets (``IS NOT TRUE`` of the earlier ones, which is also right where an
    arm is NULL): every row it counts meets one of them, so the sum is the count. Unlike one
    statement whose ``WHERE`` is their ``OR`` (a bitmap scan that visits each row in the
    table), the first arm of the overdue tasks is then an index-only range of the partial
    index ``ix_verification_tasks_unchecked``: a count with no ``FILTER`` reads no other
    column. The other figures are counted together as before, over their own bounds.
    """
    if len(months) != 1 or source.bounds is None:
        return {}
    ((period, wanted),) = months.items()
    if period.has_ended():
        return {}
    bounds = source.bounds(period)
    return {name: (condition, list(bounds[name])) for name, condition in wanted.items()
            if len(bounds.get(name, ())) > 1}
