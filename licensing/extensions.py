"""Flask extensions, created unbound and initialised by the application factory."""

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Column, MetaData, Table, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import TextualSelect

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention, so migrations are stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


#: Rate limits (Flask-Limiter), keyed by the client address unless a limit says otherwise. The
#: storage comes from ``RATELIMIT_STORAGE_URI``: memory for one process, Redis in production.
limiter = Limiter(key_func=get_remote_address)


def conflict_insert(target):
    """An INSERT of the session's dialect that takes ``on_conflict_do_nothing`` / ``_update``.

    PostgreSQL in production, SQLite in development and tests: both speak ``ON CONFLICT``.
    """
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(target)
    if dialect == "sqlite":
        return sqlite.insert(target)
    raise NotImplementedError(f"no ON CONFLICT support for {dialect}")


def python_defaults(table: Table, given: Iterable[str]) -> list[Column]:
    """The columns ``insert(table)`` would fill from their Python-side default, given ``given``.

    A textual INSERT (``text_insert``) sends exactly the columns it names, so it names these
    too and their values come from ``with_defaults``.
    """
    given = set(given)
    return [c for c in table.columns if c.name not in given and c.default is not None
            and (c.default.is_scalar or c.default.is_callable)]


def with_defaults(table: Table, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` plus the Python-side default of each column ``python_defaults`` names."""
    full = dict(values)
    for column in python_defaults(table, values):
        default = column.default
        full[column.name] = default.arg(None) if default.is_callable else default.arg
    return full


def text_insert(table: Table, names: Sequence[str], *, source: str | None = None,
                tail: str = "", params: Sequence[BindParameter] = ()) -> TextualSelect:
    """An ``INSERT INTO table`` as a typed ``text()`` that returns the table's rows.

    SQLAlchemy 2.0 compiles a dialect insert with ``ON CONFLICT`` anew on every execution (it
    has no cache key); the same statement as text is compiled once per process, and SQLite
    and PostgreSQL read it alike. ``names``: the columns given, in order; the columns with a
    Python-side default are added (pass their values through ``with_defaults``). The values
    are ``:name`` parameters, typed by their columns, unless ``source`` gives a SELECT (whose
    select list must follow the same order; ``params`` types its other parameters).
    ``tail``: what follows, e.g. ``ON CONFLICT``.
    Every column comes back (``RETURNING``), ready for ``select(Model).from_statement``.
    """
    columns = [table.c[name] for name in names] + python_defaults(table, names)
    listed = ", ".join(c.name for c in columns)
    values = source if source is not None else \
        f"VALUES ({', '.join(':' + c.name for c in columns)})"
    returning = ", ".join(c.name for c in table.columns)
    statement = text(f"INSERT INTO {table.name} ({listed}) {values} {tail} "
                     f"RETURNING {returning}")
    typed = [bindparam(c.name, type_=c.type) for c in columns
             if re.search(rf":{c.name}\b", statement.text)]
    return statement.bindparams(*typed, *params).columns(*table.columns)
