"""Applicants: the organisations and persons who apply for licences."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    DDL,
    CheckConstraint,
    Enum,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from licensing.applicants.identity import ApplicantKind, mask_code, mask_phone
from licensing.auth.models import User
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime

__all__ = ["RISK_LEVELS", "Applicant", "ApplicantKind", "ApplicantLink", "ApplicantVersion",
           "LinkBasis"]

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
        # Search by a part of the name (``LIKE '%…%'``): a trigram index on PostgreSQL (the
        # pg_trgm extension, created with the table); a plain index elsewhere.
        db.Index("ix_applicants_name_trgm", "name", postgresql_using="gin",
                 postgresql_ops={"name": "gin_trgm_ops"}),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ApplicantKind] = mapped_column(
        Enum(ApplicantKind, native_enum=False, length=20, validate_strings=True)
    )
    code: Mapped[str] = mapped_column(String(18), index=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    #: 法定代表人 (or 负责人) of an enterprise; empty for a person.
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    #: 住所 / 经营场所 as the applicant states it.
    address: Mapped[str | None] = mapped_column(String(300))
    #: The number of the latest ``ApplicantVersion``: every change of the stated data adds one.
    version_number: Mapped[int] = mapped_column(Integer, default=1)
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


# The trigram operator class must exist before the index above (``create_all``; migrations
# create the extension themselves).
event.listen(Applicant.__table__, "before_create",
             DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql"))


class ApplicantVersion(db.Model):
    """The applicant's stated data as it was from one change to the next; never changed.

    An application keeps the version it was filed with, and a licence copies the facts it
    states from that version: renaming the applicant later changes neither.
    """

    __tablename__ = "applicant_versions"
    __table_args__ = (UniqueConstraint("applicant_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id", ondelete="RESTRICT"),
                                              index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    def __repr__(self) -> str:
        return f"<ApplicantVersion {self.applicant_id} v{self.number}>"


@event.listens_for(Session, "before_flush")
def _versions_are_immutable(session: Session, flush_context, instances) -> None:
    """Refuse any change to a stored applicant version: the history is kept as it was."""
    for obj in session.dirty:
        if isinstance(obj, ApplicantVersion) and session.is_modified(obj):
            raise ValueError("an applicant version never changes")
    for obj in session.deleted:
        if isinstance(obj, ApplicantVersion):
            raise ValueError("an applicant version is never deleted")


class LinkBasis(enum.StrEnum):
    """What proves that an online account may act for a company."""

    #: The identity platform asserted, from the enterprise register, that the signed-in person
    #: is the company's legal representative.
    legal_representative = "legal_representative"
    #: A clerk checked a written authorisation (授权委托书) and the person's ID at the counter.
    authorisation = "authorisation"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"legal_representative": "法定代表人本人（统一身份认证核验）",
                "authorisation": "授权委托（窗口核验）"}[self.value]


class ApplicantLink(db.Model):
    """An online account's right to act for an applicant: granted with its proof, revocable.

    At most one link of an applicant is active at a time, and it is the one named by
    ``Applicant.user_id`` (which the cases, the supplements and the notifications read). A
    revoked link is kept, with who revoked it and why.
    """

    __tablename__ = "applicant_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id", ondelete="RESTRICT"),
                                              index=True)
    applicant: Mapped[Applicant] = relationship()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"),
                                         index=True)
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    basis: Mapped[LinkBasis] = mapped_column(
        Enum(LinkBasis, native_enum=False, length=30, validate_strings=True))
    #: What was checked: the platform's assertion, or the authorisation the clerk saw.
    evidence: Mapped[str] = mapped_column(String(500))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(String(500))

    @property
    def active(self) -> bool:
        """Tell whether the link still lets the account act for the applicant."""
        return self.revoked_dt is None

    def __repr__(self) -> str:
        return f"<ApplicantLink {self.applicant_id}->{self.user_id} {self.basis.value}>"
