"""Electing the one active scheduler, and the short leases that guard single job runs.

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) held on a dedicated
  connection (its own engine, no pool, TCP keep-alives). The server releases it the moment
  that connection dies, whatever happened to the process; a standby trying every few seconds
  then gets it.
* SQLite (one machine, no advisory locks): a lease row in ``scheduler_lease`` taken and
  renewed with one conditional ``UPDATE`` (holder is me, or nobody, or the lease expired).
  A dead leader stops renewing; after ``ttl`` a standby takes the row.

Both keep the leader from running jobs once it can no longer prove it leads: the runner calls
``confirm()`` before every job run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from licensing.clock import utcnow
from licensing.jobs.models import SchedulerLease

log = logging.getLogger("licensing.jobs.leadership")

#: The advisory lock key of the scheduler (audit sealing uses 7_301_001).
SCHEDULER_LOCK_KEY = 7_301_008
SCHEDULER_LEASE = "scheduler"
DEFAULT_LEASE_TTL = timedelta(seconds=30)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def new_runner_id(kind: str = "scheduler") -> str:
    """Return an id naming this runner in logs and tables: kind, host, process, random."""
    return f"{kind}:{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


# -- leases (both databases) ------------------------------------------------------------------


def acquire_lease(conn: Connection, name: str, holder_id: str, ttl: timedelta,
                  now: datetime | None = None) -> datetime | None:
    """Take or renew the lease ``name`` for ``holder_id``; return its expiry, or ``None``.

    One conditional UPDATE decides (holder is me, or nobody, or the lease expired), which is
    atomic on both databases: two contenders never both see one row updated. Commits.
    """
    now = now or utcnow()
    table = SchedulerLease.__table__
    _ensure_lease_row(conn, name)
    expires = now + ttl
    result = conn.execute(
        sa.update(table)
        .where(
            table.c.name == name,
            sa.or_(table.c.holder_id == holder_id, table.c.holder_id.is_(None),
                   table.c.expires_dt <= now),
        )
        .values(
            holder_id=holder_id,
            acquired_dt=sa.case((table.c.holder_id == holder_id, table.c.acquired_dt),
                                else_=now),
            heartbeat_dt=now,
            expires_dt=expires,
        )
    )
    conn.commit()
    return expires if result.rowcount == 1 else None


def release_lease(conn: Connection, name: str, holder_id: str,
                  now: datetime | None = None) -> None:
    """Give the lease up if ``holder_id`` holds it (a no-op otherwise). Commits."""
    table = SchedulerLease.__table__
    conn.execute(
        sa.update(table)
        .where(table.c.name == name, table.c.holder_id == holder_id)
        .values(holder_id=None, expires_dt=now or utcnow())
    )
    conn.commit()


def record_holder(conn: Connection, name: str, holder_id: str, ttl: timedelta,
                  now: datetime | None = None) -> None:
    """Write ``holder_id`` into the lease row without condition (the caller proved it leads)."""
    now = now or utcnow()
    table = SchedulerLease.__table__
    _ensure_lease_row(conn, name)
    conn.execute(
        sa.update(table).where(table.c.name == name).values(
            holder_id=holder_id,
            acquired_dt=sa.case((table.c.holder_id == holder_id, table.c.acquired_dt),
                                else_=now),
            heartbeat_dt=now, expires_dt=now + ttl,
        )
    )
    conn.commit()


def _ensure_lease_row(conn: Connection, name: str) -> None:
    table = SchedulerLease.__table__
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    conn.execute(insert(table).values(name=name, holder_id=None, expires_dt=_EPOCH)
                 .on_conflict_do_nothing(index_elements=["name"]))


# -- scheduler leadership ---------------------------------------------------------------------


class Leadership(Protocol):
    """Who may run the jobs. Thread-safe: the heartbeat and job threads share it."""

    runner_id: str
    mechanism: str

    def try_acquire(self) -> bool:
        """Become, or stay, the leader; return whether this runner leads now."""

    def confirm(self) -> bool:
        """Return whether this runner still leads (checked before every job run)."""

    def release(self) -> None:
        """Stop leading (at shutdown); a standby can take over at once."""


class LeaseLeadership:
    """Leadership by the ``scheduler`` lease row: SQLite, or any database in tests."""

    mechanism = "lease"

    def __init__(self, engine: Engine, runner_id: str, ttl: timedelta = DEFAULT_LEASE_TTL,
                 name: str = SCHEDULER_LEASE) -> None:
        self.engine = engine
        self.runner_id = runner_id
        self.ttl = ttl
        self.name = name
        self._valid_until: datetime | None = None
        self._lock = threading.Lock()

    def try_acquire(self) -> bool:
        """Take the lease if free or expired, or renew it; return whether we hold it."""
        with self._lock:
            try:
                with self.engine.connect() as conn:
                    self._valid_until = acquire_lease(conn, self.name, self.runner_id,
                                                      self.ttl)
            except sa.exc.DBAPIError:
                log.exception("scheduler lease: database error, standing by")
                self._valid_until = None
            return self._valid_until is not None

    def confirm(self) -> bool:
        """Return whether the lease we last renewed has not expired yet (by our clock)."""
        with self._lock:
            return self._valid_until is not None and utcnow() < self._valid_until

    def release(self) -> None:
        """Give the lease up."""
        with self._lock:
            if self._valid_until is None:
                return
            self._valid_until = None
            try:
                with self.engine.connect() as conn:
                    release_lease(conn, self.name, self.runner_id)
            except sa.exc.DBAPIError:
                log.exception("scheduler lease: could not release (it will expire)")


class AdvisoryLockLeadership:
    """Leadership by a PostgreSQL session advisory lock on a dedicated connection."""

    mechanism = "advisory_lock"

    def __init__(self, engine: Engine, runner_id: str, key: int = SCHEDULER_LOCK_KEY,
                 ttl: timedelta = DEFAULT_LEASE_TTL) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("advisory locks need PostgreSQL")
        self.runner_id = runner_id
        self.key = key
        self.ttl = ttl
        self.engine = engine  # the application's engine: the informational lease row
        # Our own engine: the lock lives as long as this one connection, outside any pool.
        self._lock_engine = sa.create_engine(
            engine.url, poolclass=NullPool,
            connect_args={
                "application_name": f"licensing-scheduler {runner_id}"[:63],
                "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
                "keepalives_count": 3,
            },
        )
        self._conn: Connection | None = None
        self._held = False
        self._lock = threading.Lock()

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.closed or self._conn.invalidated:
            self._conn = self._lock_engine.connect().execution_options(
                isolation_level="AUTOCOMMIT")
        return self._conn

    def _drop_connection(self) -> None:
        self._held = False
        if self._conn is not None:
            try:
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # noqa: S110 - already dead: nothing more to clean up
                pass
        self._conn = None

    def _still_held(self, conn: Connection) -> bool:
        return bool(conn.execute(
            sa.text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND objsubid = 1 "
                    "AND ((classid::bigint << 32) | objid::bigint) = :key"),
            {"key": self.key},
        ).scalar())

    def try_acquire(self) -> bool:
        """Take the advisory lock if free, or check that our connection still holds it."""
        with self._lock:
            try:
                conn = self._connection()
                if self._held:
                    self._held = self._still_held(conn)
                    if not self._held:  # should not happen while the connection lives
                        log.error("scheduler: advisory lock lost on a live connection")
                if not self._held:
                    self._held = bool(conn.execute(
                        sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
                    ).scalar())
            except sa.exc.DBAPIError:
                log.warning("scheduler: lock connection failed; standing by")
                self._drop_connection()
                return False
            held = self._held
        if held:
            self._record()
        return held

    def _record(self) -> None:
        try:
            with self.engine.connect() as conn:
                record_holder(conn, SCHEDULER_LEASE, self.runner_id, self.ttl)
        except sa.exc.DBAPIError:
            log.warning("scheduler: could not record the leader row")

    def confirm(self) -> bool:
        """Return whether our dedicated connection is alive and holds the lock."""
        with self._lock:
            if not self._held:
                return False
            try:
                self._held = self._still_held(self._connection())
            except sa.exc.DBAPIError:
                log.warning("scheduler: lock connection lost; standing by")
                self._drop_connection()
            return self._held

    def release(self) -> None:
        """Unlock and close the dedicated connection."""
        with self._lock:
            was_held = self._held
            if self._conn is not None and self._held:
                with contextlib.suppress(sa.exc.DBAPIError):
                    self._conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"),
                                       {"key": self.key})
            self._drop_connection()
            self._lock_engine.dispose()
        if was_held:
            try:
                with self.engine.connect() as conn:
                    release_lease(conn, SCHEDULER_LEASE, self.runner_id)
            except sa.exc.DBAPIError:
                log.warning("scheduler: could not clear the leader row")

    def kill_connection_for_tests(self) -> None:
        """Drop the lock connection without unlocking, as a crash would (tests only)."""
        with self._lock:
            self._drop_connection()


def leadership_for(engine: Engine, runner_id: str,
                   ttl: timedelta = DEFAULT_LEASE_TTL) -> Leadership:
    """Return the leadership fitting the database: advisory lock on PostgreSQL, else lease."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLockLeadership(engine, runner_id, ttl=ttl)
    return LeaseLeadership(engine, runner_id, ttl=ttl)


@dataclass(frozen=True)
class LeaderInfo:
    """Who leads, as recorded: the holder, since when, the last heartbeat, and how."""

    holder_id: str | None
    acquired_dt: datetime | None
    heartbeat_dt: datetime | None
    expires_dt: datetime | None
    mechanism: str
    #: On PostgreSQL: the application name of the session holding the advisory lock.
    lock_holder: str | None = None

    @property
    def active(self) -> bool:
        """Return whether a leader is recorded and its lease has not run out."""
        if self.mechanism == "advisory_lock":
            return self.lock_holder is not None
        return (self.holder_id is not None and self.expires_dt is not None
                and self.expires_dt > utcnow())


def current_leader(conn: Connection) -> LeaderInfo:
    """Read who leads: the lease row, and on PostgreSQL the session holding the lock."""
    table = SchedulerLease.__table__
    row = conn.execute(sa.select(table).where(table.c.name == SCHEDULER_LEASE)).first()
    mechanism = "advisory_lock" if conn.dialect.name == "postgresql" else "lease"
    lock_holder = None
    if mechanism == "advisory_lock":
        lock_holder = conn.execute(
            sa.text("SELECT a.application_name FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                    "AND l.database = (SELECT oid FROM pg_database "
                    "                  WHERE datname = current_database()) "
                    "AND ((l.classid::bigint << 32) | l.objid::bigint) = :key"),
            {"key": SCHEDULER_LOCK_KEY},
        ).scalar()
    if row is None:
        return LeaderInfo(None, None, None, None, mechanism, lock_holder)
    return LeaderInfo(row.holder_id, row.acquired_dt, row.heartbeat_dt, row.expires_dt,
                      mechanism, lock_holder)
