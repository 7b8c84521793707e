"""Official and projected year schedules from python-holidays. Pure Python (no Flask).

python-holidays (pinned) encodes the State Council's annual notices for China: the days off
as holidays, and the make-up working days (调休上班) in ``weekend_workdays``; it has no
``WORKDAY`` category for China. For a year it has no notice for, it silently answers with
the statutory holidays alone -- which is right as a projection, and wrong as an official
calendar. So this module decides the status itself: the years python-holidays has a notice
for are official, every later year is a projection, marked provisional.

The projection of a year without a notice applies 《全国年节及纪念日放假办法》 (2024 revision)
as python-holidays implements it: New Year's Day; Spring Festival eve and days 1-3; Qingming;
May 1-2; Dragon Boat; Mid-Autumn; October 1-3; and article 6's rule that a holiday falling on
a Saturday or Sunday is made up on the next working day (补假). No make-up working days:
only the notice can create them.
"""

from __future__ import annotations

from datetime import date, timedelta

import holidays
from holidays.countries.china import ChinaStaticHolidays

from licensing.calendar.core import WorkingCalendar, YearSchedule

#: The first year the calendar holds, and the first cross-checked against chinese-calendar.
FIRST_YEAR = 2004

#: Shown as the source of data synchronised from python-holidays.
PYTHON_HOLIDAYS_SOURCE = f"python-holidays {holidays.__version__}"

#: How many years past the newest official one are projected.
PROJECTION_YEARS = 2

MAKEUP_DAY_NAME = "调休上班"


def notice_title(year: int) -> str:
    """Return the usual title of the State Council notice for ``year``."""
    return f"国务院办公厅关于{year}年部分节假日安排的通知"


def python_holidays_notice_years() -> range:
    """Return the years (from ``FIRST_YEAR``) whose notice python-holidays encodes.

    python-holidays records every notice as special (substituted) holidays per year; a year
    missing there has no notice in this version. The years must be consecutive.
    """
    years = sorted(y for y in ChinaStaticHolidays.special_public_holidays if y >= FIRST_YEAR)
    if not years or years != list(range(years[0], years[-1] + 1)) or years[0] != FIRST_YEAR:
        raise RuntimeError("python-holidays: unexpected set of Chinese notice years")
    return range(years[0], years[-1] + 1)


def newest_official_year() -> int:
    """Return the newest year python-holidays has a State Council notice for."""
    return python_holidays_notice_years()[-1]


def _china(years: range | int) -> holidays.HolidayBase:
    return holidays.China(years=years, language="zh_CN")


def _cross_year_makeup_days() -> dict[date, int]:
    """Map make-up days that a notice put in the previous December to that notice's year.

    python-holidays writes these as substituted holidays with an explicit source year, e.g.
    2006's ``(JAN, 3, DEC, 31, 2005)``: 2005-12-31 (Saturday) was a working day under the
    notice for 2006 (国办发明电〔2005〕35号).
    """
    found: dict[date, int] = {}
    for year, entries in ChinaStaticHolidays.special_public_holidays.items():
        normalised = entries if entries and isinstance(entries[0], tuple) else (entries,)
        for entry in normalised:
            if len(entry) == 5 and isinstance(entry[2], int):
                found[date(entry[4], entry[2], entry[3])] = year
    return found


def official_schedules(years: range | None = None) -> list[YearSchedule]:
    """Return the official schedule of every year python-holidays has a notice for.

    ``years`` restricts the result; every year in it must have a notice.
    """
    notice_years = python_holidays_notice_years()
    years = years if years is not None else notice_years
    if any(y not in notice_years for y in years):
        raise ValueError(f"python-holidays has no notice for some of {list(years)}")
    if not len(years):
        return []
    cn = _china(years)
    cross_year = _cross_year_makeup_days()
    schedules = []
    for year in years:
        holidays_of_year = {d: str(name) for d, name in cn.items() if d.year == year}
        makeup = {
            d: MAKEUP_DAY_NAME
            for d in cn.weekend_workdays
            if cross_year.get(d, d.year) == year
            and d.weekday() >= 5
            and d not in holidays_of_year
        }
        schedules.append(
            YearSchedule(year=year, official=True, holidays=holidays_of_year,
                         makeup_days=makeup, notice=notice_title(year))
        )
    return schedules


def projected_schedule(year: int) -> YearSchedule:
    """Project ``year`` from the statutory holidays alone, as a provisional schedule.

    Only for years after the newest notice: a year with a notice is never projected.
    """
    if year <= newest_official_year():
        raise ValueError(f"{year} has an official notice; it is not projected")
    cn = _china(year)
    return YearSchedule(
        year=year,
        official=False,
        holidays={d: str(name) for d, name in cn.items() if d.year == year},
        makeup_days={},
        notice=None,
    )


def default_schedules(through_year: int | None = None) -> list[YearSchedule]:
    """Return official schedules from ``FIRST_YEAR``, then projections through ``through_year``.

    ``through_year`` defaults to ``PROJECTION_YEARS`` past the newest official year.
    """
    newest = newest_official_year()
    through_year = through_year if through_year is not None else newest + PROJECTION_YEARS
    schedules = official_schedules(range(FIRST_YEAR, min(newest, through_year) + 1))
    schedules += [projected_schedule(y) for y in range(newest + 1, through_year + 1)]
    return schedules


def default_calendar(through_year: int | None = None, *, version: int = 0) -> WorkingCalendar:
    """Build a calendar from python-holidays alone (no database), for tests and benches."""
    return WorkingCalendar.from_schedules(default_schedules(through_year), version=version)


def year_days(year: int) -> list[date]:
    """Return every date of ``year``."""
    first = date(year, 1, 1)
    return [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]
