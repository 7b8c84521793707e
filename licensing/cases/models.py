"""Applications, commitment letters, decisions and licences."""

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

from licensing.applicants.identity import ApplicantKind, mask_id_numbers_in
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


class Purpose(enum.StrEnum):
    """What an application asks for: a new licence, or a step in an existing one's life."""

    issue = "issue"  # 新办
    change = "change"  # 变更 (行政许可法 第四十九条)
    renewal = "renewal"  # 延续 (第五十条)
    reissue = "reissue"  # 补证 (a lost or damaged certificate)

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"issue": "新办", "change": "变更", "renewal": "延续",
                "reissue": "补证"}[self.value]


class SignerCapacity(enum.StrEnum):
    """In what capacity the commitment letter was signed."""

    legal_representative = "legal_representative"  # 法定代表人（负责人）of an enterprise
    agent = "agent"  # 委托代理人, with a power of attorney
    self = "self"  # the applicant in person

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"legal_representative": "法定代表人（负责人）", "agent": "委托代理人",
                "self": "申请人本人"}[self.value]


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
        # the monthly report; index-only counts of the month in progress (0006_home_panels)
        db.Index("ix_applications_submitted_track", "submitted_dt", "track"),
        db.Index("ix_applications_decided_spot", "decided_on", "track", "decision",
                 "decided_on_the_spot"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    idempotency_key: Mapped[str | None] = mapped_column(String(100), unique=True)
    item_version_id: Mapped[int] = mapped_column(ForeignKey(ITEM_VERSION_FK), index=True)
    approval_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    supervisory_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"),
                                                           index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey(APPLICANT_FK), index=True)
    #: The applicant's data as filed: a later change of the applicant does not reach it.
    applicant_version_id: Mapped[int | None] = mapped_column(ForeignKey("applicant_versions.id"))
    purpose: Mapped[Purpose] = mapped_column(_enum(Purpose), default=Purpose.issue)
    #: 许可内容 as applied for (the licensed scope); a change may replace it.
    licensed_scope: Mapped[str | None] = mapped_column(Text)
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
    decided_on: Mapped[date | None] = mapped_column(Date)
    #: A commitment-track approval made no later than the working day the letter was signed
    #: (the first working day after it, for a letter signed on a day off): 当场作出审批决定.
    #: Set at the decision; ``None`` for the general track and for refusals.
    decided_on_the_spot: Mapped[bool | None]
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
    applicant_version = relationship("ApplicantVersion")
    licence_request: Mapped[LicenceRequest | None] = relationship(back_populates="application")
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
    # ``supplements``: the promised materials (licensing.supplements.models, its backref)
    ineligibility_notices: Mapped[list[IneligibilityNotice]] = relationship(
        back_populates="application", order_by="IneligibilityNotice.id")
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
    __table_args__ = (
        CheckConstraint("signer_capacity <> 'agent' OR (power_of_attorney IS NOT NULL"
                        " AND signer_id_number IS NOT NULL)", name="agent_has_power_of_attorney"),
        CheckConstraint("(power_of_attorney_stored_name IS NULL) = "
                        "(power_of_attorney_sha256 IS NULL)", name="attorney_file_has_digest"),
        CheckConstraint("power_of_attorney_stored_name IS NULL OR signer_capacity = 'agent'",
                        name="attorney_file_only_for_agents"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(100))
    #: Who signed for the applicant; ``capacity_defaulted`` when the client did not say (API v1)
    #: and the default of the applicant's kind was recorded (the letter says so).
    signer_capacity: Mapped[SignerCapacity] = mapped_column(
        _enum(SignerCapacity, 24), default=SignerCapacity.legal_representative)
    signer_id_number: Mapped[str | None] = mapped_column(String(18))
    capacity_defaulted: Mapped[bool] = mapped_column(default=False)
    #: The power of attorney handed in as a material (agents only): what and when received.
    power_of_attorney: Mapped[str | None] = mapped_column(String(200))
    #: The power of attorney as an uploaded material (a checked photo or PDF under the private
    #: ``powers_of_attorney`` upload folder): its stored name, the name given, its SHA-256.
    #: Required of an agent since issue 15; letters signed earlier may have the text only.
    power_of_attorney_stored_name: Mapped[str | None] = mapped_column(String(64))
    power_of_attorney_file_name: Mapped[str | None] = mapped_column(String(200))
    power_of_attorney_sha256: Mapped[str | None] = mapped_column(String(64))
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

    @property
    def masked_text(self) -> str:
        """The text as signed, with every resident ID number masked: how it is shown."""
        applicant = self.application.applicant
        known = (applicant.code,) if applicant.kind == ApplicantKind.individual else ()
        return mask_id_numbers_in(self.text, known)

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
    """Whether a licence is in force (stored: ``valid`` or ``revoked``; see ``public_status``)."""

    valid = "valid"
    revoked = "revoked"
    cancelled = "cancelled"  # 注销: never stored in ``status``, shown by ``public_status``
    expired = "expired"  # past its validity, not yet cancelled: shown, never stored

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"valid": "有效", "revoked": "已撤销", "cancelled": "已注销",
                "expired": "已过有效期"}[self.value]


class CancellationReason(enum.StrEnum):
    """Why a licence is cancelled (注销, 行政许可法 第七十条)."""

    expired = "expired"  # 有效期届满未延续
    dissolved = "dissolved"  # 法人或者其他组织依法终止 / 自然人死亡
    revoked = "revoked"  # 行政许可依法被撤销、撤回
    surrender = "surrender"  # 持证人申请注销

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"expired": "有效期届满未延续", "dissolved": "持证人依法终止",
                "revoked": "行政许可依法被撤销", "surrender": "持证人申请注销"}[self.value]

    @property
    def basis(self) -> str:
        """The provision of 行政许可法 第七十条 the cancellation rests on."""
        return {"expired": "第（一）项", "dissolved": "第（二）项、第（三）项",
                "revoked": "第（四）项", "surrender": "第（六）项"}[self.value]


class LicenceEvent(enum.StrEnum):
    """What made a new version of a licence."""

    issued = "issued"
    changed = "changed"
    renewed = "renewed"
    reissued = "reissued"
    cancelled = "cancelled"
    revoked = "revoked"
    #: A served revocation withdrawn (not upheld on review, in court, or by the organ itself).
    reinstated = "reinstated"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"issued": "核发", "changed": "变更", "renewed": "延续", "reissued": "补证",
                "cancelled": "注销", "revoked": "撤销",
                "reinstated": "撤销决定撤回"}[self.value]


def new_verify_token() -> str:
    """The unguessable token of a licence's public verification page."""
    return secrets.token_urlsafe(18)


class Licence(db.Model):
    """A licence issued on an approval; numbered without gaps per department and year.

    The licence keeps its own copy of every fact it states (holder, address, item, scope,
    validity, decision number, authority), taken when it is issued: a later change of the
    applicant or the catalogue never reaches it. Only a procedure (change, renewal, reissue,
    cancellation, revocation) changes these columns, and each one adds a ``LicenceVersion``
    that keeps the facts as they were.
    """

    __tablename__ = "licences"
    __table_args__ = (
        UniqueConstraint("approval_department_id", "year", "seq"),
        CheckConstraint(
            "(status = 'revoked') = (revoked_dt IS NOT NULL)", name="revoked_iff_revoked_dt"
        ),
        CheckConstraint("status IN ('valid', 'revoked')", name="stored_status_known"),
        CheckConstraint("(cancelled_on IS NULL) = (cancel_reason IS NULL)",
                        name="cancelled_iff_reason"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from",
                        name="valid_until_after_from"),
        # the public register: newest first, by holder name, by holder code
        db.Index("ix_licences_holder_name_id", "holder_name", "id"),
        db.Index("ix_licences_holder_code", "holder_code"),
        db.Index("ix_licences_valid_until", "valid_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    approval_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    # --- the facts the licence states, frozen at issue (changed only by a procedure) ---
    holder_kind: Mapped[str | None] = mapped_column(String(20))
    holder_name: Mapped[str | None] = mapped_column(String(200))
    holder_code: Mapped[str | None] = mapped_column(String(18))
    legal_representative: Mapped[str | None] = mapped_column(String(100))
    address: Mapped[str | None] = mapped_column(String(300))
    item_code: Mapped[str | None] = mapped_column(String(32))
    item_name: Mapped[str | None] = mapped_column(String(200))
    item_version_number: Mapped[int | None] = mapped_column(Integer)
    scope: Mapped[str | None] = mapped_column(Text)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    decision_number: Mapped[str | None] = mapped_column(String(60))
    authority_name: Mapped[str | None] = mapped_column(String(200))
    track: Mapped[Track | None] = mapped_column(_enum(Track))
    #: The number of the latest ``LicenceVersion``.
    version_number: Mapped[int] = mapped_column(Integer, default=1)
    # --- cancellation (注销): ends the licence without revoking it ---
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    cancel_reason: Mapped[CancellationReason | None] = mapped_column(_enum(CancellationReason))
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
    versions: Mapped[list[LicenceVersion]] = relationship(
        back_populates="licence", order_by="LicenceVersion.number")

    def __repr__(self) -> str:
        return f"<Licence {self.number} {self.status.value}>"


class LicenceRequest(db.Model):
    """What a change, renewal or reissue application asks of an existing licence, as filed."""

    __tablename__ = "licence_requests"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), primary_key=True,
                                                autoincrement=False)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id"), index=True)
    #: For a change: field -> new value (holder_name, legal_representative, address, scope).
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    application: Mapped[Application] = relationship(back_populates="licence_request")
    licence: Mapped[Licence] = relationship()

    def __repr__(self) -> str:
        return f"<LicenceRequest app={self.application_id} licence={self.licence_id}>"


class LicenceVersion(db.Model):
    """One version of a licence: what it stated after one procedure; never changed."""

    __tablename__ = "licence_versions"
    __table_args__ = (UniqueConstraint("licence_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id", ondelete="RESTRICT"),
                                            index=True)
    number: Mapped[int] = mapped_column(Integer)
    event: Mapped[LicenceEvent] = mapped_column(_enum(LicenceEvent))
    #: The case the version came out of (none for a cancellation ex officio).
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    effective_on: Mapped[date] = mapped_column(Date)
    decision_number: Mapped[str | None] = mapped_column(String(60))
    reason: Mapped[str | None] = mapped_column(Text)
    #: Every fact the licence stated in this version, as printed.
    facts: Mapped[dict] = mapped_column(JSON)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    licence: Mapped[Licence] = relationship(back_populates="versions")

    def __repr__(self) -> str:
        return f"<LicenceVersion {self.licence_id} v{self.number} {self.event.value}>"


class ServiceMethod(enum.StrEnum):
    """How a document was served (送达)."""

    in_person = "in_person"  # 直接送达
    post = "post"  # 邮寄送达
    electronic = "electronic"  # 电子送达
    entrusted = "entrusted"  # 委托送达
    public_notice = "public_notice"  # 公告送达

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"in_person": "直接送达", "post": "邮寄送达", "electronic": "电子送达",
                "entrusted": "委托送达", "public_notice": "公告送达"}[self.value]


class LicenceDocument(db.Model):
    """A document issued on a licence (the certificate, a decision), frozen as printed.

    ``content`` is the printable document itself (title, sections, QR code); its PDF is
    rendered from it, so reprinting gives the same text whatever changed since. Only the
    record of its service (送达) is written later, once.
    """

    __tablename__ = "licence_documents"
    __table_args__ = (
        CheckConstraint(
            "(served_on IS NULL) = (service_method IS NULL)", name="served_iff_method"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id", ondelete="RESTRICT"),
                                            index=True)
    licence_version_id: Mapped[int] = mapped_column(ForeignKey("licence_versions.id"))
    kind: Mapped[str] = mapped_column(String(40))  # certificate, decision, cancellation
    title: Mapped[str] = mapped_column(String(100))
    content: Mapped[dict] = mapped_column(JSON)
    sha256: Mapped[str] = mapped_column(String(64))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    service_method: Mapped[ServiceMethod | None] = mapped_column(_enum(ServiceMethod))
    served_on: Mapped[date | None] = mapped_column(Date)
    served_to: Mapped[str | None] = mapped_column(String(200))
    service_recorded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    service_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    licence: Mapped[Licence] = relationship()
    version: Mapped[LicenceVersion] = relationship()

    def __repr__(self) -> str:
        return f"<LicenceDocument {self.licence_id} {self.kind} {self.sha256[:12]}>"
class IneligibilityNotice(db.Model):
    """不适用告知承诺制告知书: the written notice to an applicant the credit check refused.

    工作方案 三（一）: 对不符合适用条件的，应当告知申请人. The notice keeps its own copy of
    every fact it states (reasons, how to repair the record, the general track offered), so
    what was served never changes; it is never updated or deleted.
    """

    __tablename__ = "ineligibility_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    credit_check_id: Mapped[int] = mapped_column(ForeignKey(CREDIT_CHECK_FK))
    issued_on: Mapped[date] = mapped_column(Date)
    issued_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_code: Mapped[str] = mapped_column(String(40))
    item_name: Mapped[str] = mapped_column(String(200))
    approval_department_name: Mapped[str] = mapped_column(String(200))
    #: Why the commitment track does not apply (Chinese, one entry per reason).
    reasons: Mapped[list] = mapped_column(JSON)
    #: How to repair the record or object to it, so the track applies again.
    repair_guidance: Mapped[list] = mapped_column(JSON)
    #: The general procedure offered instead, with its statutory materials and time limit.
    general_track: Mapped[str] = mapped_column(Text)

    application: Mapped[Application] = relationship(back_populates="ineligibility_notices")

    def __repr__(self) -> str:
        return f"<IneligibilityNotice {self.id} application={self.application_id}>"


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


register_deadline_model(
    Application, "statutory",
    is_open=lambda: Application.status == ApplicationStatus.accepted,
    object_type="application",
)


_SERVICE_FIELDS = {"service_method", "served_on", "served_to", "service_recorded_dt",
                   "service_recorded_by_id"}


def _changed_fields(obj) -> set[str]:
    from sqlalchemy import inspect

    return {attr.key for attr in inspect(obj).attrs if attr.history.has_changes()}


@event.listens_for(Session, "before_flush")
def _letters_are_immutable(session: Session, flush_context, instances) -> None:
    """Refuse any change to a signed letter, a licence version or an issued document.

    An issued document takes the record of its service once; nothing else of it changes.
    """
    for obj in session.dirty:
        if not session.is_modified(obj):
            continue
        if isinstance(obj, CommitmentLetter | IneligibilityNotice | CaseDocument):
            raise ValueError(f"a signed or served {type(obj).__name__} never changes")
        if isinstance(obj, LicenceVersion):
            raise ValueError("a licence version never changes")
        if isinstance(obj, LicenceDocument) and (_changed_fields(obj) - _SERVICE_FIELDS):
            raise ValueError("an issued document never changes")
    for obj in session.deleted:
        if isinstance(obj, CommitmentLetter | LicenceVersion | LicenceDocument
                      | IneligibilityNotice | CaseDocument):
            raise ValueError("a signed letter or an issued record is never deleted")
