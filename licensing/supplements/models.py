"""Hand-ins of promised materials (承诺限期补齐补全).

The obligation itself (``licensing.cases.models.SupplementObligation``) is created by the
decision that issues the licence, so it lives with the licence; this domain owns what happens
to it afterwards: the hand-ins below, their review, and the missed-deadline sweep.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime


class SupplementSubmission(db.Model):
    """One hand-in of a promised material: who, when, through which channel, the file."""

    __tablename__ = "supplement_submissions"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplement_id: Mapped[int] = mapped_column(
        ForeignKey("supplement_obligations.id", ondelete="RESTRICT"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # "online" | "counter"
    note: Mapped[str] = mapped_column(String(1000), default="")
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    stored_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    original_name: Mapped[str | None] = mapped_column(String(200))
    content_type: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))

    supplement = relationship("SupplementObligation")
    submitted_by = relationship("User")

    __table_args__ = (
        CheckConstraint(
            "(stored_name IS NULL AND sha256 IS NULL AND size_bytes IS NULL) OR "
            "(stored_name IS NOT NULL AND sha256 IS NOT NULL AND size_bytes IS NOT NULL)",
            name="file_complete",
        ),
    )

    def __repr__(self) -> str:
        return f"<SupplementSubmission {self.id} supplement={self.supplement_id}>"
