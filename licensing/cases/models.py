"""Applications, commitment letters, decisions, licences and supplement obligations."""

from __future__ import annotations

import enum
import secrets
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from licensing.calendar.models import deadline_mixin
from licensing.calendar.registry import register_deadline_model
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime
from licensing.types import str_enum as _enum

ITEM_VERSION_FK = "item_versions.id"
MATERIAL_FK = "materials.id"
APPLICANT_FK = "applicants.id"
CREDIT_CHECK_FK = "credit_checks.id"


def new_public_id() -> str:
    """An identifier that cannot be guessed, for URLs shown to applicants."""
    return secrets.token_urlsafe(16)


class Track(enum.StrEnum):
    """The two tracks of 双轨制."""

    commitment = "commitment"
    general = "general"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"commitment": "告知承诺制", "general": "一般程序"}[self.value]


class Channel(enum.StrEnum):
    """Where the application came in."""

    counter = "counter"
    online = "online"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"counter": "窗口", "online": "网上"}[self.value]


class ApplicationStatus(enum.StrEnum):
    """Where an application stands."""

    draft = "draft"  # being prepared: notice, track, credit check, commitments
    submitted = "submitted"  # commitment track: letter signed, awaiting the on-the-spot decision
    accepted = "accepted"  # general track: accepted, the statutory time limit runs
    approved = "approved"
    rejected = "rejected"
    withdrawn = "withdrawn"
    not_accepted = "not_accepted"  # general track: 不予受理 (行政许可法 第三十二条)

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return APPLICATION_STATUS_LABELS[self]


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.draft: "填报中",
    ApplicationStatus.submitted: "已承诺待决定",
    ApplicationStatus.accepted: "已受理",
    ApplicationStatus.approved: "准予许可",
    ApplicationStatus.rejected: "不予许可",
    ApplicationStatus.withdrawn: "已撤回",
    ApplicationStatus.not_accepted: "不予受理",
}

DECIDABLE = (ApplicationStatus.submitted, ApplicationStatus.accepted)
#: Where an applicant may still withdraw (撤回): any time before the decision.
WITHDRAWABLE = (ApplicationStatus.draft, *DECIDABLE)


CASE_NUMBER_PREFIX = "SL"  # 受理


def format_case_number(year: int, application_id: int) -> str:
    """The case number (受理编号) people read aloud and type: ``SL2026-000123``.

    Built from the application's own id, so it is unique without a counter and never reused;
    the year makes it easy to say and to place, the prefix keeps it apart from licence numbers.
    """
    return f"{CASE_NUMBER_PREFIX}{year}-{application_id:06d}"


def normalise_case_number(text: str) -> str | None:
    """Return the case number a user typed, or ``None`` if it is not one.

    Spaces, a missing dash, lower case and a missing ``SL`` prefix are tolerated.
    """
    compact = "".join((text or "").split()).replace("-", "").upper()
    compact = compact.removeprefix(CASE_NUMBER_PREFIX)
    if len(compact) != 10 or not compact.isascii() or not compact.isdigit():
        return None
    return f"{CASE_NUMBER_PREFIX}{compact[:4]}-{compact[4:]}"


class Decision(enum.StrEnum):
    """The outcome of a decision."""

    approve = "approve"
    reject = "reject"


class MaterialHandling(enum.StrEnum):
    """How one material is dealt with in an application."""

    submitted = "submitted"  # handed in (general track, or commitment track without a mode)
    supplement = "supplement"  # 承诺限期补齐补全
    substitute = "substitute"  # 承诺代替申请材料
    exempt_review = "exempt_review"  # 承诺免于实质审查

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return MATERIAL_HANDLING_LABELS[self]


MATERIAL_HANDLING_LABELS = {
    MaterialHandling.submitted: "现场提交",
    MaterialHandling.supplement: "承诺限期补齐补全",
    MaterialHandling.substitute: "承诺代替申请材料",
    MaterialHandling.exempt_review: "承诺免于实质审查",
}


class PauseReason(enum.StrEnum):
    """Procedures whose time is not counted in the statutory limit (行政许可法 第四十五条)."""

    hearing = "hearing"
    tendering = "tendering"
    testing = "testing"
    inspection = "inspection"
    appraisal = "appraisal"
    expert_review = "expert_review"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {
            "hearing": "听证", "tendering": "招标、拍卖", "testing": "检验、检测",
            "inspection": "检疫", "appraisal": "鉴定", "expert_review": "专家评审",
        }[self.value]


class Application(deadline_mixin("statutory"), db.Model):
    """One application for one item by one applicant, on one track."""

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(
            "(decision IS NULL AND decided_dt IS NULL AND decided_by_id IS NULL) OR "
            "(decision IS NOT NULL AND decided_dt IS NOT NULL AND decided_by_id IS NOT NULL)",
            name="decided_iff_decider_and_time",
        ),
        CheckConstraint(
            "(status IN ('approved', 'rejected')) = (decision IS NOT NULL)",
            name="decided_status_has_decision",
        ),
        db.Index("ix_applications_dept_status", "approval_department_id", "status"),
        db.Index("ix_applications_created_dt", "created_dt"),
        db.Index("ix_applications_submitted_dt", "submitted_dt"),  # the monthly report
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey(ITEM_VERSION_FK), index=True)
    approval_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    supervisory_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"),
                                                           index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey(APPLICANT_FK), index=True)
    track: Mapped[Track | None] = mapped_column(_enum(Track))
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    status: Mapped[ApplicationStatus] = mapped_column(_enum(ApplicationStatus),
                                                      default=ApplicationStatus.draft)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    notice_given_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    credit_check_id: Mapped[int | None] = mapped_column(ForeignKey(CREDIT_CHECK_FK))
    # Set when the credit check refused the commitment track; stays set if the applicant then
    # goes on under the general procedure, so the refusal is counted and explained.
    credit_ineligible: Mapped[bool] = mapped_column(default=False)
    submitted_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_on: Mapped[date | None] = mapped_column(Date)
    decision: Mapped[Decision | None] = mapped_column(_enum(Decision))
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_on: Mapped[date | None] = mapped_column(Date, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decision_reason: Mapped[str | None] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    # 受理编号: set in the same flush that creates the application (see start_application).
    case_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    withdrawn_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)
    # Where the licensed activity takes place and whom to ask for: the inspector goes there.
    business_address: Mapped[str | None] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(50))

    item_version = relationship("ItemVersion", lazy="joined")
    applicant = relationship("Applicant", lazy="joined")
    approval_department = relationship("Department", foreign_keys=[approval_department_id])
    supervisory_department = relationship("Department",
                                          foreign_keys=[supervisory_department_id])
    credit_check = relationship("CreditCheck")
    created_by = relationship("User", foreign_keys=[created_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    materials: Mapped[list[ApplicationMaterial]] = relationship(
        back_populates="application", order_by="ApplicationMaterial.id",
        cascade="all, delete-orphan")
    letter: Mapped[CommitmentLetter | None] = relationship(back_populates="application")
    licence: Mapped[Licence | None] = relationship(back_populates="application")
    pauses: Mapped[list[ClockPause]] = relationship(back_populates="application",
                                                    order_by="ClockPause.id")
    supplements: Mapped[list[SupplementObligation]] = relationship(
        back_populates="application", order_by="SupplementObligation.id")
    documents: Mapped[list[CaseDocument]] = relationship(
        back_populates="application", order_by="CaseDocument.id")

    def __repr__(self) -> str:
        return f"<Application {self.case_number or self.id} {self.status.value} track={self.track}>"


class ApplicationMaterial(db.Model):
    """How one material of the item is handled in an application."""

    __tablename__ = "application_materials"
    __table_args__ = (UniqueConstraint("application_id", "material_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    material_id: Mapped[int] = mapped_column(ForeignKey(MATERIAL_FK))
    handling: Mapped[MaterialHandling] = mapped_column(_enum(MaterialHandling))

    application: Mapped[Application] = relationship(back_populates="materials")
    material = relationship("Material", lazy="joined")

    def __repr__(self) -> str:
        return f"<ApplicationMaterial {self.application_id}/{self.material_id} {self.handling}>"


class SigningMethod(enum.StrEnum):
    """How the letter was signed: on screen, or on paper at the counter."""

    electronic = "electronic"
    paper = "paper"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"electronic": "电子签署", "paper": "纸质签署"}[self.value]


class CommitmentLetter(db.Model):
    """The exact text the applicant signed: written once, never changed.

    On paper, the text is the one printed (its digest was printed on the page and is checked
    again when the clerk records the signed original); the original's scan is optional and kept
    with its SHA-256.
    """

    __tablename__ = "commitment_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(100))
    signed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    channel: Mapped[Channel] = mapped_column(_enum(Channel))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signing_method: Mapped[SigningMethod] = mapped_column(
        _enum(SigningMethod), default=SigningMethod.electronic, server_default="electronic")
    original_received_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    scan_stored_name: Mapped[str | None] = mapped_column(String(64))
    scan_original_name: Mapped[str | None] = mapped_column(String(200))
    scan_sha256: Mapped[str | None] = mapped_column(String(64))

    application: Mapped[Application] = relationship(back_populates="letter")
    recorded_by = relationship("User")

    def __repr__(self) -> str:
        return f"<CommitmentLetter app={self.application_id} {self.sha256[:12]}>"


class CaseDocumentKind(enum.StrEnum):
    """The general track's paperwork (行政许可法 第三十二条)."""

    acceptance_notice = "acceptance_notice"
    refusal_decision = "refusal_decision"
    correction_notice = "correction_notice"

    @property
    def label(self) -> str:
        """Return the Chinese title of the document."""
        return {"acceptance_notice": "受理通知书", "refusal_decision": "不予受理决定书",
                "correction_notice": "补正材料通知书"}[self.value]


class CaseDocument(db.Model):
    """A notice issued on a case, kept as the PDF that was handed out, with the facts it states.

    Written once and never changed: a later notice is a new row.
    """

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[CaseDocumentKind] = mapped_column(_enum(CaseDocumentKind))
    issued_on: Mapped[date] = mapped_column(Date)
    issued_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    facts: Mapped[dict] = mapped_column(JSON, default=dict)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))

    application: Mapped[Application] = relationship(back_populates="documents")

    def __repr__(self) -> str:
        return f"<CaseDocument {self.id} {self.kind.value} app={self.application_id}>"


class LicenceStatus(enum.StrEnum):
    """Whether a licence is in force."""

    valid = "valid"
    revoked = "revoked"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"valid": "有效", "revoked": "已撤销"}[self.value]


def new_verify_token() -> str:
    """The unguessable token of a licence's public verification page."""
    return secrets.token_urlsafe(18)


class Licence(db.Model):
    """A licence issued on an approval; numbered without gaps per department and year."""

    __tablename__ = "licences"
    __table_args__ = (
        UniqueConstraint("approval_department_id", "year", "seq"),
        CheckConstraint(
            "(status = 'revoked') = (revoked_dt IS NOT NULL)", name="revoked_iff_revoked_dt"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    approval_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    item_version_id: Mapped[int] = mapped_column(ForeignKey(ITEM_VERSION_FK))
    applicant_id: Mapped[int] = mapped_column(ForeignKey(APPLICANT_FK), index=True)
    issued_on: Mapped[date] = mapped_column(Date)
    issued_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[LicenceStatus] = mapped_column(_enum(LicenceStatus),
                                                  default=LicenceStatus.valid)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verify_token: Mapped[str] = mapped_column(String(40), unique=True, default=new_verify_token)

    application: Mapped[Application] = relationship(back_populates="licence")
    item_version = relationship("ItemVersion")
    applicant = relationship("Applicant")
    approval_department = relationship("Department")

    def __repr__(self) -> str:
        return f"<Licence {self.number} {self.status.value}>"


class LicenceCounter(db.Model):
    """The last licence sequence number used per approval department and year."""

    __tablename__ = "licence_counters"

    approval_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"),
                                                        primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"<LicenceCounter {self.approval_department_id}/{self.year} {self.last_seq}>"


class ClockPause(db.Model):
    """A period not counted in the general track's statutory time limit."""

    __tablename__ = "clock_pauses"
    __table_args__ = (
        CheckConstraint("resumed_on IS NULL OR resumed_on >= paused_on",
                        name="resumed_after_paused"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    reason: Mapped[PauseReason] = mapped_column(_enum(PauseReason))
    note: Mapped[str] = mapped_column(String(500), default="")
    paused_on: Mapped[date] = mapped_column(Date)
    resumed_on: Mapped[date | None] = mapped_column(Date)
    working_days_excluded: Mapped[int | None] = mapped_column(Integer)

    application: Mapped[Application] = relationship(back_populates="pauses")

    def __repr__(self) -> str:
        return f"<ClockPause app={self.application_id} {self.paused_on}..{self.resumed_on}>"


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

    application: Mapped[Application] = relationship(back_populates="supplements")
    material = relationship("Material", lazy="joined")
    licence: Mapped[Licence] = relationship()

    def __repr__(self) -> str:
        return f"<SupplementObligation {self.id} {self.status.value}>"


register_deadline_model(
    Application, "statutory",
    is_open=lambda: Application.status == ApplicationStatus.accepted,
    object_type="application",
)
register_deadline_model(
    SupplementObligation, "supplement",
    is_open=lambda: SupplementObligation.status == SupplementStatus.pending,
    object_type="supplement",
)


@event.listens_for(Session, "before_flush")
def _letters_are_immutable(session: Session, flush_context, instances) -> None:
    """Refuse any change to a signed commitment letter once it is stored."""
    for obj in session.dirty:
        if isinstance(obj, CommitmentLetter) and session.is_modified(obj):
            raise ValueError("a signed commitment letter never changes")
    for obj in session.deleted:
        if isinstance(obj, CommitmentLetter):
            raise ValueError("a signed commitment letter is never deleted")
    for obj in session.dirty:
        if isinstance(obj, CaseDocument) and session.is_modified(obj):
            raise ValueError("an issued notice never changes")
