"""Report months, the figure definitions, the chart geometry and the snapshot hash."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from licensing.reports import charts
from licensing.reports.errors import InvalidPeriod
from licensing.reports.figures import (
    BY_KEY,
    CITY_ONLY,
    DEPARTMENTAL,
    FIGURE_KEYS,
    FIGURES,
    GROUPS,
    on_time_rate,
    rate,
)
from licensing.reports.periods import Period, last_months
from licensing.reports.services import canonical_json, snapshot_hash


def test_a_month_is_bounded_by_local_midnights():
    october = Period.parse("2026-10")
    assert (october.first_day, october.last_day) == (date(2026, 10, 1), date(2026, 10, 31))
    # Beijing is UTC+8 all year: the month starts at 16:00 UTC the day before
    assert october.start == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert october.end == datetime(2026, 10, 31, 16, tzinfo=UTC) == Period(2026, 11).start
    last_evening = datetime(2026, 10, 31, 15, 30, tzinfo=UTC)  # 23:30 on 10-31 in Beijing
    first_night = datetime(2026, 10, 31, 16, 10, tzinfo=UTC)  # 00:10 on 11-01 in Beijing
    assert october.start <= last_evening < october.end
    assert not first_night < october.end
    assert Period(2028, 2).last_day == date(2028, 2, 29)


def test_months_shift_across_years_and_read_back():
    assert Period(2026, 12).next() == Period(2027, 1)
    assert Period(2027, 1).previous() == Period(2026, 12)
    assert Period(2026, 3).shift(-14) == Period(2025, 1)
    assert str(Period(2026, 3)) == "2026-03" and Period(2026, 3).label == "2026年3月"
    assert [p.key for p in last_months(3, Period(2027, 1))] == ["2026-11", "2026-12", "2027-01"]
    assert Period(2027, 1).short_label == "2027年1月" and Period(2026, 11).short_label == "11月"
    assert Period.of(date(2026, 10, 31)) == Period(2026, 10)
    assert Period(2026, 10).has_ended(date(2026, 11, 1))
    assert not Period(2026, 10).has_ended(date(2026, 10, 31))


@pytest.mark.parametrize("text", ["2026-13", "2026-1", "26-10", "2026/10", "", "1999-12",
                                  "2026-00", "2026-10-01"])
def test_bad_months_are_refused(text):
    with pytest.raises(InvalidPeriod):
        Period.parse(text)


def test_every_figure_is_defined_once_and_grouped():
    assert len(FIGURE_KEYS) == len(set(FIGURE_KEYS)) == 21
    assert set(CITY_ONLY) == {"credit_pushes_delivered", "credit_pushes_pending"}
    assert set(DEPARTMENTAL) | set(CITY_ONLY) == set(FIGURE_KEYS)
    for figure in FIGURES:
        assert figure.group in GROUPS and figure.label and figure.unit in ("件", "人次", "条")
        assert len(figure.definition) > 10
    assert BY_KEY["tasks_overdue"].label == "月末逾期未核查"


def test_rates():
    assert rate(0, 0) is None
    assert rate(2, 3) == 66.7
    assert on_time_rate({"tasks_due": 4, "tasks_on_time": 4}) == 100.0


def test_the_snapshot_hash_ignores_key_order_but_not_values():
    a = {"period": "2026-10", "cells": [{"figures": {"x": 1, "y": 2}}], "name": "市卫生健康局"}
    b = {"name": "市卫生健康局", "cells": [{"figures": {"y": 2, "x": 1}}], "period": "2026-10"}
    assert canonical_json(a) == canonical_json(b)
    assert "市卫生健康局" in canonical_json(a)  # UTF-8 text, not \\u escapes
    assert snapshot_hash(a) == snapshot_hash(b)
    assert snapshot_hash(a) != snapshot_hash({**a, "period": "2026-11"})


@pytest.mark.parametrize(("peak", "top", "step"), [
    (0, 4, 1), (3, 3, 1), (7, 8, 2), (95, 100, 25), (1234, 1500, 500), (16608, 20000, 5000)])
def test_axis_tops_are_round(peak, top, step):
    assert charts.nice_max(peak) == (top, step)


def test_stacked_columns_are_proportional_and_partial_months_marked():
    chart = charts.column_chart("申请", ["9月", "10月"], [("a", "承诺制"), ("b", "一般程序")],
                                [(30, 10), (0, 20)], partial=[False, True])
    first_a, first_b, second_b = chart.bars
    assert first_a.h == pytest.approx(3 * first_b.h)
    assert first_b.y + first_b.h == pytest.approx(first_a.y)  # stacked on top
    assert second_b.h == pytest.approx(2 * first_b.h)
    assert "partial" in second_b.cls and "partial" not in first_a.cls
    assert [t.label for t in chart.ticks] == ["0", "10", "20", "30", "40"]
    assert [label.text for label in chart.labels if label.cls == "value"] == ["40", "20"]
    assert "10月*" in [label.text for label in chart.labels]
    assert not chart.empty
    assert charts.column_chart("空", ["9月"], [("a", "x")], [(0,)]).empty


def test_lines_break_where_there_is_no_value():
    chart = charts.line_chart("按期率", ["8月", "9月", "10月", "11月"], [50.0, None, 100.0, 80.0])
    assert chart.path.count("M") == 2 and chart.path.count("L") == 1
    assert [p.label for p in chart.points] == ["50%", "100%", "80%"]
    assert chart.points[1].y < chart.points[0].y  # higher is up
    assert charts.line_chart("按期率", ["8月"], [None]).empty


def test_horizontal_bars_share_one_scale():
    chart = charts.hbar_chart("部门", [("甲", [(8, "ok", "按期"), (2, "late", "未按期")], "80%"),
                                       ("乙", [(5, "ok", "按期")], "100%")])
    a_ok, a_late, b_ok = chart.bars
    assert a_ok.w == pytest.approx(4 * a_late.w) and b_ok.w == pytest.approx(a_ok.w * 5 / 8)
    assert a_late.x == pytest.approx(a_ok.x + a_ok.w)
    assert [label.text for label in chart.labels if label.cls == "note"] == ["80%", "100%"]
