"""The one source of the current time, so tests can fix it.

Legal dates are local dates in China Standard Time; instants are stored in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None


def utcnow() -> datetime:
    """Return the current instant, aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def local_now() -> datetime:
    """Return the current instant in China Standard Time."""
    return utcnow().astimezone(LOCAL_TZ)


def local_today() -> date:
    """Return today's date in China Standard Time: the date legal deadlines count from."""
    return local_now().date()


def local_date(instant: datetime) -> date:
    """Return the local (China Standard Time) date of an aware instant."""
    return instant.astimezone(LOCAL_TZ).date()


def set_frozen(instant: datetime | None) -> None:
    """Fix the clock at ``instant`` (aware), or release it with ``None``."""
    global _frozen
    if instant is not None and instant.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    _frozen = instant.astimezone(UTC) if instant is not None else None


@contextmanager
def freeze(instant: datetime) -> Iterator[None]:
    """Fix the clock for the duration of a ``with`` block."""
    previous = _frozen
    set_frozen(instant)
    try:
        yield
    finally:
        set_frozen(previous)
