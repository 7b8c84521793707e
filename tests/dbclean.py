"""Put the test database back to its state before the test, cheaply.

Every statement any engine of this process sends is seen (``before_cursor_execute`` on the
``Engine`` class), and the tables it writes are noted. After a test only those tables are
emptied, with the tables that refer to them, and their id sequences restarted, so the next
test sees what a freshly emptied database would show, without a TRUNCATE of every table.

Reference data (the official calendar, the city's departments) is loaded once per database
with tracking paused (``reference``), and kept from test to test until a test writes to one
of its tables; then it is emptied like any other table and loaded again when next asked for.
A statement the tracker cannot read (DDL, a writing CTE), a test of a module that writes
from child processes (``FULL_WIPE_MODULES``) or a test that asks for it (``wipe_all``) empties
every table. ``docs/decisions/0024-test-isolation.md`` says why this and not savepoints.

A world that many tests share and that is costly to build through the services is built once
per database and then put back in bulk (``replayed``; ``replayed_world`` when the tests use
the objects the build returned: they are loaded afresh from the replayed rows, and the clock
is frozen where the build left it). ``tests/integration/test_replayed_worlds.py`` holds a
replayed world against the built one, table by table.
"""

from __future__ import annotations

import functools
import itertools
import re
import threading
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import TypeVar
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from licensing import clock

_WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+'
    r'(?:"?\w+"?\.)?"?(\w+)"?', re.IGNORECASE)
_HARMLESS = re.compile(
    r"^\s*(?:SELECT|PRAGMA|SET|SHOW|BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|EXPLAIN|LOCK"
    r"|VALUES|ANALYZE|VACUUM|RESET|DISCARD|START\s+TRANSACTION|LISTEN|NOTIFY|UNLISTEN)\b",
    re.IGNORECASE)
_WRITING_CTE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\b", re.IGNORECASE)


class _Tracker:
    """The tables written since the last clean-up, by all engines of this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.dirty: set[str] = set()
        self.everything = False
        self.paused = threading.local()
        self.recorders: list[set[str]] = []

    def see(self, statement: str) -> None:
        paused = getattr(self.paused, "tables", None)
        if paused == "all":
            return
        match = _WRITE.match(statement)
        if match:
            table = match.group(1).lower()
            if paused and table in paused:
                return
            with self.lock:
                self.dirty.add(table)
                for recorder in self.recorders:
                    recorder.add(table)
            return
        if _HARMLESS.match(statement):
            return
        if statement.lstrip()[:4].upper() == "WITH" and not _WRITING_CTE.search(statement):
            return
        with self.lock:
            self.everything = True  # DDL or something unread: be safe
            for recorder in self.recorders:
                recorder.add(UNREAD)

    def take(self) -> tuple[set[str], bool]:
        with self.lock:
            dirty, everything = self.dirty, self.everything
            self.dirty, self.everything = set(), False
        return dirty, everything


_tracker = _Tracker()


def _see(conn, cursor, statement, parameters, context, executemany) -> None:
    _tracker.see(statement)


sa.event.listen(Engine, "before_cursor_execute", _see)


def forget_writes() -> None:
    """Forget what was written so far (a schema just created holds nothing to empty)."""
    _tracker.take()


#: In a set ``recording`` yields: a statement whose tables could not be read.
UNREAD = "*"


@contextmanager
def recording() -> Iterator[set[str]]:
    """Yield the set of tables written inside the block (still emptied after the test)."""
    written: set[str] = set()
    with _tracker.lock:
        _tracker.recorders.append(written)
    try:
        yield written
    finally:
        with _tracker.lock:  # by identity: a nested recording may hold the same tables
            _tracker.recorders[:] = [r for r in _tracker.recorders if r is not written]


@contextmanager
def untracked(tables: Iterable[str] | None = None) -> Iterator[None]:
    """Write ``tables`` (default: all) without noting them (reference data to be kept)."""
    before = getattr(_tracker.paused, "tables", None)
    _tracker.paused.tables = "all" if tables is None else set(tables)
    try:
        yield
    finally:
        _tracker.paused.tables = before


# --- reference data ----------------------------------------------------------------------

_reference_tables: dict[str, set[str]] = {}
_loaded: set[tuple[str, str]] = set()


def reference(engine: Engine, name: str, tables: Iterable[str],
              load: Callable[[], None]) -> None:
    """Load reference data ``name`` into ``tables`` once per database, and keep it.

    ``load`` must commit. Its writes to ``tables`` are not noted, so those rows outlive the
    test, until a test writes to one of ``tables``; then the tables are emptied and the next
    call loads them again. What it writes elsewhere (its audit entries) goes with the test.
    """
    key = (str(engine.url), name)
    if key in _loaded:
        return
    _reference_tables[name] = set(tables)
    with untracked(_reference_tables[name]):
        load()
    _loaded.add(key)


def _forget_reference(url: str, emptied: set[str] | None) -> None:
    for key in list(_loaded):
        if key[0] != url:
            continue
        if emptied is None or _reference_tables.get(key[1], set()) & emptied:
            _loaded.discard(key)


# --- worlds replayed ---------------------------------------------------------------------

_replays: dict[tuple[str, Hashable], KeptRows] = {}


def replayed(session: Session, key: Hashable, build: Callable[[], None]) -> None:
    """Run ``build`` (which commits), or put back in bulk the rows its first run wrote.

    The first run per database and ``key`` is real; every row it wrote is kept, if it
    started on empty tables. A later call finding those tables empty again inserts the same
    rows (parents first, id sequences moved past them) and commits: the state ``build``
    would leave, audit entries included, for a fraction of its cost. Otherwise ``build``
    runs. The rows count as the test's own writes and go after the test. ``key`` must name
    everything ``build`` depends on outside those tables (its arguments, kept reference data).
    """
    _replay(session, key, build)


def _replay(session: Session, key: Hashable, build: Callable[[], None]) -> str:
    """``replayed``; say what happened: ``"replayed"``, ``"kept"`` (built, rows kept) or
    ``"built"`` (built, nothing kept: tables not empty, a statement unread, files written)."""
    engine = session.get_bind()
    metadata = _metadata()
    full_key = (str(engine.url), key)
    snapshot = _replays.get(full_key)
    if snapshot is not None and not any(
            _has_rows(session, metadata.tables[name]) for name in snapshot.names):
        snapshot.put_back(session)
        session.commit()
        return "replayed"
    first = snapshot is None
    before = {t.name for t in metadata.sorted_tables if first and _has_rows(session, t)}
    files = _files() if first else None
    with recording() as written:
        build()
    if not first or UNREAD in written or written & before or _files() != files:
        return "built"  # not a run on empty tables, or it wrote files: nothing to keep
    _replays[full_key] = KeptRows(session, written)
    return "kept"


# --- worlds replayed with the objects the tests use --------------------------------------

_T = TypeVar("_T")


@dataclass(frozen=True)
class _Row:
    """A mapped object of a kept world, by class and primary key."""

    model: type
    identity: tuple


_ATOMS = (type(None), bool, int, float, str, bytes, date, time, timedelta, Decimal, Enum,
          UUID)
_worlds: dict[tuple[str, Hashable], tuple[object, datetime | None]] = {}


def replayed_world(session: Session, key: Hashable, build: Callable[[], _T]) -> _T:
    """``replayed`` for a build that returns the objects its tests use (a *world*).

    ``build`` runs once per database and ``key`` for real, on empty tables (reference data
    apart: load it before, and let ``key`` name it, e.g. with ``reference_state``). It
    returns an object tree (plain objects, dataclasses, dicts, lists, tuples, sets) whose
    leaves are values or mapped objects; the mapped objects are kept as (class, primary
    key). A later call puts the rows back (``replayed``) and gives a new tree of the same
    shape, each mapped object loaded afresh from the replayed rows (the same ids), with the
    clock frozen where the build left it. When the rows cannot be replayed (the tables are
    not empty, the first run wrote files or started on rows), ``build`` runs for real.

    ``build`` must ask for no fixture that writes, and leave no other state behind than the
    database and the clock (``licensing.clock``); process counters of the factories are not
    rewound, so a test's own rows never take a name the world holds.
    """
    full_key = (str(session.get_bind().url), key)
    made: list[_T] = []
    outcome = _replay(session, key, lambda: made.append(build()))
    if outcome == "replayed":
        template, frozen = _worlds[full_key]
        clock.set_frozen(frozen)
        return _thaw(session, template, {})
    if outcome == "kept":
        _worlds[full_key] = (_freeze(made[0], {}), clock.frozen())
    return made[0]


def reference_state(session: Session) -> tuple:
    """A key part naming the reference data loaded now: each table's row count and last id."""
    names = sorted(set().union(*_reference_tables.values())) if _reference_tables else []
    metadata = _metadata()
    state = []
    for name in names:
        table = metadata.tables[name]
        pk = next(iter(table.primary_key.columns))
        state.append((name, *session.execute(
            sa.select(sa.func.count(), sa.func.max(pk)).select_from(table)).one()))
    return tuple(state)


def _freeze(value, memo: dict[int, object]):
    """``value`` with each mapped object replaced by its ``_Row`` (shared parts stay shared)."""
    if isinstance(value, _ATOMS):
        return value
    if id(value) in memo:
        return memo[id(value)]
    state = sa.inspect(value, raiseerr=False)
    if isinstance(state, sa.orm.InstanceState):
        if state.identity is None:
            raise TypeError(f"a world's {type(value).__name__} was never flushed")
        memo[id(value)] = frozen = _Row(type(value), state.identity)
        return frozen
    return _rebuild(value, memo, _freeze)


def _thaw(session: Session, value, memo: dict[int, object]):
    """The tree ``_freeze`` made, each ``_Row`` loaded afresh from the session."""
    if isinstance(value, _ATOMS):
        return value
    if id(value) in memo:
        return memo[id(value)]
    if isinstance(value, _Row):
        memo[id(value)] = loaded = session.get(value.model, value.identity)
        if loaded is None:
            raise LookupError(f"{value.model.__name__} {value.identity} was not replayed")
        return loaded
    return _rebuild(value, memo, functools.partial(_thaw, session))


def _rebuild(value, memo: dict[int, object], convert: Callable):
    """A copy of a container or plain object, its parts passed through ``convert``."""
    if type(value) in (list, set, frozenset, tuple):
        copy = type(value)(convert(item, memo) for item in value)
    elif type(value) is dict:
        copy = {key: convert(item, memo) for key, item in value.items()}
    elif hasattr(value, "__dict__") and not isinstance(value, type) and not callable(value):
        copy = object.__new__(type(value))
        memo[id(value)] = copy  # before the parts: a part may point back
        vars(copy).update({name: convert(item, memo) for name, item in vars(value).items()})
        return copy
    else:
        raise TypeError(f"a world cannot keep a {type(value).__name__}")
    memo[id(value)] = copy
    return copy


def _files() -> list[str]:
    """The files under the application's instance folder (uploads, stored documents)."""
    from flask import current_app

    return sorted(str(p) for p in Path(current_app.instance_path).rglob("*"))


def forget_replays() -> None:
    """Forget the kept rows and worlds (the suite moved to another date)."""
    _replays.clear()
    _worlds.clear()


def _metadata() -> sa.MetaData:
    from licensing.extensions import db

    return db.metadata


def _has_rows(session: Session, table: sa.Table) -> bool:
    return session.execute(
        sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None


_kept_tables = itertools.count(1)


class KeptRows:
    """The rows some tables hold now, to be put back later into the same tables, emptied.

    On PostgreSQL the rows stay in the database, copied into tables of their own (schema
    ``KEPT_SCHEMA``), and go back with one ``INSERT … SELECT`` per table: row by row from
    Python, a calendar (some thousand rows) took a third of a second. On SQLite they are kept
    in memory as the driver gave them and go back through the driver's ``executemany``.
    Either way no value passes through the column types, so what goes back is what was there.
    """

    def __init__(self, session: Session, names: Iterable[str]) -> None:
        wanted = set(names)
        tables = [t for t in _metadata().sorted_tables if t.name in wanted]
        self.names = [t.name for t in tables]  # parents first
        self._serials = {t.name: [c.name for c in t.primary_key.columns if _serial(c)]
                         for t in tables}
        self._server = session.get_bind().dialect.name == "postgresql"
        self._copies: dict[str, str] = {}
        self._rows: dict[str, list[tuple]] = {}
        conn = session.connection()
        if self._server:
            number = next(_kept_tables)
            with untracked():  # DDL in a schema of its own: nothing of the tests' to empty
                conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{KEPT_SCHEMA}"')
                for name in self.names:
                    self._copies[name] = f'"{KEPT_SCHEMA}"."k{number}_{name}"'
                    conn.exec_driver_sql(
                        f'CREATE TABLE {self._copies[name]} AS SELECT * FROM "{name}"')
            session.commit()
        else:
            self._rows = {name: [tuple(row) for row in conn.exec_driver_sql(
                              f'SELECT * FROM "{name}"')]
                          for name in self.names}

    def put_back(self, session: Session) -> None:
        """Insert the rows (parents first) and move the id sequences past them."""
        conn = session.connection()
        for name in self.names:
            if self._server:
                conn.exec_driver_sql(f'INSERT INTO "{name}" SELECT * FROM {self._copies[name]}')
            elif self._rows[name]:
                marks = ", ".join("?" * len(self._rows[name][0]))
                conn.exec_driver_sql(f'INSERT INTO "{name}" VALUES ({marks})', self._rows[name])
        if not self._server:
            return  # SQLite's rowids follow the largest id by themselves
        restarts = [
            f"setval(pg_get_serial_sequence('{name}', '{column}'), "
            f"COALESCE((SELECT MAX({column}) FROM {name}), 1))"
            for name in self.names for column in self._serials[name]]
        if restarts:
            conn.exec_driver_sql("SELECT " + ", ".join(restarts))


#: The PostgreSQL schema holding ``KeptRows``' copies (the scratch database goes with them).
KEPT_SCHEMA = "kept_rows"


# --- the clean-up ------------------------------------------------------------------------

@functools.cache
def _referrers(metadata: sa.MetaData) -> dict[str, frozenset[str]]:
    """For each table, the tables whose foreign keys refer to it (the schema is fixed)."""
    referrers: dict[str, set[str]] = {}
    for table in metadata.sorted_tables:
        for fk in table.foreign_keys:
            referrers.setdefault(fk.column.table.name, set()).add(table.name)
    return {name: frozenset(tables) for name, tables in referrers.items()}


def _with_dependents(metadata: sa.MetaData, names: set[str]) -> set[str]:
    """``names`` and every table that refers to one of them, transitively."""
    referrers = _referrers(metadata)
    result, todo = set(), list(names)
    while todo:
        name = todo.pop()
        if name in result:
            continue
        result.add(name)
        todo.extend(referrers.get(name, ()))
    return result


def clean(engine: Engine, metadata: sa.MetaData, *, everything: bool = False) -> None:
    """Empty the tables written since the last clean-up (or all), restarting their ids."""
    dirty, unread = _tracker.take()
    everything = everything or unread
    known = {t.name for t in metadata.sorted_tables}
    names = known if everything else _with_dependents(metadata, dirty & known)
    if not names:
        return
    tables = [t for t in reversed(metadata.sorted_tables) if t.name in names]
    with untracked(), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Triggers off for this transaction: the audit tables refuse DELETE to everybody
            # else, and foreign keys need no order when every referrer goes too.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for table in tables:
                conn.execute(table.delete())
            restarts = [
                f"setval(pg_get_serial_sequence('{t.name}', '{c.name}'), 1, false)"
                for t in tables for c in t.primary_key.columns if _serial(c)]
            if restarts:
                conn.execute(sa.text("SELECT " + ", ".join(restarts)))
        else:
            for table in tables:
                conn.execute(table.delete())
            if conn.execute(sa.text(
                    "SELECT name FROM sqlite_master WHERE name='sqlite_sequence'")).first():
                conn.execute(sa.text("DELETE FROM sqlite_sequence"))
    _forget_reference(str(engine.url), None if everything else names)


def _serial(column: sa.Column) -> bool:
    return column.autoincrement is True or (
        column.autoincrement == "auto" and isinstance(column.type, sa.Integer)
        and not column.foreign_keys)
