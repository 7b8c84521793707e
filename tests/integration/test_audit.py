"""The audit log: entries written with the change, sealed into a chain, verified."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from licensing.audit.models import AuditEntry, AuditSeal
from licensing.audit.services import record_audit, seal_pending, verify_chain
from licensing.extensions import db


def _tamper(session, sql: str, params: dict | None = None) -> None:
    """Run SQL as an intruder with the database owner's rights would (triggers off)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(sa.text("SET session_replication_role = replica"))
    session.execute(sa.text(sql), params or {})
    if postgres:
        session.execute(sa.text("SET session_replication_role = DEFAULT"))
    session.commit()


def _write(n: int) -> None:
    for i in range(n):
        record_audit("test.event", object_type="thing", object_id=i, changes={"n": i, "名": "值"})
    db.session.commit()


def test_fresh_chain_verifies(session):
    _write(5)
    assert seal_pending() == 5
    assert seal_pending() == 0  # idempotent
    report = verify_chain()
    assert report.ok and report.checked == 5


def test_seal_chains_in_id_order_across_batches(session):
    _write(7)
    assert seal_pending(batch_size=3) == 7
    seals = session.scalars(sa.select(AuditSeal).order_by(AuditSeal.seq)).all()
    assert [s.seq for s in seals] == list(range(1, 8))
    assert [s.entry_id for s in seals] == sorted(s.entry_id for s in seals)
    assert all(b.prev_hash == a.chain_hash for a, b in itertools.pairwise(seals))


def test_edited_row_is_detected(session):
    _write(4)
    seal_pending()
    third = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()[2]
    # a hand edit in SQL, as an intruder with database access would do it
    _tamper(session, "UPDATE audit_entries SET action = 'forged' WHERE id = :id", {"id": third.id})
    session.expire_all()
    report = verify_chain()
    assert not report.ok
    assert report.problem.entry_id == third.id
    assert report.checked == 2


def test_removed_row_is_detected(session):
    _write(4)
    seal_pending()
    second = session.scalars(sa.select(AuditSeal).order_by(AuditSeal.seq)).all()[1]
    seq, entry_id = second.seq, second.entry_id
    _tamper(session, "DELETE FROM audit_seals WHERE seq = :s", {"s": seq})
    _tamper(session, "DELETE FROM audit_entries WHERE id = :i", {"i": entry_id})
    report = verify_chain()
    assert not report.ok and report.problem.seq == 2


def test_rehashed_forgery_breaks_the_chain(session):
    """An intruder who also recomputes the entry hash still breaks the chain."""
    from licensing.audit.services import compute_entry_hash

    _write(3)
    seal_pending()
    entry = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).first()
    entry.action = "forged"
    forged_hash = compute_entry_hash(entry)
    session.rollback()
    _tamper(session, "UPDATE audit_entries SET action = 'forged', entry_hash = :h WHERE id = :i",
            {"h": forged_hash, "i": entry.id})
    report = verify_chain()
    assert not report.ok and report.problem.reason == "chain broken"


def test_verify_command_exit_codes(runner, session):
    _write(3)
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "OK: 3" in ok.output
    _tamper(session, "UPDATE audit_entries SET object_id = '999' WHERE id = "
                     "(SELECT MIN(id) FROM audit_entries)")
    bad = runner.invoke(args=["audit", "verify"])
    assert bad.exit_code == 1
    assert "entry" in bad.output and "changed" in bad.output


def test_postgres_refuses_update_and_delete_of_audit_rows(session, backend):
    if backend != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's (the production database)")
    _write(1)
    seal_pending()
    for sql in ("UPDATE audit_entries SET action = 'x'", "DELETE FROM audit_entries",
                "UPDATE audit_seals SET chain_hash = 'x'", "DELETE FROM audit_seals"):
        with pytest.raises(sa.exc.DBAPIError) as excinfo:
            session.execute(sa.text(sql))
        assert "append-only" in str(excinfo.value)
        session.rollback()


# --- one transaction's entries, one INSERT (issue 18) --------------------------------------------


def test_entries_of_a_transaction_go_in_one_insert_before_the_commit(session):
    from tests.statements import count_statements

    with count_statements(db.engine) as statements:
        for i in range(5):
            record_audit("test.batched", object_type="thing", object_id=i)
        db.session.commit()
    inserts = [s for s in statements.sql if s.startswith("INSERT INTO audit_entries")]
    assert len(inserts) == 1, statements.text()
    rows = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "test.batched")
                           .order_by(AuditEntry.id)).all()
    assert [r.object_id for r in rows] == ["0", "1", "2", "3", "4"]  # ids in recorded order
    assert seal_pending() == 5 and verify_chain().ok


def test_a_read_in_the_transaction_sees_its_own_entries(session):
    record_audit("test.seen", object_type="thing", object_id=1)
    count = session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)
                           .where(AuditEntry.action == "test.seen"))
    assert count == 1
    session.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEntry)) == 0


def test_rollback_takes_unwritten_entries_with_it(session):
    record_audit("test.lost", object_type="thing", object_id=1)
    session.rollback()
    record_audit("test.kept", object_type="thing", object_id=2)
    session.commit()
    assert session.scalars(sa.select(AuditEntry.action)).all() == ["test.kept"]


def test_a_rolled_back_savepoint_takes_only_its_own_entries(session):
    record_audit("test.before", object_type="thing", object_id=1)
    savepoint = session.begin_nested()
    record_audit("test.inside", object_type="thing", object_id=2)
    savepoint.rollback()
    record_audit("test.after", object_type="thing", object_id=3)
    session.commit()
    actions = session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["test.before", "test.after"]
    assert seal_pending() == 2 and verify_chain().ok


# --- ids known only at the flush (issue 18, decision 0025's third pass) --------------------------


def test_an_entry_names_the_id_of_a_row_flushed_after_it_was_recorded(session):
    from licensing.audit.services import compute_entry_hash, id_of
    from licensing.auth.models import Department, DepartmentKind

    department = Department(code="audit-later", name="稍后写入的部门",
                            kind=DepartmentKind.approval)
    session.add(department)
    record_audit("test.before", object_type="thing", object_id=1)
    record_audit("test.deferred", object_type="department", object_id=id_of(department),
                 changes={"department_id": id_of(department), "n": 1})
    assert department.id is None  # recording flushed nothing
    session.commit()
    rows = session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [r.action for r in rows] == ["test.before", "test.deferred"]
    deferred = rows[1]
    assert deferred.object_id == str(department.id)
    assert deferred.changes == {"department_id": department.id, "n": 1}
    assert deferred.entry_hash == compute_entry_hash(deferred)  # hashed as written
    assert seal_pending() == 2 and verify_chain().ok


def test_a_read_of_the_audit_tables_flushes_what_its_entries_name(session):
    from licensing.audit.services import id_of
    from licensing.auth.models import Department, DepartmentKind

    department = Department(code="audit-read", name="读取前写入的部门",
                            kind=DepartmentKind.approval)
    session.add(department)
    with session.no_autoflush:
        record_audit("test.read", object_type="department", object_id=id_of(department))
    written = session.scalar(sa.select(AuditEntry.object_id)
                             .where(AuditEntry.action == "test.read"))
    assert department.id is not None and written == str(department.id)
    session.rollback()
