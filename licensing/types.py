"""Column types shared by every domain."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import DateTime, Enum
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: stored as naive UTC on every database, returned as an aware UTC datetime.

    SQLite has no time zones, PostgreSQL's ``timestamp without time zone`` neither; storing
    naive UTC everywhere keeps comparisons identical on both.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        """Convert an aware datetime to naive UTC for storage."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("UTCDateTime needs an aware datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        """Return a stored naive UTC value as an aware datetime."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def str_enum(enum_class: type[enum.Enum], length: int = 24) -> Enum:
    """A Python enum stored as its value in a VARCHAR (no native database enum type).

    Adding a member then needs no ALTER TYPE, and SQLite and PostgreSQL store it alike;
    unknown strings are refused when read.
    """
    return Enum(enum_class, native_enum=False, length=length, validate_strings=True)
