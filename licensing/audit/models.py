"""The append-only, hash-chained audit log.

Entries are inserted freely by every transaction (no lock). A sealing step later takes the
committed, unsealed entries in id order and chains them: each seal row holds the hash of the
previous seal and of its entry. Both tables are insert-only. See
docs/decisions/0002-audit-chain-sealing.md.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
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
