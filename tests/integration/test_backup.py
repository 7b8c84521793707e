"""Backups: taken while the application runs, restored end to end."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from licensing.audit.models import AuditEntry
from licensing.audit.services import record_audit, verify_chain
from licensing.extensions import db


def test_backup_and_restore_round_trip(runner, session, backend, tmp_path):
    if backend == "postgresql" and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("PostgreSQL client tools are not installed")
    for i in range(3):
        record_audit("test.before_backup", object_type="thing", object_id=i)
    db.session.commit()
    target = tmp_path / "backup.bin"
    result = runner.invoke(args=["backup", "create", "--output", str(target)])
    assert result.exit_code == 0, result.output
    assert target.stat().st_size > 0

    record_audit("test.after_backup", object_type="thing", object_id=99)
    db.session.commit()
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 4
    db.session.remove()

    result = runner.invoke(args=["backup", "restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions == ["test.before_backup"] * 3
    assert verify_chain().ok
