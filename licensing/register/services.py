"""Search the public register: by licence number, holder code, or the start of a holder's name.

Paging is by key (the last row of a page is the cursor of the next), never by offset, so the
thousandth page costs what the first does on a million licences:

* no query: newest first, ``id < after`` on the primary key;
* a licence number or a holder's code: an equality on its index;
* a name: a range on ``ix_licences_holder_name_id`` (the name, then the id), searched as typed
  and with the city's name in front (「润泽食品」 finds 「定州市润泽食品有限公司」); enterprises
  only: a person is found by the licence number or the full ID number, which the searcher
  already holds, and shown with the name and the number masked.

The name range compares code points, as SQLite does and PostgreSQL does under the ``C``
collation (docs/decisions/0015-licences-as-legal-records.md).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

from sqlalchemy import and_, or_, select

from licensing.applicants.identity import normalise_code
from licensing.cases.licences import PublicLicence, city_name, public_view
from licensing.cases.models import Licence
from licensing.errors import ValidationFailed
from licensing.extensions import db

NUMBER_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*-\d{4}-\d{6}$")
CODE_PATTERN = re.compile(r"^[0-9A-Z]{18}$")
MAX_LIMIT = 100
_TOP = "\U0010ffff"


class BadCursor(ValidationFailed):
    """A paging cursor that this register did not hand out."""

    code = "invalid_cursor"
    default_message = "翻页参数无效，请从第一页重新查询。"


@dataclass(frozen=True)
class RegisterPage:
    """One page of the register and the cursor of the next page (``None`` on the last)."""

    items: list[PublicLicence]
    next: str | None
    mode: str


def _encode(data: dict) -> str:
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(cursor: str | None, mode: str) -> dict | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")).decode("utf-8"))
        if data.get("m") != mode or not isinstance(data.get("i"), int):
            raise ValueError
        if mode == "name" and not isinstance(data.get("n"), str):
            raise ValueError
        return data
    except ValueError:
        raise BadCursor() from None


def classify(query: str | None) -> tuple[str, str]:
    """Return ``(mode, term)``: ``all``, ``number``, ``code`` or ``name``."""
    term = " ".join((query or "").split())
    if not term:
        return "all", ""
    folded = normalise_code(term)
    if NUMBER_PATTERN.match(folded):
        return "number", folded
    if CODE_PATTERN.match(folded):
        return "code", folded
    return "name", term


def _name_prefixes(term: str) -> list[str]:
    city = city_name()
    prefixes = [term]
    if not term.startswith(city):
        prefixes.append(city + term)
    return prefixes


def _by_name(base, term: str, cursor: dict | None, count: int) -> list[Licence]:
    """The first ``count`` enterprises' licences by (name, id) whose name starts with a prefix.

    One index range scan per prefix, each already in (name, id) order and cut at ``count``,
    merged here: the cost follows the page size, not the number of matches.
    """
    found: dict[int, Licence] = {}
    for prefix in _name_prefixes(term):
        stmt = base.where(Licence.holder_name >= prefix, Licence.holder_name < prefix + _TOP,
                          # a person is found by licence number or full ID number only
                          Licence.holder_kind == "enterprise")
        if cursor is not None:
            stmt = stmt.where(or_(Licence.holder_name > cursor["n"],
                                  and_(Licence.holder_name == cursor["n"],
                                       Licence.id > cursor["i"])))
        stmt = stmt.order_by(Licence.holder_name, Licence.id).limit(count)
        for row in db.session.scalars(stmt):
            found[row.id] = row
    return sorted(found.values(), key=lambda r: (r.holder_name, r.id))[:count]


def search(query: str | None = None, *, after: str | None = None, limit: int = 20,
           today=None) -> RegisterPage:
    """Return a page of licensing decisions matching ``query``, with the next page's cursor."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    mode, term = classify(query)
    cursor = _decode(after, mode)
    base = select(Licence).where(Licence.holder_name.is_not(None))
    if mode == "name":
        rows = _by_name(base, term, cursor, limit + 1)
    else:
        stmt = base
        if mode == "number":
            stmt = stmt.where(Licence.number == term)
        elif mode == "code":
            stmt = stmt.where(Licence.holder_code == term)
        if cursor is not None:
            stmt = stmt.where(Licence.id < cursor["i"])
        rows = list(db.session.scalars(stmt.order_by(Licence.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        data = {"m": mode, "i": last.id}
        if mode == "name":
            data["n"] = last.holder_name
        next_cursor = _encode(data)
    return RegisterPage([public_view(row, today) for row in rows], next_cursor, mode)
