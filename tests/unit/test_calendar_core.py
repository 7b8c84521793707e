"""Working-day arithmetic: the rule, its vectors, provisional years, and speed-critical paths."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest

from licensing.calendar.core import (
    CalendarDataError,
    CalendarRangeError,
    Day,
    DayKind,
    WorkingCalendar,
    YearSchedule,
    build_days,
)
from licensing.calendar.sources import default_calendar

D = date.fromisoformat


@pytest.fixture(scope="module")
def cal() -> WorkingCalendar:
    """Official 2004-2026 (python-holidays 0.109), projected 2027-2028."""
    return default_calendar(through_year=2028)


# -- the vectors of the issue, from the official notices --------------------------------------

ISSUE_VECTORS = [
    ("2026-02-13", 7, "2026-03-02"),  # across Spring Festival, make-up Saturdays 02-14 and 02-28
    ("2026-09-30", 7, "2026-10-15"),  # across National Day, make-up Saturday 10-10
    ("2025-01-24", 7, "2025-02-10"),  # across Spring Festival 2025, make-up 01-26 and 02-08
    ("2026-01-01", 5, "2026-01-08"),  # a holiday as start day; make-up Sunday 01-04
    ("2026-05-08", 1, "2026-05-09"),  # the next working day is a make-up Saturday
]

HAND_VECTORS = [
    # make-up Sunday right after an ordinary Friday and Saturday
    ("2025-01-24", 1, "2025-01-26"),
    # start ON a make-up Saturday: it is a working day, but the start day is never counted
    ("2026-02-14", 1, "2026-02-24"),
    # start inside Spring Festival
    ("2026-02-17", 1, "2026-02-24"),
    ("2026-02-17", 5, "2026-02-28"),  # 24, 25, 26, 27, then the make-up Saturday
    # start on an ordinary Saturday, next day is a make-up Sunday
    ("2026-09-19", 1, "2026-09-20"),
    ("2026-10-09", 1, "2026-10-10"),
    # Labour Day 2026: 05-01..05-05 off
    ("2026-04-30", 1, "2026-05-06"),
    # year end into New Year 2026: 01-01..01-03 off, 01-04 (Sunday) a make-up day
    ("2025-12-31", 1, "2026-01-04"),
    # a cross-year make-up day under the 2006 notice: 2005-12-31 (Saturday) was worked
    ("2005-12-30", 1, "2005-12-31"),
    # National Day 2025 with Mid-Autumn: 10-01..10-08 off, 10-11 (Saturday) worked
    ("2025-09-30", 1, "2025-10-09"),
    ("2025-09-30", 3, "2025-10-11"),
    # an ordinary week
    ("2026-03-02", 5, "2026-03-09"),
    # 2020's extended Spring Festival (COVID-19): 01-24..02-02 off
    ("2020-01-23", 1, "2020-02-03"),
]


@pytest.mark.parametrize(("start", "n", "expected"), ISSUE_VECTORS + HAND_VECTORS)
def test_due_vectors(cal, start, n, expected):
    result = cal.due(D(start), n)
    assert result.due_on == D(expected)
    assert result.provisional is False


def test_start_day_is_never_counted_whatever_its_kind(cal):
    # An ordinary working day, a make-up day, a holiday and a weekend as start days.
    for start in ("2026-03-02", "2026-02-14", "2026-02-17", "2026-03-07"):
        d = D(start)
        first = cal.due(d, 1).due_on
        assert first > d
        assert all(not cal.is_working_day(d + timedelta(days=k))
                   for k in range(1, (first - d).days))


def test_chinese_calendar_find_workday_is_one_day_late_on_non_working_start(cal):
    """Why we do not use chinese-calendar's helper: its answer differs exactly here."""
    chinese_calendar = pytest.importorskip("chinese_calendar")
    start = D("2026-01-01")  # a holiday
    assert cal.due(start, 5).due_on == D("2026-01-08")
    assert chinese_calendar.find_workday(5, start) == D("2026-01-09")


def _naive_due(cal: WorkingCalendar, start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        n -= cal.is_working_day(day)
    return day


def test_due_agrees_with_a_day_by_day_walk(cal):
    rng = random.Random(3)
    first, last = D("2004-01-01").toordinal(), D("2027-06-30").toordinal()
    for _ in range(3000):
        start = date.fromordinal(rng.randint(first, last))
        n = rng.choice([1, 2, 5, 7, 20, 60])
        assert cal.due(start, n).due_on == _naive_due(cal, start, n), (start, n)


def test_working_days_between_is_the_inverse_of_due(cal):
    rng = random.Random(5)
    for _ in range(500):
        start = date.fromordinal(rng.randint(D("2010-01-01").toordinal(),
                                             D("2027-06-30").toordinal()))
        n = rng.randint(1, 90)
        due_on = cal.due(start, n).due_on
        assert cal.working_days_between(start, due_on) == n
        assert cal.working_days_between(due_on, start) == -n
    assert cal.working_days_between(D("2026-02-14"), D("2026-02-23")) == 0
    assert cal.working_days_between(D("2026-02-13"), D("2026-02-14")) == 1


def test_add_working_days_backwards_and_zero(cal):
    assert cal.add_working_days(D("2026-02-24"), -1).due_on == D("2026-02-14")
    assert cal.add_working_days(D("2026-03-02"), -7).due_on == D("2026-02-13")
    assert cal.add_working_days(D("2026-02-17"), 0).due_on == D("2026-02-17")
    assert cal.add_working_days(D("2026-02-13"), 7) == cal.due(D("2026-02-13"), 7)
    back = cal.add_working_days(D("2027-01-05"), -2)
    assert back.due_on == D("2026-12-31") and back.provisional is True


def test_day_kinds(cal):
    assert cal.day(D("2026-02-14")).kind is DayKind.makeup
    assert cal.day(D("2026-02-17")).kind is DayKind.holiday
    assert cal.day(D("2026-03-07")).kind is DayKind.weekend
    assert cal.day(D("2026-03-09")).kind is DayKind.ordinary
    assert cal.day(D("2026-04-05")).kind is DayKind.holiday  # Qingming on a Sunday
    assert cal.day(D("2026-02-14")).official is True


# -- provisional years --------------------------------------------------------------------------


def test_newest_year_is_official_the_next_ones_provisional(cal):
    assert cal.years[2026] is True
    assert cal.years[2027] is False and cal.years[2028] is False


def test_deadline_reaching_into_a_provisional_year_is_provisional(cal):
    result = cal.due(D("2026-11-29"), 60)
    assert result.provisional is True
    assert result.due_on == D("2027-02-26")  # on the projection: Spring Festival 02-05..02-10
    assert cal.due(D("2026-12-30"), 1) == (D("2026-12-31"), False)
    assert cal.due(D("2026-12-31"), 1) == (D("2027-01-04"), True)  # 2027-01-01 counted


def test_projected_year_has_statutory_holidays_and_no_makeup_days(cal):
    days_2027 = [d for d in cal.days() if d.on.year == 2027]
    assert not any(d.kind is DayKind.makeup for d in days_2027)
    assert all(not d.official and d.notice is None for d in days_2027)
    off = {d.on for d in days_2027 if d.kind is DayKind.holiday}
    # New Year; Spring Festival eve + days 1-3 (02-05..02-08) and article 6's 补假 for the
    # weekend days (02-09, 02-10); Labour Day 05-01..02 + 补假; National Day + 补假.
    for expected in ("2027-01-01", "2027-02-05", "2027-02-08", "2027-02-09", "2027-02-10",
                     "2027-04-05", "2027-05-03", "2027-05-04", "2027-06-09", "2027-09-15",
                     "2027-10-01", "2027-10-04", "2027-10-05"):
        assert D(expected) in off, expected


def _synthetic(years_official: dict[int, bool]) -> WorkingCalendar:
    return WorkingCalendar.from_schedules(
        YearSchedule(year, official, {}, {}, f"notice-{year}" if official else None)
        for year, official in years_official.items()
    )


def test_provisional_means_a_day_in_the_counted_span_start_excluded():
    # Official, provisional, official: the span (start, due] decides, nothing else.
    cal = _synthetic({2030: True, 2031: False, 2032: True})
    assert cal.due(D("2030-06-03"), 5).provisional is False
    assert cal.due(D("2030-12-30"), 5).provisional is True
    # Start on the provisional year's last day: the start day is not counted.
    last = cal.due(D("2031-12-31"), 1)
    assert last.due_on == D("2032-01-01") and last.provisional is False
    # A non-working provisional day inside the span counts too (it could become working).
    assert cal.due(D("2030-12-31"), 1).provisional is True
    assert cal.span_is_provisional(D("2031-12-31"), D("2032-03-01")) is False
    assert cal.span_is_provisional(D("2031-12-30"), D("2032-03-01")) is True


def test_unknown_days_raise_instead_of_guessing(cal):
    with pytest.raises(CalendarRangeError):
        cal.due(D("2003-12-31"), 1)
    with pytest.raises(CalendarRangeError):
        cal.due(D("2028-12-20"), 60)
    with pytest.raises(CalendarRangeError):
        cal.is_working_day(D("2029-01-01"))
    with pytest.raises(CalendarRangeError):
        cal.working_days_between(D("2026-01-01"), D("2029-01-01"))


@pytest.mark.parametrize("n", [0, -1, True, 1.0])
def test_due_needs_a_positive_integer(cal, n):
    with pytest.raises(ValueError, match="正整数"):
        cal.due(D("2026-01-05"), n)


def test_build_days_refuses_inconsistent_data():
    with pytest.raises(CalendarDataError):
        build_days([YearSchedule(2030, True, {}), YearSchedule(2032, True, {})])
    with pytest.raises(CalendarDataError):
        build_days([YearSchedule(2030, True, {}), YearSchedule(2030, True, {})])
    with pytest.raises(CalendarDataError, match="不是周末"):
        build_days([YearSchedule(2030, True, {}, {D("2030-01-07"): "x"})])
    with pytest.raises(CalendarDataError):
        WorkingCalendar([Day(D("2030-01-01"), DayKind.ordinary, True),
                         Day(D("2030-01-03"), DayKind.ordinary, True)])
