"""Promised materials (承诺限期补齐补全): the obligations and their hand-ins.

An obligation is opened for each material promised to be handed in later when a licence is
issued on the commitment track (``licensing.supplements.listeners`` hears the decision); this
domain owns it from then on: the hand-ins, their review, the reminders and the missed sweep.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from licensing.calendar.models import deadline_mixin
from licensing.calendar.registry import register_deadline_model
from licensing.cases.models import MATERIAL_FK, Application, Licence
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime
from licensing.types import str_enum as _enum


class SupplementStatus(enum.StrEnum):
    """Where a promised supplement stands."""

    pending = "pending"  # promised, not handed in yet
    submitted = "submitted"  # handed in, awaiting the approver's review
    accepted = "accepted"
    rejected = "rejected"  # handed in but not acceptable: opens a revocation case
    missed = "missed"  # not handed in by the due date: opens a revocation case
    lapsed = "lapsed"  # the licence was revoked before it was due: nothing more to hand in

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {
            "pending": "待补交", "submitted": "已补交待审核", "accepted": "已通过",
            "rejected": "不符合要求", "missed": "逾期未补交", "lapsed": "许可已撤销，无需补交",
        }[self.value]


OPEN_SUPPLEMENT = (SupplementStatus.pending, SupplementStatus.submitted)


class SupplementObligation(deadline_mixin("supplement"), db.Model):
    """A material the applicant promised to hand in later (承诺限期补齐补全)."""

    __tablename__ = "supplement_obligations"
    __table_args__ = (UniqueConstraint("application_id", "material_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    material_id: Mapped[int] = mapped_column(ForeignKey(MATERIAL_FK))
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id"), index=True)
    status: Mapped[SupplementStatus] = mapped_column(_enum(SupplementStatus),
                                                     default=SupplementStatus.pending)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str | None] = mapped_column(Text)

    # ``Application.supplements`` is made here: the cases domain does not know this one
    application: Mapped[Application] = relationship(
        backref=backref("supplements", order_by="SupplementObligation.id"))
    material = relationship("Material", lazy="joined")
    licence: Mapped[Licence] = relationship()

    @property
    def is_open(self) -> bool:
        """Still to be handed in or reviewed (``OPEN_SUPPLEMENT``)."""
        return self.status in OPEN_SUPPLEMENT

    def __repr__(self) -> str:
        return f"<SupplementObligation {self.id} {self.status.value}>"


register_deadline_model(
    SupplementObligation, "supplement",
    is_open=lambda: SupplementObligation.status == SupplementStatus.pending,
    object_type="supplement",
)


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
