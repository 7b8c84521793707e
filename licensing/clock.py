"""The one source of the current time, so tests can fix it.

Legal dates are local dates in China Standard Time; instants are stored in UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None
# A clock that runs from a chosen start: the real clock shifted by this much (see ``travel``).
_offset: timedelta | None = None


def utcnow() -> datetime:
    """Return the current instant, aware, in UTC."""
    if _frozen is not None:
        return _frozen
    now = datetime.now(UTC)
    return now + _offset if _offset is not None else now


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


def frozen() -> datetime | None:
    """Return the instant the clock is fixed at (UTC), or ``None`` while it runs."""
    return _frozen


def travel(instant: datetime | None) -> None:
    """Let the clock run on from ``instant`` (aware), or back on real time with ``None``.

    Unlike ``set_frozen`` the clock keeps ticking, so leases, timeouts and back-offs still see
    time pass; only the date and the time of day are chosen. A frozen instant takes precedence.
    """
    global _offset
    if instant is not None and instant.tzinfo is None:
        raise ValueError("the clock needs an aware datetime")
    _offset = instant - datetime.now(UTC) if instant is not None else None


@contextmanager
def freeze(instant: datetime) -> Iterator[None]:
    """Fix the clock for the duration of a ``with`` block."""
    previous = _frozen
    set_frozen(instant)
    try:
        yield
    finally:
        set_frozen(previous)
