"""Paging by key for the HTML lists: a page continues after the previous page's last row.

``OFFSET`` makes the database read and drop every row before the page, so page 200 of a
list costs 200 pages. A list ordered by ``(a date or instant, id)`` instead continues from
the last row's key, ``WHERE (key, id) < (last key, last id)``, which its index serves
directly however deep the page. The key travels in the link as ``after=<ISO value>.<id>``
(``2026-11-20.123``, ``2026-11-20T08:30:00+00:00.123``). ``?page=`` still works from the
top, so old links keep working.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import request
from sqlalchemy import and_, or_
from sqlalchemy.sql import Select

from licensing.extensions import db
from licensing.types import UTCDateTime
from licensing.url_ints import bounded_int, parse_id

PAGE_SIZE = 50


def requested_page() -> int:
    """The list page a request asks for by number (``?page=``, from 1; anything else is 1)."""
    return max(request.args.get("page", 1, type=bounded_int), 1)


@dataclass(frozen=True)
class KeyPage:
    """One page of a list: its rows, the cursor of the next page, whether it is the first."""

    rows: list
    next_after: str | None
    first: bool


def _parse(text: str | None, kind: type) -> tuple[date | datetime, int] | None:
    value_text, _, id_text = (text or "").strip().rpartition(".")
    row_id = parse_id(id_text)
    if row_id is None or not value_text:
        return None
    try:
        value = kind.fromisoformat(value_text)
    except ValueError:
        return None
    if kind is date and isinstance(value, datetime):
        return None
    if kind is datetime and value.tzinfo is None:
        return None  # instants are written with their offset
    return value, row_id


def key_page(stmt: Select, key, id_column, *, descending: bool, after: str | None,
             page: int = 1, size: int | None = None) -> KeyPage:
    """Run ``stmt`` for one page ordered by ``(key, id)``, from ``after`` or from ``page``.

    ``key`` is a non-null ``Date`` or ``UTCDateTime`` column. A cursor that does not parse
    starts from the top (a link edited by hand, not an error). ``stmt`` selects ORM objects
    whose attributes are named like the two columns.
    """
    size = size or PAGE_SIZE
    kind = datetime if isinstance(key.type, UTCDateTime) else date
    cursor = _parse(after, kind) if after else None
    if cursor is not None:
        value, row_id = cursor
        if descending:
            stmt = stmt.where(key <= value, or_(key < value, and_(key == value,
                                                                  id_column < row_id)))
        else:
            stmt = stmt.where(key >= value, or_(key > value, and_(key == value,
                                                                  id_column > row_id)))
    else:
        stmt = stmt.offset((max(page, 1) - 1) * size)
    order = (key.desc(), id_column.desc()) if descending else (key, id_column)
    rows = list(db.session.scalars(stmt.order_by(*order).limit(size + 1)).unique())
    next_after = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_after = (f"{getattr(last, key.key).isoformat()}"
                      f".{getattr(last, id_column.key)}")
    return KeyPage(rows, next_after, first=cursor is None and page <= 1)

