"""Count the SQL statements an application sends while a block runs.

    with count_statements(db.engine) as statements:
        client.get("/inbox")
    assert statements.count <= 12, statements.text()

Statements are counted at the DBAPI cursor (``before_cursor_execute``), so ORM lazy loads,
flushes and Core statements all count; transaction control (BEGIN/COMMIT) does not.
``compiled`` lists those SQLAlchemy could not take from its compiled cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.engine.interfaces import CacheStats


@dataclass
class Statements:
    """The statements seen so far, in order."""

    sql: list[str] = field(default_factory=list)
    #: The statements SQLAlchemy compiled anew (not taken from its compiled cache).
    compiled: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        """How many statements were sent."""
        return len(self.sql)

    def text(self) -> str:
        """The statements, one per line, for an assertion message."""
        return "\n".join(f"{n:3d}. {s[:200]}" for n, s in enumerate(self.sql, 1))


@contextmanager
def count_statements(engine: Engine) -> Iterator[Statements]:
    """Record every statement ``engine`` sends inside the block."""
    seen = Statements()

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.sql.append(" ".join(statement.split()))
        if isinstance(context, DefaultExecutionContext) and context.compiled is not None \
                and context.cache_hit is not CacheStats.CACHE_HIT:
            seen.compiled.append(seen.sql[-1])

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
