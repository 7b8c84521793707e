"""One publicity record per licensing decision, revocation and cancellation (双公示)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from licensing.calendar.models import deadline_mixin
from licensing.calendar.registry import register_deadline_model
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime
from licensing.types import str_enum as _enum

#: What the record is to the platform's push interface.
PUSH_KIND = "licensing_publicity"


class PublicityEvent(enum.StrEnum):
    """The decision a record makes public."""

    issued = "issued"
    changed = "changed"
    renewed = "renewed"
    cancelled = "cancelled"
    revoked = "revoked"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"issued": "准予行政许可", "changed": "准予变更", "renewed": "准予延续",
                "cancelled": "注销行政许可", "revoked": "撤销行政许可"}[self.value]


class PublicityStatus(enum.StrEnum):
    """Where a record stands in the outbox."""

    pending = "pending"
    delivered = "delivered"
    failed = "failed"  # refused by the platform: needs a person

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"pending": "待公示", "delivered": "已公示", "failed": "被拒收"}[self.value]


class PublicityRecord(deadline_mixin("publicity"), db.Model):
    """A licensing decision to make public within 7 working days of the decision.

    ``facts`` are the decision's facts when the record was made (the licence's own copy);
    ``payload`` maps them to the platform's fields by ``config/publicity/fields.yaml``. The
    record is the outbox message: the sweep delivers it with its idempotency key.
    """

    __tablename__ = "publicity_records"
    __table_args__ = (
        CheckConstraint("(status = 'delivered') = (delivered_dt IS NOT NULL)",
                        name="delivered_iff_dated"),
        db.Index("ix_publicity_records_status_next", "status", "next_attempt_dt"),
        # The monthly report's month in progress (``reports.queries.publicity_bounds``).
        db.Index("ix_publicity_records_delivered_on", "delivered_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id", ondelete="RESTRICT"),
                                            index=True)
    licence_version_id: Mapped[int | None] = mapped_column(ForeignKey("licence_versions.id"))
    event: Mapped[PublicityEvent] = mapped_column(_enum(PublicityEvent))
    approval_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    decided_on: Mapped[date] = mapped_column(Date, index=True)
    facts: Mapped[dict] = mapped_column(JSON)
    status: Mapped[PublicityStatus] = mapped_column(_enum(PublicityStatus),
                                                    default=PublicityStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    receipt: Mapped[dict | None] = mapped_column(JSON)
    delivered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_on: Mapped[date | None] = mapped_column(Date)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    licence = relationship("Licence")

    @property
    def kind(self) -> str:
        """The push interface's message kind."""
        return PUSH_KIND

    @property
    def payload(self) -> dict:
        """The record in the platform's format (the field mapping file)."""
        from licensing.publicity.mapping import load_mapping

        return load_mapping().apply(self.facts)

    def __repr__(self) -> str:
        return f"<PublicityRecord {self.id} {self.event.value} {self.status.value}>"


register_deadline_model(
    PublicityRecord, "publicity",
    is_open=lambda: PublicityRecord.status != PublicityStatus.delivered,
    object_type="publicity_record",
)
