"""Reading and validating a State Council holiday notice file (YAML). Pure Python.

The format is documented in docs/calendar-import-format.md. Every problem found is reported
at once, each as a Simplified Chinese sentence that says where it is, so an administrator can
fix the whole file in one go.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import yaml

from licensing.calendar.core import CalendarError, YearSchedule

#: Larger files are refused before parsing (a notice is about 1 KB).
MAX_FILE_BYTES = 64 * 1024

#: The years a notice may be loaded for.
MIN_YEAR, MAX_YEAR = 2004, 2100

_TOP_KEYS = {"year", "notice", "holidays"}
_NOTICE_KEYS = {"number", "issued_on", "title"}
_HOLIDAY_KEYS = {"name", "start", "end", "days", "makeup_days"}
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_WEEKDAYS = "一二三四五六日"


class NoticeFileError(CalendarError):
    """The file cannot be loaded; ``problems`` lists every problem in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("；".join(problems))


@dataclass(frozen=True)
class HolidayRange:
    """One holiday of the notice: the days off and the make-up working days it brings."""

    name: str
    start: date
    end: date
    makeup_days: tuple[date, ...] = ()

    def dates(self) -> list[date]:
        """Return every day off of the range, in order."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]


@dataclass(frozen=True)
class NoticeFile:
    """A validated notice: the arrangement of one year."""

    year: int
    number: str
    issued_on: date
    title: str
    holidays: tuple[HolidayRange, ...]
    sha256: str = ""  # of the UTF-8 text with "\n" line endings, without a BOM
    source_text: str = field(default="", repr=False)

    def to_schedule(self) -> YearSchedule:
        """Return the official schedule this notice sets for its year."""
        days_off = {d: r.name for r in self.holidays for d in r.dates()}
        makeup = {d: f"{r.name}调休上班" for r in self.holidays for d in r.makeup_days}
        return YearSchedule(year=self.year, official=True, holidays=days_off,
                            makeup_days=makeup, notice=self.number)

    def content(self) -> dict:
        """Return the notice as plain data, to keep with the loaded notice."""
        return {
            "year": self.year,
            "number": self.number,
            "issued_on": self.issued_on.isoformat(),
            "title": self.title,
            "holidays": [
                {"name": r.name, "start": r.start.isoformat(), "end": r.end.isoformat(),
                 "makeup_days": [d.isoformat() for d in r.makeup_days]}
                for r in self.holidays
            ],
        }


class _NoDatesLoader(yaml.SafeLoader):
    """A safe loader that keeps dates as text, so bad dates get our own message."""


_NoDatesLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _weekday_label(day: date) -> str:
    return f"周{_WEEKDAYS[day.weekday()]}"


def _parse_date(value: object, where: str, problems: list[str]) -> date | None:
    text = str(value).strip() if value is not None else ""
    if not text:
        problems.append(f"{where}缺少日期。")
        return None
    if not _DATE_RE.match(text):
        problems.append(f"{where}「{text}」不是 YYYY-MM-DD 格式的日期。")
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        problems.append(f"{where}「{text}」不是有效的日期。")
        return None


def _unknown_keys(data: dict, allowed: set[str], where: str, problems: list[str]) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        problems.append(f"{where}含有无法识别的字段：{'、'.join(unknown)}。")


def parse_notice_file(raw: bytes | str) -> NoticeFile:
    """Parse and validate a notice file; raise ``NoticeFileError`` listing every problem.

    Checks: the structure and field names; the year; the notice number and issue date; each
    holiday range is a valid pair of dates inside the year, in order, matching its stated
    number of days; ranges do not overlap; each make-up day is a valid date inside the year,
    falls on a Saturday or Sunday, is not inside a holiday range and is listed once.
    """
    data_bytes = raw.encode("utf-8") if isinstance(raw, str) else raw
    if len(data_bytes) > MAX_FILE_BYTES:
        raise NoticeFileError(
            [f"文件过大（超过 {MAX_FILE_BYTES // 1024} KB），请检查是否选错了文件。"]
        )
    try:
        text = data_bytes.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NoticeFileError(["文件不是 UTF-8 编码的文本文件。"]) from None
    # The same content must be recognised whatever its line endings (browsers send CRLF).
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    try:
        data = yaml.load(text, Loader=_NoDatesLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"（第 {mark.line + 1} 行）" if mark is not None else ""
        raise NoticeFileError(
            [f"文件不是有效的 YAML{where}，请对照格式说明检查缩进和冒号。"]
        ) from None
    if not isinstance(data, dict):
        raise NoticeFileError(["文件内容应为包含 year、notice、holidays 三项的映射。"])

    problems: list[str] = []
    _unknown_keys(data, _TOP_KEYS, "文件顶层", problems)
    for key in sorted(_TOP_KEYS - set(data)):
        problems.append(f"缺少必填字段「{key}」。")

    year_value = data.get("year")
    year: int | None = None
    if "year" in data:
        if isinstance(year_value, int) and not isinstance(year_value, bool) and (
            MIN_YEAR <= year_value <= MAX_YEAR
        ):
            year = year_value
        else:
            problems.append(f"年份「{year_value}」无效，应为 {MIN_YEAR} 至 {MAX_YEAR} 之间的整数。")

    number, issued_on, title = "", None, ""
    notice = data.get("notice")
    if "notice" in data and not isinstance(notice, dict):
        problems.append("「notice」应包含 number（文号）和 issued_on（成文日期）。")
    elif isinstance(notice, dict):
        _unknown_keys(notice, _NOTICE_KEYS, "「notice」", problems)
        number = str(notice.get("number") or "").strip()
        if not number:
            problems.append("缺少通知文号（notice.number），例如：国办发明电〔2025〕7号。")
        elif len(number) > 64:
            problems.append("通知文号过长（最多 64 个字符）。")
        issued_on = _parse_date(notice.get("issued_on"), "通知成文日期（notice.issued_on）",
                                problems)
        if issued_on is not None and year is not None and not (
            date(year - 2, 1, 1) <= issued_on <= date(year, 12, 31)
        ):
            problems.append(
                f"通知成文日期 {issued_on.isoformat()} 与年份 {year} 不符"
                f"（应在 {year - 2} 年至 {year} 年之间）。"
            )
        title = str(notice.get("title") or "").strip()
        if year is not None and not title:
            title = f"国务院办公厅关于{year}年部分节假日安排的通知"
        if len(title) > 200:
            problems.append("通知标题过长（最多 200 个字符）。")

    ranges: list[HolidayRange] = []
    raw_holidays = data.get("holidays")
    if "holidays" in data and (not isinstance(raw_holidays, list) or not raw_holidays):
        problems.append("「holidays」应为至少包含一项假日安排的列表。")
    elif isinstance(raw_holidays, list):
        for index, item in enumerate(raw_holidays, start=1):
            parsed = _parse_range(item, index, year, problems)
            if parsed is not None:
                ranges.append(parsed)
        _check_overlaps(ranges, problems)
        _check_makeup_days(ranges, problems)

    if problems or year is None or issued_on is None:
        raise NoticeFileError(problems or ["文件内容不完整。"])
    return NoticeFile(
        year=year,
        number=number,
        issued_on=issued_on,
        title=title,
        holidays=tuple(sorted(ranges, key=lambda r: r.start)),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source_text=text,
    )


def _parse_range(item: object, index: int, year: int | None,
                 problems: list[str]) -> HolidayRange | None:
    where = f"第 {index} 项假日"
    if not isinstance(item, dict):
        problems.append(f"{where}应包含 name、start、end 等字段。")
        return None
    name = str(item.get("name") or "").strip()
    if name:
        where = f"第 {index} 项假日（{name}）"
    else:
        problems.append(f"{where}缺少名称（name）。")
    _unknown_keys(item, _HOLIDAY_KEYS, where, problems)
    if len(name) > 50:
        problems.append(f"{where}名称过长（最多 50 个字符）。")
    count = len(problems)
    start = _parse_date(item.get("start"), f"{where}的开始日期", problems)
    end = _parse_date(item.get("end"), f"{where}的结束日期", problems)
    if start is not None and end is not None:
        if end < start:
            problems.append(
                f"{where}的结束日期 {end.isoformat()} 早于开始日期 {start.isoformat()}。"
            )
        if year is not None:
            for label, day in (("开始日期", start), ("结束日期", end)):
                if day.year != year:
                    problems.append(f"{where}的{label} {day.isoformat()} 不在 {year} 年内。")
        stated = item.get("days")
        if stated is not None and end >= start:
            actual = (end - start).days + 1
            if not isinstance(stated, int) or isinstance(stated, bool) or stated != actual:
                problems.append(
                    f"{where}写明共 {stated} 天，但 {start.isoformat()} 至 {end.isoformat()} "
                    f"共 {actual} 天。"
                )
    makeup: list[date] = []
    raw_makeup = item.get("makeup_days", [])
    if raw_makeup is None:
        raw_makeup = []
    if not isinstance(raw_makeup, list):
        problems.append(f"{where}的调休上班日（makeup_days）应为日期列表。")
        raw_makeup = []
    for value in raw_makeup:
        day = _parse_date(value, f"{where}的调休上班日", problems)
        if day is None:
            continue
        if year is not None and day.year != year:
            problems.append(f"{where}的调休上班日 {day.isoformat()} 不在 {year} 年内。")
        if day.weekday() < 5:
            problems.append(
                f"{where}的调休上班日 {day.isoformat()}（{_weekday_label(day)}）不是周末；"
                "调休上班日必须是周六或周日。"
            )
        makeup.append(day)
    if not name or start is None or end is None or len(problems) > count:
        return None
    return HolidayRange(name=name, start=start, end=end, makeup_days=tuple(sorted(makeup)))


def _check_overlaps(ranges: list[HolidayRange], problems: list[str]) -> None:
    ordered = sorted(ranges, key=lambda r: r.start)
    for previous, current in itertools.pairwise(ordered):
        if current.start <= previous.end:
            problems.append(
                f"假日「{previous.name}」（{previous.start.isoformat()} 至 "
                f"{previous.end.isoformat()}）与「{current.name}」（{current.start.isoformat()} 至 "
                f"{current.end.isoformat()}）的日期重叠。"
            )


def _check_makeup_days(ranges: list[HolidayRange], problems: list[str]) -> None:
    seen: dict[date, str] = {}
    for holiday in ranges:
        for day in holiday.makeup_days:
            if day in seen:
                problems.append(
                    f"调休上班日 {day.isoformat()} 在「{seen[day]}」"
                    f"和「{holiday.name}」中重复出现。"
                )
            seen[day] = holiday.name
    for day, owner in sorted(seen.items()):
        for holiday in ranges:
            if holiday.start <= day <= holiday.end:
                problems.append(
                    f"「{owner}」的调休上班日 {day.isoformat()} 落在假日「{holiday.name}」"
                    f"（{holiday.start.isoformat()} 至 {holiday.end.isoformat()}）之内。"
                )
