"""The data from python-holidays: which years are official, and a cross-check of every day."""

from __future__ import annotations

from datetime import date

import holidays
import pytest

from licensing.calendar.core import DayKind
from licensing.calendar.sources import (
    FIRST_YEAR,
    default_calendar,
    newest_official_year,
    official_schedules,
    projected_schedule,
)

#: Where chinese-calendar is wrong. 2005-12-31 (Saturday) was a working day: the notice for
#: 2006 (国办发明电〔2005〕35号) says "12月31日（星期六）上班"; python-holidays has it
#: (``(JAN, 3, DEC, 31, 2005)``), chinese-calendar misses it because it lies in 2005.
CHINESE_CALENDAR_ERRATA = {date(2005, 12, 31): True}


def test_pinned_python_holidays_has_notices_through_2026():
    # A new python-holidays may add 2027: then this test, the docs and the example must be
    # reviewed together with the upgrade.
    assert holidays.__version__ == "0.109"
    assert newest_official_year() == 2026


def test_python_holidays_answers_silently_for_2027_so_we_mark_it_provisional():
    silent = holidays.China(years=2027)
    assert len(silent) > 0  # an answer, with no hint that no notice exists
    assert not {d for d in silent.weekend_workdays if d.year == 2027}
    schedule = projected_schedule(2027)
    assert schedule.official is False and not schedule.makeup_days
    with pytest.raises(ValueError):
        projected_schedule(2026)


def test_official_schedules_have_makeup_days():
    schedule_2026 = official_schedules(range(2026, 2027))[0]
    assert set(schedule_2026.makeup_days) == {
        date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
        date(2026, 9, 20), date(2026, 10, 10)}


def test_every_day_2004_2026_matches_chinese_calendar():
    chinese_calendar = pytest.importorskip("chinese_calendar")
    cal = default_calendar(through_year=2027)
    checked = 0
    mismatches = []
    for day in cal.days():
        if day.on.year > 2026:
            break
        expected = CHINESE_CALENDAR_ERRATA.get(day.on, chinese_calendar.is_workday(day.on))
        if day.is_working != expected:
            mismatches.append(day.on)
        checked += 1
    assert checked == (date(2027, 1, 1) - date(FIRST_YEAR, 1, 1)).days
    assert mismatches == []
    # and the erratum is real: chinese-calendar does say otherwise
    assert chinese_calendar.is_workday(date(2005, 12, 31)) is False
    assert cal.day(date(2005, 12, 31)).kind is DayKind.makeup
