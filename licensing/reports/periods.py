"""Report months: their local dates and the UTC instants that bound them.

A month is a calendar month in China Standard Time (Asia/Shanghai, UTC+8, no daylight saving).
Legal dates (``*_on`` columns) belong to the month they fall in; instants (``*_dt`` columns,
stored as naive UTC) belong to the month of their local date, that is to the half-open range
``[start, end)`` where ``start`` is local midnight of the 1st (16:00 UTC the day before) and
``end`` the next month's ``start``. Comparing a column with these bounds needs no time-zone
arithmetic per row, so the indexes on the columns serve the range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from licensing.clock import LOCAL_TZ, local_today
from licensing.reports.errors import InvalidPeriod

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month, ``Period(2026, 10)``; written ``2026-10``."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12) or not (2000 <= self.year <= 2999):
            raise InvalidPeriod()

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read ``YYYY-MM``; raise ``InvalidPeriod`` for anything else."""
        match = _PATTERN.match(text or "")
        if match is None:
            raise InvalidPeriod()
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, day: date) -> Period:
        """Return the month a local date falls in."""
        return cls(day.year, day.month)

    @classmethod
    def current(cls) -> Period:
        """Return the month of today's local date."""
        return cls.of(local_today())

    @property
    def key(self) -> str:
        """Return ``YYYY-MM``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        """Return the Chinese name, ``2026年10月``."""
        return f"{self.year}年{self.month}月"

    @property
    def short_label(self) -> str:
        """Return a short axis label: ``10月``, or ``2027年1月`` for January."""
        return f"{self.year}年1月" if self.month == 1 else f"{self.month}月"

    @property
    def first_day(self) -> date:
        """Return the 1st of the month."""
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        """Return the last day of the month."""
        return self.next().first_day - timedelta(days=1)

    @property
    def start(self) -> datetime:
        """Return the first instant of the month (local midnight of the 1st), aware UTC."""
        return datetime.combine(self.first_day, time(0), tzinfo=LOCAL_TZ).astimezone(UTC)

    @property
    def end(self) -> datetime:
        """Return the first instant after the month (the next month's ``start``)."""
        return self.next().start

    def shift(self, months: int) -> Period:
        """Return the month ``months`` later (earlier when negative)."""
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    def next(self) -> Period:
        """Return the following month."""
        return self.shift(1)

    def previous(self) -> Period:
        """Return the month before."""
        return self.shift(-1)

    def has_ended(self, today: date | None = None) -> bool:
        """Return whether the month is over (its last day is before today's local date)."""
        return self.last_day < (today or local_today())

    def __str__(self) -> str:
        return self.key


def last_months(count: int, until: Period) -> list[Period]:
    """Return the ``count`` months ending with ``until``, oldest first."""
    return [until.shift(-i) for i in range(count - 1, -1, -1)]
