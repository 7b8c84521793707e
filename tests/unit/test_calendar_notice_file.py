"""The notice import format: the shipped example, and every validation rule in Chinese."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from licensing.calendar.core import build_days
from licensing.calendar.notice_file import NoticeFileError, parse_notice_file
from licensing.calendar.sources import official_schedules

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "holidays" / "2026.example.yaml"

VALID = """\
year: 2030
notice:
  number: 测试〔2029〕1号
  issued_on: 2029-11-20
holidays:
  - name: 元旦
    start: 2030-01-01
    end: 2030-01-01
    days: 1
  - name: 春节
    start: 2030-02-02
    end: 2030-02-08
    days: 7
    makeup_days: [2030-01-26, 2030-02-09]
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(NoticeFileError) as info:
        parse_notice_file(text)
    return info.value.problems


def test_example_2026_matches_the_official_data():
    notice = parse_notice_file(EXAMPLE.read_bytes())
    assert (notice.year, notice.number, notice.issued_on) == (
        2026, "国办发明电〔2025〕7号", date(2025, 11, 4))
    assert [r.name for r in notice.holidays] == [
        "元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"]
    from_file = {d.on: d.is_working for d in build_days([notice.to_schedule()])}
    synced = {d.on: d.is_working for d in build_days(official_schedules(range(2026, 2027)))}
    assert from_file == synced


def test_valid_file_and_its_schedule():
    notice = parse_notice_file(VALID)
    assert notice.title == "国务院办公厅关于2030年部分节假日安排的通知"
    schedule = notice.to_schedule()
    assert schedule.official and schedule.notice == "测试〔2029〕1号"
    assert date(2030, 2, 3) in schedule.holidays  # a Sunday inside the range is a day off too
    assert schedule.makeup_days[date(2030, 1, 26)] == "春节调休上班"


def test_line_endings_and_bom_do_not_change_identity():
    a = parse_notice_file(VALID)
    b = parse_notice_file(("\ufeff" + VALID.replace("\n", "\r\n")).encode("utf-8"))
    assert a.sha256 == b.sha256


def test_makeup_day_must_be_a_weekend():
    text = VALID.replace("2030-01-26", "2030-01-28")
    assert any("2030-01-28（周一）不是周末" in p for p in problems_of(text))


def test_ranges_must_lie_inside_the_year():
    text = VALID.replace("start: 2030-01-01", "start: 2029-12-31").replace("days: 1", "days: 2")
    assert any("2029-12-31 不在 2030 年内" in p for p in problems_of(text))


def test_ranges_must_not_overlap():
    text = VALID.replace("end: 2030-01-01\n    days: 1", "end: 2030-02-03")
    assert any("日期重叠" in p for p in problems_of(text))


def test_makeup_day_must_not_fall_inside_a_range():
    text = VALID.replace("2030-02-09]", "2030-02-03]")
    assert any("落在假日「春节」" in p for p in problems_of(text))


def test_invalid_dates_are_named():
    text = VALID.replace("end: 2030-02-08", "end: 2030-02-30")
    assert any("「2030-02-30」不是有效的日期" in p for p in problems_of(text))
    text = VALID.replace("end: 2030-02-08", "end: 2030/02/08")
    assert any("不是 YYYY-MM-DD 格式" in p for p in problems_of(text))


def test_end_before_start_and_wrong_day_count():
    text = VALID.replace("end: 2030-02-08", "end: 2030-02-01")
    assert any("早于开始日期" in p for p in problems_of(text))
    text = VALID.replace("days: 7", "days: 8")
    assert any("写明共 8 天" in p and "共 7 天" in p for p in problems_of(text))


def test_missing_and_unknown_fields():
    problems = problems_of(VALID.replace("  number: 测试〔2029〕1号\n", "").replace(
        "holidays:", "holiday_list: []\nholidays:"))
    assert any("缺少通知文号" in p for p in problems)
    assert any("无法识别的字段：holiday_list" in p for p in problems)


def test_every_problem_is_reported_at_once():
    text = (VALID.replace("2030-01-26", "2030-01-28")
            .replace("end: 2030-02-08", "end: 2030-02-30")
            .replace("issued_on: 2029-11-20", "issued_on: 2020-01-01"))
    assert len(problems_of(text)) >= 3


@pytest.mark.parametrize(("text", "fragment"), [
    ("year: [2030\n", "不是有效的 YAML"),
    ("- just\n- a list\n", "应为包含 year、notice、holidays"),
    (VALID.replace("year: 2030", "year: 1999"), "年份「1999」无效"),
    (VALID.replace("  - name: 元旦", "  - name: ''"), "缺少名称"),
    (VALID.replace("[2030-01-26, 2030-02-09]", "[2030-01-26, 2030-01-26]"), "重复出现"),
])
def test_structural_problems(text, fragment):
    assert any(fragment in p for p in problems_of(text))


def test_binary_and_oversized_files_are_refused():
    assert "UTF-8" in problems_of(b"\xff\xfe\x00garbage")[0]  # type: ignore[arg-type]
    assert "文件过大" in problems_of("#" * 70_000)[0]
