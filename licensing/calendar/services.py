"""The calendar's rules over the database: what other domains call for every legal deadline.

Reading: ``get_calendar()`` returns the in-memory ``WorkingCalendar`` of the current calendar
version (cached per process, rebuilt when the version changes); ``due``,
``compute_deadline`` and ``recompute_deadline`` answer from it.

Changing: ``sync_official_data`` (python-holidays) and ``import_notice`` (an administrator's
notice file) both go through a *plan* -- the days that change and the stored deadlines that
move -- shown as a preview, then applied in one transaction: a new calendar version, the
days, every open deadline touching the changed days recomputed, an audit entry for each
moved deadline and a ``CalendarRecomputeEvent`` for the owner's notification. Services
flush and never commit (the command or the request does).
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from sqlalchemy import event, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from licensing.audit.services import record_audit
from licensing.calendar import sources
from licensing.calendar.core import (
    CalendarRangeError,
    Day,
    DayKind,
    DueDate,
    WorkingCalendar,
    YearSchedule,
    build_days,
)
from licensing.calendar.deadlines import (
    Deadline,
    DeadlineRule,
    check_start_event,
    resolve_working_days,
)
from licensing.calendar.errors import (
    CalendarChanged,
    CalendarNotLoaded,
    CalendarOutOfRange,
    InvalidDeadline,
    NoticeFileInvalid,
)
from licensing.calendar.models import (
    CalendarDay,
    CalendarNotice,
    CalendarRecomputeEvent,
    CalendarVersion,
    CalendarYear,
    ChangeReason,
    NoticeSource,
)
from licensing.calendar.notice_file import NoticeFile, NoticeFileError, parse_notice_file
from licensing.calendar.registry import (
    DeadlineRef,
    open_deadlines,
    register_deadline_model,
    register_deadline_provider,
)
from licensing.clock import local_today
from licensing.extensions import db

__all__ = [
    "CalendarChangePlan",
    "DayChange",
    "Deadline",
    "DeadlineChange",
    "DeadlineRule",
    "DueDate",
    "YearStatus",
    "calendar_status_warning",
    "compute_deadline",
    "current_version",
    "due",
    "get_calendar",
    "import_notice",
    "plan_notice_import",
    "plan_sync",
    "read_notice_file",
    "recompute_deadline",
    "register_deadline_model",
    "register_deadline_provider",
    "sync_official_data",
    "year_statuses",
]

# -- reading ---------------------------------------------------------------------------------

_cache_lock = threading.Lock()
#: Calendars built, by the token of their version, the most recent last: one per database
#: this process reads (a web worker has one; the test suite and the benches have two).
_cached: dict[str, WorkingCalendar] = {}
_CACHE_SIZE = 4


def _remember(token: str, calendar: WorkingCalendar) -> None:
    with _cache_lock:
        _cached.pop(token, None)
        _cached[token] = calendar
        while len(_cached) > _CACHE_SIZE:
            del _cached[next(iter(_cached))]


def forget_calendars() -> None:
    """Drop the built calendars: the next read rebuilds from the database."""
    with _cache_lock:
        _cached.clear()


_SESSION_KEY = "calendar_version_row"


def _version_row() -> tuple[int, str] | None:
    # One look at the version per transaction: a decision computes several deadlines, and
    # they must all use the same calendar anyway. The memo lives in the session's ``info``
    # and is dropped at every commit and rollback (and when this module changes the data).
    info = db.session.info
    if _SESSION_KEY in info:
        return info[_SESSION_KEY]
    row = db.session.execute(
        select(CalendarVersion.version, CalendarVersion.token)
        .order_by(CalendarVersion.version.desc())
        .limit(1)
    ).first()
    result = (row.version, row.token) if row is not None else None
    info[_SESSION_KEY] = result
    return result


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _forget_version_row(session, *args) -> None:
    session.info.pop(_SESSION_KEY, None)


def current_version() -> int:
    """Return the current calendar version, 0 when no data was ever loaded."""
    row = _version_row()
    return row[0] if row is not None else 0


def get_calendar() -> WorkingCalendar:
    """Return the working calendar of the current version (cached, rebuilt when it changes).

    Raises ``CalendarNotLoaded`` when the database holds no calendar data: deadlines are
    never computed from a guess.
    """
    row = _version_row()
    if row is None:
        raise CalendarNotLoaded()
    version, token = row
    calendar = _cached.get(token)
    if calendar is None:
        calendar = _load_calendar(version)
        _remember(token, calendar)
    return calendar


def _load_calendar(version: int) -> WorkingCalendar:
    references = {n.id: n.reference for n in db.session.scalars(select(CalendarNotice))}
    rows = db.session.execute(
        select(CalendarDay.day_on, CalendarDay.kind, CalendarDay.name, CalendarDay.official,
               CalendarDay.notice_id).order_by(CalendarDay.day_on)
    ).all()
    if not rows:
        raise CalendarNotLoaded()
    days = [
        Day(r.day_on, DayKind(r.kind), bool(r.official), r.name,
            references.get(r.notice_id) if r.notice_id is not None else None)
        for r in rows
    ]
    return WorkingCalendar(days, version=version)


def _check_start(start: date) -> None:
    if isinstance(start, datetime) or not isinstance(start, date):
        raise InvalidDeadline("起算日期必须是日期（不含时间）；时刻请先用 clock.local_date 换算。")


def _due(calendar: WorkingCalendar, start: date, n: int) -> DueDate:
    try:
        return calendar.due(start, n)
    except CalendarRangeError as exc:
        raise CalendarOutOfRange(str(exc)) from None
    except ValueError as exc:
        raise InvalidDeadline(str(exc)) from None


def due(start: date, n: int) -> DueDate:
    """Return the n-th working day strictly after ``start`` and whether it is provisional."""
    _check_start(start)
    return _due(get_calendar(), start, n)


def compute_deadline(
    rule: DeadlineRule,
    *,
    start_on: date,
    start_event: str,
    working_days: int | None = None,
    calendar: WorkingCalendar | None = None,
) -> Deadline:
    """Compute a legal deadline with its provenance, ready to store with ``deadline_mixin``.

    ``start_on`` is the local date of ``start_event`` (a snake_case code such as
    ``licence_issued``); the count starts the day after. ``working_days`` is required by
    rules without a fixed number (``item_specific``, ``supplement``, ``statutory``,
    ``rectification``) and refused if it contradicts a fixed one (60, 7, 5). Raises
    ``InvalidDeadline``, ``CalendarOutOfRange`` or ``CalendarNotLoaded``.
    """
    _check_start(start_on)
    try:
        rule = DeadlineRule(rule)
        n = resolve_working_days(rule, working_days)
        check_start_event(start_event)
    except ValueError as exc:
        raise InvalidDeadline(str(exc)) from None
    calendar = calendar if calendar is not None else get_calendar()
    result = _due(calendar, start_on, n)
    return Deadline(rule=rule, working_days=n, start_event=start_event, start_on=start_on,
                    due_on=result.due_on, provisional=result.provisional,
                    calendar_version=calendar.version)


def recompute_deadline(deadline: Deadline, calendar: WorkingCalendar | None = None) -> Deadline:
    """Return ``deadline`` computed again on ``calendar`` (default: the current one)."""
    calendar = calendar if calendar is not None else get_calendar()
    result = _due(calendar, deadline.start_on, deadline.working_days)
    return Deadline(rule=deadline.rule, working_days=deadline.working_days,
                    start_event=deadline.start_event, start_on=deadline.start_on,
                    due_on=result.due_on, provisional=result.provisional,
                    calendar_version=calendar.version)


# -- status ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class YearStatus:
    """What the calendar holds for one year."""

    year: int
    official: bool
    notice_reference: str | None
    notice_title: str | None
    notice_source: NoticeSource | None
    issued_on: date | None
    holidays: int  # days off on weekdays, set by the notice or the projection
    makeup_days: int

    @property
    def status_label(self) -> str:
        """Return ``正式`` or ``暂定``."""
        return "正式" if self.official else "暂定"


def year_statuses() -> list[YearStatus]:
    """Return the status of every year the calendar holds, newest first."""
    calendar = get_calendar()
    counts: Counter[tuple[int, DayKind]] = Counter()
    for day in calendar.days():
        if day.kind is DayKind.makeup or (day.kind is DayKind.holiday and day.on.weekday() < 5):
            counts[(day.on.year, day.kind)] += 1
    years = db.session.scalars(select(CalendarYear).order_by(CalendarYear.year.desc())).all()
    return [
        YearStatus(
            year=y.year,
            official=y.official,
            notice_reference=y.notice.reference if y.notice else None,
            notice_title=y.notice.title if y.notice else None,
            notice_source=y.notice.source if y.notice else None,
            issued_on=y.notice.issued_on if y.notice else None,
            holidays=counts[(y.year, DayKind.holiday)],
            makeup_days=counts[(y.year, DayKind.makeup)],
        )
        for y in years
    ]


def calendar_status_warning(today: date | None = None) -> str | None:
    """Return the warning administrators must see about missing notices, or ``None``.

    Warns when no data is loaded, when the current year has no official notice, and from
    December 1 when the next year has none (deadlines reaching into it are provisional).
    """
    today = today if today is not None else local_today()
    official = dict(db.session.execute(select(CalendarYear.year, CalendarYear.official)).all())
    if not official:
        return "工作日历数据尚未加载，系统无法计算期限。请执行「flask calendar sync」。"
    if not official.get(today.year):
        return (f"{today.year}年的国务院节假日安排通知尚未导入：本年度的工作日按法定节假日推算，"
                "所有期限均为暂定。请尽快导入通知。")
    next_year = today.year + 1
    if today >= date(today.year, 12, 1) and not official.get(next_year):
        return (f"{next_year}年的国务院节假日安排通知尚未导入：跨入{next_year}年的期限均为暂定，"
                "导入后将自动重算并通知相关人员。请在通知发布后及时导入。")
    return None


# -- planning changes ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """What a day should become: its kind, name, status and the year of its notice."""

    kind: DayKind
    name: str | None
    official: bool
    notice_year: int | None


@dataclass(frozen=True)
class DayChange:
    """One day whose kind, name or status changes (``old`` is None for a new day)."""

    on: date
    old: Day | None
    new: Day

    @property
    def working_changed(self) -> bool:
        """Return whether the day turns from working to non-working or back."""
        return self.old is not None and self.old.is_working != self.new.is_working

    @property
    def description(self) -> str:
        """Describe the change in Chinese, e.g. ``工作日 → 节假日（春节）``."""
        new = self.new.kind.label + (f"（{self.new.name}）" if self.new.name else "")
        if self.old is None:
            return f"新增：{new}"
        old = self.old.kind.label + (f"（{self.old.name}）" if self.old.name else "")
        status = ""
        if self.old.official != self.new.official:
            status = "，暂定转为正式" if self.new.official else "，正式转为暂定"
        return f"{old} → {new}{status}"


@dataclass(frozen=True)
class DeadlineChange:
    """A stored open deadline that the change moves or confirms."""

    ref: DeadlineRef
    old: Deadline
    new: Deadline
    #: The earlier date the new calendar gives a deadline that binds the person; the date
    #: given in writing is held instead (``new.due_on == old.due_on``).
    computed_due_on: date | None = None

    @property
    def held(self) -> bool:
        """Return whether a date given in writing was kept against an earlier computed one."""
        return self.computed_due_on is not None

    @property
    def moved(self) -> bool:
        """Return whether the due date changes (not only the provisional flag)."""
        return self.old.due_on != self.new.due_on


@dataclass
class _NoticeToCreate:
    year: int
    source: NoticeSource
    title: str
    number: str | None = None
    issued_on: date | None = None
    file_sha256: str | None = None
    content: dict | None = None


@dataclass
class CalendarChangePlan:
    """What a sync or an import would change; ``apply`` is done by the service that made it."""

    reason: ChangeReason
    base_version: int
    summary: str
    calendar: WorkingCalendar  # the calendar after the change, as version base_version + 1
    day_changes: list[DayChange]
    deadline_changes: list[DeadlineChange]
    official_years: dict[int, bool]  # the years whose status is written, and their status
    warnings: list[str] = field(default_factory=list)
    notice: NoticeFile | None = None
    _rows: dict[date, _Target] = field(default_factory=dict, repr=False)
    _new_notices: list[_NoticeToCreate] = field(default_factory=list, repr=False)

    @property
    def is_empty(self) -> bool:
        """Return whether applying the plan would change nothing."""
        return not self._rows and not self._new_notices

    @property
    def working_day_changes(self) -> list[DayChange]:
        """Return the changes that turn a working day into a day off or back."""
        return [c for c in self.day_changes if c.working_changed]

    @property
    def confirmed_days(self) -> int:
        """Return how many days turn from provisional to official."""
        return sum(1 for c in self.day_changes
                   if c.old is not None and not c.old.official and c.new.official)

    @property
    def new_version(self) -> int:
        """Return the version the change will create."""
        return self.base_version + 1


def _current_targets() -> tuple[dict[date, _Target], dict[int, CalendarNotice]]:
    notices = {n.id: n for n in db.session.scalars(select(CalendarNotice))}
    rows = db.session.execute(
        select(CalendarDay.day_on, CalendarDay.kind, CalendarDay.name, CalendarDay.official,
               CalendarDay.notice_id)
    ).all()
    current = {
        r.day_on: _Target(DayKind(r.kind), r.name, bool(r.official),
                          notices[r.notice_id].year if r.notice_id is not None else None)
        for r in rows
    }
    return current, notices


def _day(on: date, target: _Target, references: Mapping[int, str]) -> Day:
    reference = references.get(target.notice_year) if target.notice_year is not None else None
    return Day(on, target.kind, target.official, target.name, reference)


def _targets_from_schedules(schedules: Iterable[YearSchedule]) -> dict[date, _Target]:
    schedules = list(schedules)
    year_of_notice = {s.notice: s.year for s in schedules if s.official}
    return {
        d.on: _Target(d.kind, d.name, d.official,
                      year_of_notice.get(d.notice) if d.official else None)
        for d in build_days(schedules)
    }


def _make_plan(
    reason: ChangeReason,
    targets: Mapping[date, _Target],
    official_years: dict[int, bool],
    new_notices: list[_NoticeToCreate],
    summary: str,
    *,
    notice: NoticeFile | None = None,
    warnings: list[str] | None = None,
) -> CalendarChangePlan:
    base_version = current_version()
    current, notices = _current_targets()
    replaced_years = {n.year for n in new_notices}
    # The notice each year will cite: a new one, else the year's current one.
    references: dict[int, str] = {}
    for year_row in db.session.scalars(select(CalendarYear)):
        if year_row.notice_id is not None:
            references[year_row.year] = notices[year_row.notice_id].reference
    for new in new_notices:
        references[new.year] = new.number or new.title

    rows = {
        d: t for d, t in targets.items()
        if current.get(d) != t or (t.notice_year is not None and t.notice_year in replaced_years)
    }
    day_changes: list[DayChange] = []
    for on in sorted(rows):
        new_day = _day(on, rows[on], references)
        old_target = current.get(on)
        old_day = _day(on, old_target, references) if old_target is not None else None
        if old_day is None or (old_day.kind, old_day.name, old_day.official) != (
            new_day.kind, new_day.name, new_day.official
        ):
            day_changes.append(DayChange(on, old_day, new_day))

    merged = dict(current)
    merged.update(targets)
    new_calendar = WorkingCalendar(
        [_day(on, merged[on], references) for on in sorted(merged)], version=base_version + 1
    )
    # Deadlines can only move when a day's working status or official flag changes.
    touched = [c.on for c in day_changes
               if c.old is not None and (c.working_changed or c.old.official != c.new.official)]
    deadline_changes: list[DeadlineChange] = []
    if touched:
        for ref in open_deadlines(min(touched), max(touched)):
            old = ref.get()
            if old is None:
                continue
            new = recompute_deadline(old, new_calendar)
            computed_due_on = None
            if old.rule.binds_the_person and new.due_on < old.due_on:
                # A date given to the person in writing never moves against them.
                computed_due_on = new.due_on
                new = replace(new, due_on=old.due_on)
            if computed_due_on is not None or (new.due_on, new.provisional) != (
                    old.due_on, old.provisional):
                deadline_changes.append(DeadlineChange(ref, old, new, computed_due_on))
    return CalendarChangePlan(
        reason=reason,
        base_version=base_version,
        summary=summary,
        calendar=new_calendar,
        day_changes=day_changes,
        deadline_changes=deadline_changes,
        official_years=official_years,
        warnings=list(warnings or []),
        notice=notice,
        _rows=rows,
        _new_notices=new_notices,
    )


def plan_sync(today: date | None = None) -> CalendarChangePlan:
    """Plan loading python-holidays' official years and projecting the following ones.

    Years already official through an imported notice are left alone (a disagreement with
    python-holidays is reported in ``warnings``); an official year never becomes provisional.
    Projected years reach ``PROJECTION_YEARS`` past the newest official year and past today.
    """
    today = today if today is not None else local_today()
    notice_years = sources.python_holidays_notice_years()
    year_rows = {y.year: y for y in db.session.scalars(select(CalendarYear))}
    newest_official = max([notice_years[-1]] + [y for y, r in year_rows.items() if r.official])
    horizon = max(newest_official, today.year) + sources.PROJECTION_YEARS
    horizon = max([horizon, *year_rows])

    official_schedules = {s.year: s for s in sources.official_schedules(notice_years)}
    schedules: list[YearSchedule] = []
    kept_years: set[int] = set()
    warnings: list[str] = []
    for year in range(sources.FIRST_YEAR, horizon + 1):
        row = year_rows.get(year)
        if row is not None and row.official and (
            row.notice is None or row.notice.source is NoticeSource.import_file
            or year not in official_schedules
        ):
            kept_years.add(year)
            schedules.append(YearSchedule(year, True, {}, {}, f"kept-{year}"))
        elif year in official_schedules:
            schedules.append(official_schedules[year])
        else:
            schedules.append(sources.projected_schedule(year))
    all_targets = _targets_from_schedules(schedules)
    targets = {d: t for d, t in all_targets.items() if d.year not in kept_years}

    # Report where python-holidays disagrees with an imported notice.
    imported_disagreements: list[str] = []
    compared_years = sorted(kept_years & set(official_schedules))
    if compared_years:
        current, _ = _current_targets()
        for year in compared_years:
            for on, target in _targets_from_schedules([official_schedules[year]]).items():
                if on in current and target.kind.is_working != current[on].kind.is_working:
                    imported_disagreements.append(on.isoformat())
    if imported_disagreements:
        warnings.append("已导入的通知与内置数据在以下日期不一致（保留已导入的通知）："
                        + "、".join(imported_disagreements[:20]))

    new_notices = [
        _NoticeToCreate(year=year, source=NoticeSource.python_holidays,
                        title=sources.notice_title(year))
        for year in official_schedules
        if year not in kept_years and (
            year not in year_rows or year_rows[year].notice is None
            or year_rows[year].notice.source is not NoticeSource.python_holidays
        )
    ]
    official_years = {s.year: s.official for s in schedules if s.year not in kept_years}
    official_span = [y for y, o in official_years.items() if o]
    provisional_span = [y for y, o in official_years.items() if not o]
    summary = f"同步内置节假日数据（{sources.PYTHON_HOLIDAYS_SOURCE}）"
    if official_span:
        summary += f"：正式 {min(official_span)}–{max(official_span)} 年"
    if provisional_span:
        summary += f"，暂定 {min(provisional_span)}–{max(provisional_span)} 年"
    return _make_plan(ChangeReason.sync, targets, official_years, new_notices, summary,
                      warnings=warnings)


def read_notice_file(raw: bytes | str) -> NoticeFile:
    """Parse and validate a notice file; raise ``NoticeFileInvalid`` listing every problem."""
    try:
        return parse_notice_file(raw)
    except NoticeFileError as exc:
        raise NoticeFileInvalid("；".join(exc.problems), problems=exc.problems) from None


def plan_notice_import(notice: NoticeFile) -> CalendarChangePlan:
    """Plan loading ``notice`` as the official arrangement of its year (nothing is written).

    The year's days are replaced by the notice's; a make-up day that a later year's notice
    put in this year's December is kept. Importing the file already loaded for the year
    plans nothing.
    """
    year_row = db.session.get(CalendarYear, notice.year)
    if year_row is None:
        covered = db.session.scalars(select(CalendarYear.year)).all()
        if not covered:
            raise CalendarNotLoaded()
        if notice.year > max(covered) + 1 or notice.year < min(covered):
            raise NoticeFileInvalid(
                f"{notice.year} 年不在日历数据范围内（{min(covered)}–{max(covered)} 年）；"
                "请先执行「flask calendar sync」。",
                problems=[f"{notice.year} 年不在日历数据范围内。"],
            )
    if (year_row is not None and year_row.notice is not None
            and year_row.notice.file_sha256 == notice.sha256):
        summary = f"{notice.year}年的通知（{notice.number}）已导入，内容相同，无需变更。"
        return _make_plan(ChangeReason.import_notice, {}, {}, [], summary, notice=notice)

    targets = _targets_from_schedules([notice.to_schedule()])
    current, _ = _current_targets()
    for on, target in current.items():
        # A make-up day in December that the next year's notice declared stays.
        if on.year == notice.year and target.notice_year not in (None, notice.year):
            targets[on] = target
    new_notice = _NoticeToCreate(
        year=notice.year, source=NoticeSource.import_file, title=notice.title,
        number=notice.number, issued_on=notice.issued_on, file_sha256=notice.sha256,
        content=notice.content(),
    )
    summary = f"导入《{notice.title}》（{notice.number}）"
    return _make_plan(ChangeReason.import_notice, targets, {notice.year: True}, [new_notice],
                      summary, notice=notice)


# -- applying changes ------------------------------------------------------------------------


def _apply(
    plan: CalendarChangePlan, *, expected_version: int | None = None
) -> CalendarVersion | None:
    """Write a plan: version, notices, years, days, moved deadlines with audit and events."""
    db.session.info.pop(_SESSION_KEY, None)
    if plan.is_empty:
        return None
    version_now = current_version()
    if version_now != plan.base_version or (
        expected_version is not None and expected_version != version_now
    ):
        raise CalendarChanged()
    new_version = plan.new_version
    working_changes = plan.working_day_changes
    summary = (f"{plan.summary}；工作日变化 {len(working_changes)} 天，"
               f"重算期限 {len(plan.deadline_changes)} 个")
    version = CalendarVersion(
        version=new_version, token=uuid.uuid4().hex, reason=plan.reason, summary=summary[:500],
        days_changed=len(working_changes), deadlines_moved=len(plan.deadline_changes),
    )
    db.session.add(version)
    try:
        db.session.flush()
    except IntegrityError:  # another process created this version first
        raise CalendarChanged() from None

    created: dict[int, CalendarNotice] = {}
    for new in plan._new_notices:
        notice = CalendarNotice(
            year=new.year, number=new.number, title=new.title, issued_on=new.issued_on,
            source=new.source, calendar_version=new_version, file_sha256=new.file_sha256,
            content=new.content,
        )
        db.session.add(notice)
        created[new.year] = notice
    db.session.flush()

    year_rows = {y.year: y for y in db.session.scalars(select(CalendarYear))}
    notice_id_of_year = {y: r.notice_id for y, r in year_rows.items()}
    notice_id_of_year.update({y: n.id for y, n in created.items()})
    for year, official in plan.official_years.items():
        notice_id = notice_id_of_year.get(year) if official else None
        row = year_rows.get(year)
        if row is None:
            db.session.add(CalendarYear(year=year, official=official, notice_id=notice_id,
                                        calendar_version=new_version))
        elif (row.official, row.notice_id) != (official, notice_id):
            row.official, row.notice_id, row.calendar_version = official, notice_id, new_version
    db.session.flush()

    existing = set(db.session.scalars(
        select(CalendarDay.day_on).where(CalendarDay.day_on.in_(list(plan._rows)))
    )) if len(plan._rows) < 900 else set(db.session.scalars(select(CalendarDay.day_on)))
    inserts, updates = [], []
    for on, target in plan._rows.items():
        values = {
            "day_on": on,
            "is_working": target.kind.is_working,
            "kind": target.kind,
            "name": target.name,
            "official": target.official,
            "notice_id": notice_id_of_year.get(target.notice_year) if target.official else None,
            "calendar_version": new_version,
        }
        (updates if on in existing else inserts).append(values)
    if inserts:
        db.session.execute(insert(CalendarDay), inserts)
    if updates:
        db.session.execute(update(CalendarDay), updates)

    for change in plan.deadline_changes:
        ref = change.ref
        ref.set(change.new)
        record_audit(
            "deadline.recomputed",
            object_type=ref.object_type,
            object_id=ref.object_id,
            changes={
                "deadline": ref.prefix,
                "rule": change.old.rule,
                "start_event": change.old.start_event,
                "start_on": change.old.start_on,
                "working_days": change.old.working_days,
                "due_on": [change.old.due_on, change.new.due_on],
                "provisional": [change.old.provisional, change.new.provisional],
                "calendar_version": [change.old.calendar_version, change.new.calendar_version],
                **({"held": {"computed_due_on": change.computed_due_on,
                             "reason": "已书面告知当事人的期限不作不利变更"}}
                   if change.held else {}),
            },
        )
        db.session.add(CalendarRecomputeEvent(
            calendar_version=new_version,
            previous_calendar_version=change.old.calendar_version,
            provider=ref.provider,
            object_type=ref.object_type,
            object_id=ref.object_id,
            deadline=ref.prefix,
            rule=change.old.rule,
            old_due_on=change.old.due_on,
            new_due_on=change.new.due_on,
            old_provisional=change.old.provisional,
            new_provisional=change.new.provisional,
            computed_due_on=change.computed_due_on,
        ))

    audit_changes: dict = {
        "calendar_version": [plan.base_version, new_version],
        "summary": summary,
        "working_days_changed": [
            {"date": c.on, "from": c.old.kind if c.old else None, "to": c.new.kind}
            for c in working_changes[:100]
        ],
        "days_confirmed": plan.confirmed_days,
        "deadlines_recomputed": len(plan.deadline_changes),
    }
    if plan.notice is not None:
        audit_changes["notice"] = {"year": plan.notice.year, "number": plan.notice.number,
                                   "issued_on": plan.notice.issued_on,
                                   "sha256": plan.notice.sha256}
        action = "calendar.notice_imported"
    else:
        action = "calendar.synced"
    record_audit(action, object_type="calendar_version", object_id=new_version,
                 changes=audit_changes)
    db.session.flush()
    _remember(version.token, plan.calendar)
    db.session.info.pop(_SESSION_KEY, None)
    return version


def sync_official_data(
    today: date | None = None,
) -> tuple[CalendarChangePlan, CalendarVersion | None]:
    """Load python-holidays' official years and project the next ones; idempotent.

    Returns the plan and the new version (``None`` when nothing changed). Open deadlines
    touching a changed day are recomputed and audited, as for an import.
    """
    plan = plan_sync(today)
    return plan, _apply(plan)


def import_notice(
    notice: NoticeFile, *, expected_version: int | None = None
) -> tuple[CalendarChangePlan, CalendarVersion | None]:
    """Load ``notice`` as its year's official arrangement, in the current transaction.

    ``expected_version`` is the version the administrator previewed; if the calendar changed
    since, ``CalendarChanged`` is raised and nothing is written. Every open deadline whose
    count touches a changed day is recomputed, audited (``deadline.recomputed``: old and new
    date, old and new calendar version) and recorded as a ``CalendarRecomputeEvent``.
    Returns the plan and the new version (``None`` when the same file was already loaded).
    """
    plan = plan_notice_import(notice)
    return plan, _apply(plan, expected_version=expected_version)
