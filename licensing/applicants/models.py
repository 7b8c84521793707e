"""Applicants: the organisations and persons who apply for licences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from licensing.applicants.identity import ApplicantKind, mask_code, mask_phone
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime

__all__ = ["RISK_LEVELS", "Applicant", "ApplicantKind"]

#: Credit risk levels, from the lowest risk (A) to the highest (D). See docs/credit-rules.md.
RISK_LEVELS = ("A", "B", "C", "D")


class Applicant(db.Model):
    """An enterprise (by unified social credit code) or a person (by resident ID number).

    ``code`` is stored normalised (upper case, half-width) and is unique per kind. The credit
    risk level is kept here so that cases and supervision tasks can show it without asking
    the credit domain: ``platform_risk_level`` is the level the credit platform last gave,
    ``risk_level`` the effective one (see ``licensing.credit.services.refresh_risk_level``).
    """

    __tablename__ = "applicants"
    __table_args__ = (
        UniqueConstraint("kind", "code", name="uq_applicants_kind_code"),
        CheckConstraint("risk_level IS NULL OR risk_level IN ('A', 'B', 'C', 'D')",
                        name="risk_level_known"),
        CheckConstraint(
            "platform_risk_level IS NULL OR platform_risk_level IN ('A', 'B', 'C', 'D')",
            name="platform_risk_level_known",
        ),
        CheckConstraint("(risk_level IS NULL) = (risk_level_dt IS NULL)",
                        name="risk_level_dated"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ApplicantKind] = mapped_column(
        Enum(ApplicantKind, native_enum=False, length=20, validate_strings=True)
    )
    code: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    #: The online account that acts for this applicant, if any.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    risk_level: Mapped[str | None] = mapped_column(String(1))
    platform_risk_level: Mapped[str | None] = mapped_column(String(1))
    risk_level_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def masked_code(self) -> str:
        """The identity code as lists and logs show it (ID numbers masked)."""
        return mask_code(self.kind, self.code)

    @property
    def masked_phone(self) -> str:
        """The phone number masked."""
        return mask_phone(self.phone) if self.phone else ""

    def __repr__(self) -> str:
        return f"<Applicant {self.id} {self.kind.value} {self.masked_code}>"
