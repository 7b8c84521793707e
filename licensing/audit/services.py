"""Writing, sealing and verifying the audit log.

Entries of one transaction are written together: ``record_audit`` keeps them with the session
and ``write_pending`` sends them as one executemany (one round trip), before the transaction
commits, or earlier when something in the transaction reads the audit tables. They commit or
roll back with the change they describe, as before; a request no longer pays one INSERT per
entry (docs/decisions/0022-write-path-statements.md).
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import has_request_context
from flask_login import current_user
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import find_tables

from licensing.audit.models import AuditEntry, AuditSeal
from licensing.clock import utcnow
from licensing.extensions import db

GENESIS_HASH = "0" * 64
SYSTEM_LABEL = "system"
_SEAL_LOCK_KEY = 7_301_001  # pg advisory lock id for the sealing step
_SEAL_BATCH = 2000
_PENDING = "audit_pending"  # session.info: entries recorded, not yet written
_MARKS = "audit_savepoint_marks"  # session.info: pending length when each savepoint began
_AUDIT_TABLES = frozenset({AuditEntry.__table__, AuditSeal.__table__})
_INSERT_ENTRIES = insert(AuditEntry.__table__)


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def _naive_utc_iso(instant: datetime) -> str:
    return instant.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds")


def compute_entry_hash(entry: AuditEntry | PendingEntry) -> str:
    """Hash the content of one entry (everything but its id and its own hash)."""
    payload = {
        "occurred": _naive_utc_iso(entry.occurred_dt),
        "actor_id": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "changes": entry.changes,
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def compute_chain_hash(prev_hash: str, entry_id: int, entry_hash: str) -> str:
    """Link one entry to the chain."""
    return hashlib.sha256(f"{prev_hash}|{entry_id}|{entry_hash}".encode()).hexdigest()


def _current_actor():
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


class IdOf:
    """The id of an object added to the session and not flushed yet (see ``id_of``)."""

    __slots__ = ("obj",)

    def __init__(self, obj) -> None:
        self.obj = obj

    def resolve(self) -> int:
        """The id, which the flush before the entry is written has assigned."""
        if self.obj.id is None:
            raise RuntimeError(f"audited {type(self.obj).__name__} was never flushed")
        return self.obj.id


def id_of(obj) -> int | IdOf:
    """``obj.id``, or, for an object not flushed yet, that id as the entry will be written.

    ``record_audit`` takes it as the ``object_id`` or as a value of ``changes``: the service
    need not flush just to learn an id for its entry (issue 18: a flush of the unit of work
    costs CPU even when it sends one statement). The entries of a transaction are written
    after its last flush, in the order recorded, and hashed then, so the entry and the chain
    are exactly what an id known at once would have given.
    """
    return obj.id if obj.id is not None else IdOf(obj)


@dataclass(slots=True)
class PendingEntry:
    """An entry recorded and not written yet: the row ``write_pending`` inserts.

    A plain object, not an ``AuditEntry``: the entries are written through Core, so the ORM's
    instrumentation of a mapped object would only cost CPU (issue 18: 17 entries per pair).
    """

    occurred_dt: datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str | IdOf
    changes: dict
    entry_hash: str | None = None


_COLUMNS = ("occurred_dt", "actor_id", "actor_label", "action", "object_type", "object_id",
            "changes", "entry_hash")


def record_audit(
    action: str,
    *,
    object_type: str,
    object_id: str | int | IdOf,
    changes: Mapping[str, Any] | None = None,
    actor=None,
) -> PendingEntry:
    """Add an audit entry to the current transaction.

    Call it in the same service function that changes the state, so the entry commits or
    rolls back with the change. ``actor`` defaults to the logged-in user, else the system.
    ``changes`` must not carry personal data in full (mask ID and phone numbers first).
    ``object_id`` and the values of ``changes`` may be ``id_of`` an object not yet flushed.
    """
    actor = actor if actor is not None else _current_actor()
    changes = _jsonable(dict(changes or {}))
    entry = PendingEntry(
        occurred_dt=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.username if actor is not None else SYSTEM_LABEL,
        action=action,
        object_type=object_type,
        object_id=object_id if isinstance(object_id, IdOf) else str(object_id),
        changes=changes,
    )
    if not _deferred(entry):
        entry.entry_hash = compute_entry_hash(entry)
    session = db.session()
    if not session.in_transaction():
        session.begin()  # the entry belongs to a transaction, as an added object would
    session.info.setdefault(_PENDING, []).append(entry)
    return entry


def write_pending(session: Session | None = None) -> int:
    """Write the entries recorded in this transaction and not yet written; return how many.

    One executemany, in the order recorded, so ids (and the chain the sealing step builds
    from them) follow the order of the changes. Called before every
    commit and before any read of the audit tables; callers rarely need it directly.
    """
    session = session if session is not None else db.session
    pending = session.info.get(_PENDING)
    if not pending:
        return 0
    if any(entry.entry_hash is None for entry in pending):
        session.flush()  # the ids the deferred entries name (usually flushed already)
        for entry in pending:
            if entry.entry_hash is None:
                _resolve(entry)
    session.info[_PENDING] = []
    # Written inside a savepoint, they roll back with it in the database now.
    marks = session.info.get(_MARKS, {})
    for transaction in marks:
        marks[transaction] = 0
    rows = [{c: getattr(entry, c) for c in _COLUMNS} for entry in pending]
    # One executemany, in the order given: psycopg sends its rows in one pipeline (one round
    # trip), SQLite's driver one after another. Unlike an INSERT built with .values([...]),
    # which SQLAlchemy compiles anew every time, this statement is compiled once per process.
    session.execute(_INSERT_ENTRIES, rows)
    return len(rows)


def _deferred(entry: PendingEntry) -> bool:
    return isinstance(entry.object_id, IdOf) or any(
        isinstance(value, IdOf) for value in entry.changes.values())


def _resolve(entry: PendingEntry) -> None:
    """Put the ids an entry was recorded with as ``id_of`` into it, then hash it."""
    if isinstance(entry.object_id, IdOf):
        entry.object_id = str(entry.object_id.resolve())
    entry.changes = {key: value.resolve() if isinstance(value, IdOf) else value
                     for key, value in entry.changes.items()}
    entry.entry_hash = compute_entry_hash(entry)


@event.listens_for(Session, "before_commit")
def _write_before_commit(session: Session) -> None:
    if session.info.get(_PENDING):
        session.flush()
        write_pending(session)


@event.listens_for(Session, "do_orm_execute")
def _write_before_audit_read(state) -> None:
    # Like autoflush: a read of the audit tables sees the entries of its own transaction.
    if state.session.info.get(_PENDING) and (
            _AUDIT_TABLES & set(find_tables(state.statement, include_joins=True))):
        write_pending(state.session)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[transaction] = len(session.info.get(_PENDING, ()))


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if previous_transaction.nested:
        mark = session.info.get(_MARKS, {}).pop(previous_transaction, None)
        if mark is not None:
            del pending[mark:]
        return
    session.info[_PENDING] = []
    session.info.pop(_MARKS, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_unwritten(session: Session, transaction) -> None:
    # A transaction that ended without its commit (closed, or rolled back) took its entries.
    # (A savepoint's end is handled by after_soft_rollback, which comes after this event.)
    if transaction.parent is None:
        if session.info.get(_PENDING):
            session.info[_PENDING] = []
        session.info.pop(_MARKS, None)


def seal_pending(batch_size: int = _SEAL_BATCH) -> int:
    """Chain every committed, unsealed entry in id order; commit; return how many were sealed.

    Idempotent and safe to run from several processes: on PostgreSQL a transaction-level
    advisory lock lets one sealer work at a time; everywhere, the unique seal sequence and
    entry id refuse a second sealer's duplicate.
    """
    sealed = 0
    session = db.session
    write_pending(session)
    while True:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SEAL_LOCK_KEY})
        last = session.execute(
            select(AuditSeal.seq, AuditSeal.chain_hash).order_by(AuditSeal.seq.desc()).limit(1)
        ).first()
        seq, prev = (last.seq, last.chain_hash) if last else (0, GENESIS_HASH)
        pending = session.execute(
            select(AuditEntry.id, AuditEntry.entry_hash)
            .outerjoin(AuditSeal, AuditSeal.entry_id == AuditEntry.id)
            .where(AuditSeal.seq.is_(None))
            .order_by(AuditEntry.id)
            .limit(batch_size)
        ).all()
        if not pending:
            session.commit()
            return sealed
        now = utcnow()
        rows = []
        for entry_id, entry_hash in pending:
            seq += 1
            chained = compute_chain_hash(prev, entry_id, entry_hash)
            rows.append(
                {"seq": seq, "entry_id": entry_id, "prev_hash": prev, "chain_hash": chained,
                 "sealed_dt": now}
            )
            prev = chained
        session.execute(AuditSeal.__table__.insert(), rows)
        session.commit()
        sealed += len(rows)




@dataclass(frozen=True)
class VerifyProblem:
    """The first place where the chain does not hold."""

    seq: int | None
    entry_id: int | None
    reason: str

    def __str__(self) -> str:
        where = f"seal {self.seq}" if self.seq is not None else "unsealed"
        return f"{where}, entry {self.entry_id}: {self.reason}"


@dataclass(frozen=True)
class VerifyReport:
    """What ``verify_chain`` found."""

    checked: int
    problem: VerifyProblem | None

    @property
    def ok(self) -> bool:
        """Tell whether the chain verified."""
        return self.problem is None


def verify_chain() -> VerifyReport:
    """Walk the whole chain and recompute every hash; report the first bad entry, if any."""
    session = db.session
    write_pending(session)
    prev = GENESIS_HASH
    checked = 0
    stmt = (
        select(AuditSeal, AuditEntry)
        .outerjoin(AuditEntry, AuditEntry.id == AuditSeal.entry_id)
        .order_by(AuditSeal.seq)
        .execution_options(yield_per=2000)
    )
    for expected_seq, (seal, entry) in enumerate(session.execute(stmt), start=1):
        if seal.seq != expected_seq:
            return VerifyReport(
                checked, VerifyProblem(expected_seq, None, "seal missing: entries were removed")
            )
        if entry is None:
            return VerifyReport(checked, VerifyProblem(seal.seq, seal.entry_id, "entry removed"))
        if compute_entry_hash(entry) != entry.entry_hash:
            return VerifyReport(checked, VerifyProblem(seal.seq, entry.id, "entry content changed"))
        if seal.prev_hash != prev or compute_chain_hash(prev, entry.id, entry.entry_hash) != (
            seal.chain_hash
        ):
            return VerifyReport(checked, VerifyProblem(seal.seq, entry.id, "chain broken"))
        prev = seal.chain_hash
        checked += 1
    unsealed = session.execute(
        select(AuditEntry)
        .outerjoin(AuditSeal, AuditSeal.entry_id == AuditEntry.id)
        .where(AuditSeal.seq.is_(None))
        .order_by(AuditEntry.id)
    ).scalars()
    for entry in unsealed:
        if compute_entry_hash(entry) != entry.entry_hash:
            return VerifyReport(checked, VerifyProblem(None, entry.id, "entry content changed"))
        checked += 1
    return VerifyReport(checked, None)


def entries_for(object_type: str, object_id: str | int) -> list[AuditEntry]:
    """Return the audit trail of one object, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
            .order_by(AuditEntry.id)
        )
    )


def count_entries() -> int:
    """Return how many audit entries exist."""
    return db.session.scalar(select(func.count(AuditEntry.id))) or 0
