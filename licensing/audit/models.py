"""The append-only, hash-chained audit log.

Entries are inserted freely by every transaction (no lock). A sealing step later takes the
committed, unsealed entries in id order and chains them: each seal row holds the hash of the
previous seal and of its entry. Both tables are insert-only. See
docs/decisions/0002-audit-chain-sealing.md.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime


class AuditEntry(db.Model):
    """Who did what to which object, and what changed. Never updated, never deleted."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer, index=True)
    actor_label: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    entry_hash: Mapped[str] = mapped_column(String(64))

    seal: Mapped[AuditSeal | None] = relationship(back_populates="entry", uselist=False)

    __table_args__ = (
        db.Index("ix_audit_entries_object", "object_type", "object_id"),
    )

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.object_type}:{self.object_id}>"


class AuditSeal(db.Model):
    """The place of one entry in the chain: ``chain_hash = H(prev_chain_hash | entry_hash)``."""

    __tablename__ = "audit_seals"

    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_entries.id"), unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    chain_hash: Mapped[str] = mapped_column(String(64))
    sealed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[AuditEntry] = relationship(back_populates="seal")

    def __repr__(self) -> str:
        return f"<AuditSeal {self.seq} entry={self.entry_id}>"


# On PostgreSQL the audit tables refuse UPDATE and DELETE for every role, the application's
# included: a trigger raises before any row is changed. (TRUNCATE, a table owner's right, is not
# an application operation; docs/deploy.md grants the application role only INSERT and SELECT.)
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit tables are append-only: %% on %% refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TABLES = ("audit_entries", "audit_seals")


def append_only_trigger_sql(table: str) -> str:
    """The statement installing the append-only trigger on one table (PostgreSQL)."""
    return (f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()")


def _install_append_only(target, connection, **kw) -> None:
    if connection.dialect.name != "postgresql":
        return
    connection.exec_driver_sql(APPEND_ONLY_FUNCTION)
    connection.exec_driver_sql(append_only_trigger_sql(target.name))


for _table in (AuditEntry.__table__, AuditSeal.__table__):
    event.listen(_table, "after_create", _install_append_only)
