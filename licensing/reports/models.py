"""The monthly report's stored snapshot: a draft, then the final figures with their hash.

The figures of any month are computed from dates stored on the case rows (see
``licensing.reports.queries``), so a past month reproduces by itself. The snapshot adds what
computing cannot: the record of exactly what was reported to the reform office. A draft is
written on the 20th by the scheduler (and may be refreshed); the reform office finalises it,
which freezes the figures, their SHA-256 and who finalised them. A final snapshot never
changes (``_final_reports_are_immutable``). See
docs/decisions/0012-monthly-report-period-and-snapshot.md.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Enum, ForeignKey, Integer, String, event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime


class ReportStatus(enum.StrEnum):
    """Where a month's report stands."""

    draft = "draft"  # computed, may be refreshed
    final = "final"  # reported to the reform office: frozen

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"draft": "草稿", "final": "已定稿"}[self.value]


class MonthlyReport(db.Model):
    """The stored figures of one month (``period`` = ``YYYY-MM``)."""

    __tablename__ = "monthly_reports"
    __table_args__ = (
        CheckConstraint(
            "(status = 'final') = (finalised_dt IS NOT NULL AND finalised_by_id IS NOT NULL)",
            name="final_iff_finalised",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7), unique=True)
    status: Mapped[ReportStatus] = mapped_column(
        Enum(ReportStatus, native_enum=False, length=16, validate_strings=True),
        default=ReportStatus.draft)
    #: ``licensing.reports.figures.DEFINITIONS_VERSION`` the figures were counted by.
    definitions_version: Mapped[int] = mapped_column(Integer)
    #: The snapshot: ``MonthlyReportData.to_snapshot()`` (canonical, without personal data).
    figures: Mapped[dict] = mapped_column(JSON)
    #: SHA-256 of the canonical JSON of ``figures``.
    sha256: Mapped[str] = mapped_column(String(64))
    #: When the stored figures were computed.
    computed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: Who asked for the draft; ``None`` for the scheduler's draft of the 20th.
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    finalised_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finalised_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    drafted_by = relationship("User", foreign_keys=[drafted_by_id])
    finalised_by = relationship("User", foreign_keys=[finalised_by_id])

    @property
    def is_final(self) -> bool:
        """Return whether the report is frozen."""
        return self.status == ReportStatus.final

    def __repr__(self) -> str:
        return f"<MonthlyReport {self.period} {self.status.value} {self.sha256[:12]}>"


@event.listens_for(Session, "before_flush")
def _final_reports_are_immutable(session: Session, flush_context, instances) -> None:
    """Refuse any change to, or the deletion of, a report stored as final."""
    for obj in list(session.dirty) + list(session.deleted):
        if not isinstance(obj, MonthlyReport):
            continue
        history = inspect(obj).attrs.status.history
        stored = (history.deleted or history.unchanged or [None])[0]
        if stored == ReportStatus.final and (obj in session.deleted
                                             or session.is_modified(obj)):
            raise ValueError("a final monthly report never changes")
