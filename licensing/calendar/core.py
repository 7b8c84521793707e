"""Working-day arithmetic for Chinese legal deadlines. Pure Python: no Flask, no SQLAlchemy.

The rule (DESIGN.md, "Deadlines are law"):

* A working day (工作日) is a weekday that is not a day off under the State Council's annual
  notice (国务院办公厅关于YYYY年部分节假日安排的通知), or a weekend day that the notice makes a
  working day (调休上班, "make-up day").
* ``due(start, n)`` is the n-th working day strictly after ``start``. The start day is never
  counted, whatever kind of day it is (民法典 第二百零一条: 按照年、月、日计算期间的，开始的当日
  不计入，自下一日开始计算).
* A year without a loaded notice is *provisional*: its days are projected from the statutory
  holidays alone and every answer that depends on one of its days says so.

Definition of "provisional" for a result (used everywhere, stored with every deadline):
the answer of ``due(start, n)`` depends on the status of exactly the days in the half-open
span ``(start, due_on]`` -- days on or before ``start`` are not counted, days after
``due_on`` are never looked at. The result is provisional if and only if at least one day
in that span (working or not) belongs to a provisional year. A provisional day that lies
outside the span cannot change the answer, so it does not make the answer provisional.

``WorkingCalendar`` answers from a sorted list of working-day ordinals with ``bisect``:
``due`` is one binary search and two list look-ups, O(log n) with no day-by-day loop.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import NamedTuple

__all__ = [
    "DAY_KIND_LABELS",
    "CalendarDataError",
    "CalendarError",
    "CalendarRangeError",
    "Day",
    "DayKind",
    "DueDate",
    "WorkingCalendar",
    "YearSchedule",
    "build_days",
]


class CalendarError(ValueError):
    """Base class of the calendar's own errors; ``str(error)`` is a Chinese message."""


class CalendarRangeError(CalendarError):
    """A question reaches a day the calendar holds no data for (never answered by guessing)."""


class CalendarDataError(CalendarError):
    """The day data given to build a calendar is inconsistent (gaps, duplicates, bad kinds)."""


class DayKind(StrEnum):
    """Why a day is, or is not, a working day."""

    holiday = "holiday"  # a day off under the notice (or the statutory projection)
    makeup = "makeup"  # a weekend day the notice makes a working day (调休上班)
    weekend = "weekend"  # an ordinary Saturday or Sunday
    ordinary = "ordinary"  # an ordinary weekday

    @property
    def is_working(self) -> bool:
        """Return whether a day of this kind is a working day."""
        return self in (DayKind.makeup, DayKind.ordinary)

    @property
    def label(self) -> str:
        """Return the Chinese label of the kind."""
        return DAY_KIND_LABELS[self]


#: Labels shown to users.
DAY_KIND_LABELS: Mapping[DayKind, str] = {
    DayKind.holiday: "节假日",
    DayKind.makeup: "调休上班",
    DayKind.weekend: "周末",
    DayKind.ordinary: "工作日",
}


@dataclass(frozen=True, slots=True)
class Day:
    """One calendar day and where its status comes from.

    ``official`` is true when the day's year has an official notice loaded, false when the
    day is projected (provisional). ``notice`` is a human reference to the notice that
    governs the day (its number, or its title when the number is not known), ``None`` for a
    projected day. ``name`` names the holiday or the make-up arrangement, if any.
    """

    on: date
    kind: DayKind
    official: bool
    name: str | None = None
    notice: str | None = None

    @property
    def is_working(self) -> bool:
        """Return whether this is a working day."""
        return self.kind.is_working


class DueDate(NamedTuple):
    """The answer of ``WorkingCalendar.due``: the date, and whether it may still move.

    ``provisional`` is true when a day in the counted span ``(start, due_on]`` belongs to a
    year without an official notice (see the module docstring).
    """

    due_on: date
    provisional: bool


@dataclass(frozen=True)
class YearSchedule:
    """The arrangement of one calendar year: days off and make-up working days.

    ``holidays`` maps each day off to its name: every day of a notice's holiday ranges,
    weekends inside them included. ``makeup_days`` maps each weekend day the notice makes a
    working day to a name. Days not mentioned follow the week: Monday-Friday work,
    Saturday-Sunday rest. ``official`` is false for a projection from the statutory holidays
    (then ``makeup_days`` is empty). Dates normally lie inside ``year``; a historical notice
    may put a make-up day in the last days of the previous December (2006, 2007, 2012 did),
    which ``build_days`` applies to that day.
    """

    year: int
    official: bool
    holidays: Mapping[date, str]
    makeup_days: Mapping[date, str] = field(default_factory=dict)
    notice: str | None = None


def _weekday_kind(day: date) -> DayKind:
    return DayKind.weekend if day.weekday() >= 5 else DayKind.ordinary


def build_days(schedules: Iterable[YearSchedule]) -> list[Day]:
    """Expand year schedules into one ``Day`` per date, covering every year given.

    The years must be consecutive, each given once. A holiday or make-up day that falls
    outside its schedule's year overrides that day of the neighbouring year if it is
    covered, and is dropped otherwise. Raises ``CalendarDataError`` on inconsistent data.
    """
    ordered = sorted(schedules, key=lambda s: s.year)
    if not ordered:
        raise CalendarDataError("没有任何年份的日历数据。")
    years = [s.year for s in ordered]
    if len(set(years)) != len(years):
        raise CalendarDataError("日历数据中同一年份出现了多次。")
    if years != list(range(years[0], years[-1] + 1)):
        raise CalendarDataError("日历数据的年份不连续。")
    official_by_year = {s.year: s.official for s in ordered}
    first, last = date(years[0], 1, 1), date(years[-1], 12, 31)

    days: dict[date, Day] = {}
    for schedule in ordered:
        notice = schedule.notice if schedule.official else None
        current = date(schedule.year, 1, 1)
        while current.year == schedule.year:
            days[current] = Day(current, _weekday_kind(current), schedule.official, None, notice)
            current += timedelta(days=1)
    for schedule in ordered:
        overlap = set(schedule.holidays) & set(schedule.makeup_days)
        if overlap:
            raise CalendarDataError(
                f"{min(overlap).isoformat()} 既是放假日又是调休上班日。"
            )
        for on, name in schedule.makeup_days.items():
            if on.weekday() < 5:
                raise CalendarDataError(f"调休上班日 {on.isoformat()} 不是周末。")
            if first <= on <= last:
                days[on] = Day(on, DayKind.makeup, official_by_year[on.year], name,
                               schedule.notice if schedule.official else None)
        for on, name in schedule.holidays.items():
            if first <= on <= last:
                days[on] = Day(on, DayKind.holiday, official_by_year[on.year], name,
                               schedule.notice if schedule.official else None)
    return [days[d] for d in sorted(days)]


class WorkingCalendar:
    """Working-day arithmetic over a contiguous, fully known span of days.

    Build it from ``Day`` rows (``WorkingCalendar(days, version=...)``); it never guesses:
    a question about a day outside the span raises ``CalendarRangeError``. ``version`` is
    the calendar version the data came from, kept so stored deadlines can cite it.
    """

    __slots__ = (
        "_base",
        "_days",
        "_provisional_prefix",
        "_working_dates",
        "_working_ords",
        "_years",
        "first_day",
        "last_day",
        "version",
    )

    def __init__(self, days: Iterable[Day], *, version: int = 0) -> None:
        """Index the given days (one per date, no gaps) for fast look-ups."""
        ordered = sorted(days, key=lambda d: d.on)
        if not ordered:
            raise CalendarDataError("没有任何日历数据。")
        base = ordered[0].on.toordinal()
        for offset, day in enumerate(ordered):
            if day.on.toordinal() != base + offset:
                raise CalendarDataError(
                    f"日历数据在 {day.on.isoformat()} 附近有缺漏或重复。"
                )
        self.version = version
        self.first_day: date = ordered[0].on
        self.last_day: date = ordered[-1].on
        self._base = base
        self._days: list[Day] = ordered
        self._working_ords: list[int] = [d.on.toordinal() for d in ordered if d.is_working]
        self._working_dates: list[date] = [d.on for d in ordered if d.is_working]
        # _provisional_prefix[k] = number of provisional days among offsets [0, k).
        prefix = [0] * (len(ordered) + 1)
        running = 0
        for offset, day in enumerate(ordered):
            running += not day.official
            prefix[offset + 1] = running
        self._provisional_prefix = prefix
        years: dict[int, bool] = {}
        for day in ordered:
            years[day.on.year] = years.get(day.on.year, True) and day.official
        self._years = years

    # -- construction helpers -------------------------------------------------------------

    @classmethod
    def from_schedules(
        cls, schedules: Iterable[YearSchedule], *, version: int = 0
    ) -> WorkingCalendar:
        """Build a calendar from year schedules (see ``build_days``)."""
        return cls(build_days(schedules), version=version)

    # -- introspection --------------------------------------------------------------------

    @property
    def years(self) -> Mapping[int, bool]:
        """Map each covered year to ``True`` when official, ``False`` when provisional."""
        return dict(self._years)

    def days(self) -> Sequence[Day]:
        """Return every covered day, in date order."""
        return tuple(self._days)

    def day(self, on: date) -> Day:
        """Return what the calendar knows about one day."""
        return self._days[self._offset(on)]

    def is_working_day(self, on: date) -> bool:
        """Return whether ``on`` is a working day."""
        return self._days[self._offset(on)].is_working

    def is_provisional(self, on: date) -> bool:
        """Return whether ``on`` belongs to a year without an official notice."""
        return not self._days[self._offset(on)].official

    # -- arithmetic -----------------------------------------------------------------------

    def due(self, start: date, n: int) -> DueDate:
        """Return the n-th working day strictly after ``start`` (n >= 1), and if provisional.

        The start day is never counted, whether or not it is a working day: a deadline of
        one working day from a Friday falls on the next working day after that Friday.
        Raises ``CalendarRangeError`` when the start day or the answer lies outside the
        data, ``ValueError`` when ``n`` is not a positive integer.
        """
        if type(n) is not int or n < 1:
            raise ValueError("工作日数必须是正整数。")
        s = start.toordinal()
        base = self._base
        if s < base or s - base >= len(self._days):
            raise self._range_error(start)
        index = bisect_right(self._working_ords, s) + n - 1
        if index >= len(self._working_ords):
            raise CalendarRangeError(
                f"自 {start.isoformat()} 起第 {n} 个工作日超出了日历数据的范围"
                f"（至 {self.last_day.isoformat()}）。"
            )
        prefix = self._provisional_prefix
        # Days in (start, due]: offsets s-base+1 .. due-base.
        provisional = prefix[self._working_ords[index] - base + 1] != prefix[s - base + 1]
        return DueDate(self._working_dates[index], provisional)

    def add_working_days(self, start: date, n: int) -> DueDate:
        """Move ``n`` working days from ``start``: forwards if positive, backwards if negative.

        ``n > 0`` is ``due(start, n)``. ``n < 0`` gives the |n|-th working day strictly
        before ``start`` (provisional if a day in ``[result, start)`` is). ``n == 0`` returns
        ``start`` itself, not provisional, whatever kind of day it is.
        """
        if type(n) is not int:
            raise ValueError("工作日数必须是整数。")
        if n > 0:
            return self.due(start, n)
        s_offset = self._offset(start)
        if n == 0:
            return DueDate(start, False)
        index = bisect_left(self._working_ords, start.toordinal()) + n
        if index < 0:
            raise CalendarRangeError(
                f"自 {start.isoformat()} 向前第 {-n} 个工作日早于日历数据的范围"
                f"（自 {self.first_day.isoformat()}）。"
            )
        prefix = self._provisional_prefix
        r_offset = self._working_ords[index] - self._base
        provisional = prefix[s_offset] != prefix[r_offset]
        return DueDate(self._working_dates[index], provisional)

    def working_days_between(self, start: date, end: date) -> int:
        """Count the working days ``d`` with ``start < d <= end`` (negative if end < start).

        It is the inverse of ``due``: ``working_days_between(s, due(s, n).due_on) == n``.
        For ``end < start`` it returns ``-working_days_between(end, start)``.
        """
        self._offset(start)
        self._offset(end)
        ords = self._working_ords
        return bisect_right(ords, end.toordinal()) - bisect_right(ords, start.toordinal())

    def span_is_provisional(self, after: date, through: date) -> bool:
        """Return whether a day in ``(after, through]`` belongs to a provisional year."""
        if through <= after:
            return False
        a = self._offset(after)
        t = self._offset(through)
        prefix = self._provisional_prefix
        return prefix[t + 1] != prefix[a + 1]

    # -- internals ------------------------------------------------------------------------

    def _offset(self, on: date) -> int:
        offset = on.toordinal() - self._base
        if offset < 0 or offset >= len(self._days):
            raise self._range_error(on)
        return offset

    def _range_error(self, on: date) -> CalendarRangeError:
        return CalendarRangeError(
            f"日期 {on.isoformat()} 不在日历数据的范围内"
            f"（{self.first_day.isoformat()} 至 {self.last_day.isoformat()}）。"
        )

    def __repr__(self) -> str:
        return (
            f"<WorkingCalendar v{self.version} {self.first_day.isoformat()}.."
            f"{self.last_day.isoformat()} provisional_years="
            f"{[y for y, official in self._years.items() if not official]}>"
        )
