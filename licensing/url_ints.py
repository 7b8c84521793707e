"""Integers from URLs: every id in a route or a query string is 1..2³¹−1 (an SQL ``integer``).

A larger number reaches PostgreSQL as an out-of-range parameter and fails the request with a
server error; a superscript "²" passes ``str.isdigit`` and fails ``int``. So:

* ``BoundedIntConverter`` replaces Flask's default ``int`` converter for every route (any
  ``<int:...>`` a domain adds is bounded without it doing anything): out of range is a 404;
* ``bounded_int`` is the ``type=`` for query-string integers
  (``request.args.get("page", 1, type=bounded_int)``): out of range is the default;
* ``parse_id`` does the same for a value already read as text.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

MAX_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:name>``: ASCII digits, 1..2³¹−1; anything else does not match (404)."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = 1,
                 max: int | None = MAX_INT, signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def bounded_int(value: str) -> int:
    """Parse a positive id (1..2³¹−1) written in ASCII digits; ``ValueError`` otherwise."""
    if not (isinstance(value, str) and value.isascii() and value.isdigit()) or len(value) > 10:
        raise ValueError(f"not an id: {value!r}")
    number = int(value)
    if not 1 <= number <= MAX_INT:
        raise ValueError(f"id out of range: {number}")
    return number


def parse_id(value: str | None) -> int | None:
    """``bounded_int``, or ``None`` for anything that is not a valid id."""
    try:
        return bounded_int(value or "")
    except ValueError:
        return None
