"""Enforcement: breach cases of the supervisory department, revocation cases of the approval one.

A ``BreachCase`` (违诺案件) is opened on a licence of either track by its supervisory department,
from any origin (``BreachOrigin``), with the finding's classification (``Finding``); it carries
the rectification order (责令限期整改) and its outcome, and the department's handling. When the
breach is not put right it is referred to the approval department as a ``RevocationCase``.

A ``RevocationCase`` is opened when the supervisory department reports a breach that was not
put right (``supervision_breach``), or when a promised material was not handed in by its due
date (``supplement_missed``) or was not acceptable (``supplement_rejected``). The approval
department decides it: revoke the licence (撤销行政许可) or dismiss the request. Its life is the
state machine ``REVOCATION_TRANSITIONS``; ``licensing.enforcement.services`` is the only place
that moves it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from licensing.auth.models import Role
from licensing.calendar.models import deadline_mixin
from licensing.calendar.registry import register_deadline_model
from licensing.clock import local_date, utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime
from licensing.types import str_enum as _enum


class Finding(enum.StrEnum):
    """How the supervisory department classifies a breach (工作方案: 不实承诺或违反承诺)."""

    false_commitment = "false_commitment"  # 不实承诺: the conditions did not exist when signed
    breach = "breach"  # 违反承诺: conditions, supplements or rectification not kept

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"false_commitment": "不实承诺", "breach": "违反承诺"}[self.value]

    @property
    def explanation(self) -> str:
        """Return what the classification means, in Chinese."""
        return {"false_commitment": "签署承诺书时承诺的条件并不存在",
                "breach": "未履行承诺的条件、补交材料或整改要求"}[self.value]


class BreachOrigin(enum.StrEnum):
    """Where a breach was found (工作方案: 在核查或日常监管中发现)."""

    verification = "verification"  # the verification task's nonconform result
    routine_inspection = "routine_inspection"  # 日常监管检查
    complaint = "complaint"  # 投诉举报
    referral = "referral"  # 其他机关移送
    credit_recheck = "credit_recheck"  # 信用复核发现

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"verification": "告知承诺核查", "routine_inspection": "日常监管检查",
                "complaint": "投诉举报", "referral": "其他机关移送",
                "credit_recheck": "信用复核"}[self.value]


#: The origins a breach case may be opened from by hand (the verification one opens itself).
MANUAL_BREACH_ORIGINS = (BreachOrigin.routine_inspection, BreachOrigin.complaint,
                         BreachOrigin.referral, BreachOrigin.credit_recheck)


class BreachStatus(enum.StrEnum):
    """Where a breach case stands."""

    open = "open"  # found; a rectification order is next
    rectifying = "rectifying"  # the order runs until its due date
    rectified = "rectified"  # put right: the case is closed
    referred = "referred"  # not put right: referred to the approval department for revocation

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"open": "待责令整改", "rectifying": "限期整改中", "rectified": "已整改到位",
                "referred": "已提请撤销许可"}[self.value]


#: The breach case's state machine: event -> (states it may happen in, state it leads to).
BREACH_TRANSITIONS: dict[str, tuple[frozenset[BreachStatus], BreachStatus]] = {
    "order_rectification": (frozenset({BreachStatus.open}), BreachStatus.rectifying),
    "rectified": (frozenset({BreachStatus.rectifying}), BreachStatus.rectified),
    "not_rectified": (frozenset({BreachStatus.rectifying}), BreachStatus.referred),
}


class BreachCase(db.Model):
    """A breach of a licence's conditions or commitment, found by its supervisory department."""

    __tablename__ = "breach_cases"
    __table_args__ = (
        CheckConstraint("origin <> 'verification' OR task_id IS NOT NULL",
                        name="verification_has_task"),
        CheckConstraint(
            "status = 'open' OR (rectification_ordered_on IS NOT NULL "
            "AND rectification_due_on IS NOT NULL)",
            name="rectifying_has_order"),
        CheckConstraint(
            "status IN ('open', 'rectifying') OR outcome_recorded_dt IS NOT NULL",
            name="outcome_recorded"),
        CheckConstraint(
            "(judicial_transfer_ref IS NULL AND judicial_transferred_on IS NULL) OR "
            "(judicial_transfer_ref IS NOT NULL AND judicial_transferred_on IS NOT NULL)",
            name="judicial_transfer_complete"),
        db.Index("ix_breach_cases_dept_status", "supervisory_department_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id", ondelete="RESTRICT"),
                                            index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    supervisory_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    approval_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    origin: Mapped[BreachOrigin] = mapped_column(_enum(BreachOrigin, 32))
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("verification_tasks.id", ondelete="RESTRICT"), unique=True)
    finding: Mapped[Finding] = mapped_column(_enum(Finding, 24))
    #: The facts found and the reasons for the classification, as the department stated them.
    facts: Mapped[str] = mapped_column(Text)
    found_on: Mapped[date] = mapped_column(Date)
    status: Mapped[BreachStatus] = mapped_column(_enum(BreachStatus), default=BreachStatus.open)
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: system
    opened_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # -- 责令限期整改
    rectification_requirements: Mapped[str | None] = mapped_column(Text)
    rectification_ordered_on: Mapped[date | None] = mapped_column(Date)
    rectification_due_on: Mapped[date | None] = mapped_column(Date)
    rectification_number: Mapped[str | None] = mapped_column(String(60), unique=True)
    # -- the outcome: rectified, or not (overdue, or still short on re-inspection)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    reinspected_on: Mapped[date | None] = mapped_column(Date)
    outcome_recorded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # -- 依法依规予以查处 and 移送司法机关
    penalty_ref: Mapped[str | None] = mapped_column(String(100))
    judicial_transfer_ref: Mapped[str | None] = mapped_column(String(100))
    judicial_transferred_on: Mapped[date | None] = mapped_column(Date)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    licence = relationship("Licence")
    application = relationship("Application")
    supervisory_department = relationship("Department",
                                          foreign_keys=[supervisory_department_id])
    approval_department = relationship("Department", foreign_keys=[approval_department_id])
    task = relationship("VerificationTask")
    opened_by = relationship("User", foreign_keys=[opened_by_id])
    outcome_by = relationship("User", foreign_keys=[outcome_by_id])

    @property
    def opened_on(self) -> date:
        """The day the case started: the day the breach was found."""
        return self.found_on

    def can_work(self, user) -> bool:
        """Inspectors and the head of the licence's supervisory department work the case."""
        return (user.role in (Role.inspector, Role.head)
                and user.department_id == self.supervisory_department_id)

    def __repr__(self) -> str:
        return (f"<BreachCase {self.id} {self.origin.value} {self.finding.value} "
                f"{self.status.value}>")


class RevocationOrigin(enum.StrEnum):
    """Why revocation was asked for (工作方案 三（四））."""

    supervision_breach = "supervision_breach"  # 逾期不整改或者整改后仍不符合条件
    supplement_missed = "supplement_missed"  # 未按承诺期限提交材料
    supplement_rejected = "supplement_rejected"  # 所提交材料不符合要求

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {
            "supervision_breach": "监管部门核查发现违反承诺，逾期不整改或整改后仍不符合条件",
            "supplement_missed": "申请人未按承诺期限补交材料",
            "supplement_rejected": "申请人补交的材料不符合要求",
        }[self.value]

    @property
    def short_label(self) -> str:
        """Return a short Chinese label for lists."""
        return {"supervision_breach": "核查违诺", "supplement_missed": "逾期未补交",
                "supplement_rejected": "补交材料不符合要求"}[self.value]


class RevocationStatus(enum.StrEnum):
    """Where a revocation case stands in its procedure."""

    requested = "requested"  # referred; the notice of intended revocation is next
    noticed = "noticed"  # notice given: statement, defence and hearing; then the decision
    decided = "decided"  # revocation decided, not yet served: the licence is still in force
    revoked = "revoked"  # the decision was served: the licence is revoked from that day
    dismissed = "dismissed"  # the approval department decided not to revoke
    merged = "merged"  # the licence was revoked on another case of the same licence
    reversed = "reversed"  # the revocation was withdrawn on review (not upheld)

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"requested": "待告知", "noticed": "已告知待决定", "decided": "已决定撤销待送达",
                "revoked": "已撤销许可", "dismissed": "不予撤销", "merged": "已并案办结",
                "reversed": "撤销决定已撤回"}[self.value]


#: States in which the case is still running.
OPEN_REVOCATION_STATES = frozenset({RevocationStatus.requested, RevocationStatus.noticed,
                                    RevocationStatus.decided})

#: The case's state machine: event -> (states it may happen in, state it leads to).
REVOCATION_TRANSITIONS: dict[str, tuple[frozenset[RevocationStatus], RevocationStatus]] = {
    "notice": (frozenset({RevocationStatus.requested}), RevocationStatus.noticed),
    "revoke": (frozenset({RevocationStatus.noticed}), RevocationStatus.decided),
    "dismiss": (frozenset({RevocationStatus.requested, RevocationStatus.noticed}),
                RevocationStatus.dismissed),
    "serve": (frozenset({RevocationStatus.decided}), RevocationStatus.revoked),
    "merge": (frozenset({RevocationStatus.requested, RevocationStatus.noticed,
                         RevocationStatus.decided}), RevocationStatus.merged),
    "reverse": (frozenset({RevocationStatus.revoked}), RevocationStatus.reversed),
}


class ServiceMethod(enum.StrEnum):
    """How a decision was served (送达方式)."""

    direct = "direct"
    post = "post"
    electronic = "electronic"
    public_notice = "public_notice"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"direct": "直接送达", "post": "邮寄送达", "electronic": "电子送达",
                "public_notice": "公告送达"}[self.value]

#: The legal basis proposed for each origin (the approver may complete it).
DEFAULT_LEGAL_BASIS = {
    RevocationOrigin.supervision_breach: (
        "《中华人民共和国行政许可法》第六十九条；《定州市深化行政许可告知承诺制改革工作方案》"
        "三（四）：逾期不整改或者整改后仍不符合条件的，依法撤销行政许可决定"),
    RevocationOrigin.supplement_missed: (
        "《中华人民共和国行政许可法》第六十九条；《定州市深化行政许可告知承诺制改革工作方案》"
        "三（四）：申请人未按承诺期限提交材料的，依法撤销行政许可决定"),
    RevocationOrigin.supplement_rejected: (
        "《中华人民共和国行政许可法》第六十九条；《定州市深化行政许可告知承诺制改革工作方案》"
        "三（四）：申请人所提交材料不符合要求的，依法撤销行政许可决定"),
}


class RevocationCase(deadline_mixin("statement"), db.Model):
    """A request to revoke one licence, its procedure, and the approval department's decision.

    The procedure (行政许可法 第七条、第四十七条; STYLE "Records that are law"): the notice of
    intended revocation with the statement period (``statement_*``, working days, a city
    setting); the statement or the written waiver; the hearing when asked for; the decision;
    its service, from which the licence is revoked.
    """

    __tablename__ = "revocation_cases"
    __table_args__ = (
        CheckConstraint(
            "(origin = 'supervision_breach' "
            "AND (task_id IS NOT NULL OR breach_case_id IS NOT NULL)) OR "
            "(origin IN ('supplement_missed', 'supplement_rejected') "
            "AND supplement_id IS NOT NULL)",
            name="origin_has_source",
        ),
        CheckConstraint(
            "(status IN ('requested', 'noticed') AND decided_dt IS NULL "
            "AND decided_by_id IS NULL) OR "
            "(status NOT IN ('requested', 'noticed') AND decided_dt IS NOT NULL "
            "AND decided_by_id IS NOT NULL)",
            name="decided_iff_decider_and_time",
        ),
        CheckConstraint(
            "status NOT IN ('decided', 'revoked', 'reversed') OR (legal_basis IS NOT NULL "
            "AND decision_reason IS NOT NULL AND decided_on IS NOT NULL "
            "AND letter_number IS NOT NULL)",
            name="revoked_has_reason_basis_letter",
        ),
        CheckConstraint(
            "status NOT IN ('revoked', 'reversed') OR (served_on IS NOT NULL "
            "AND service_method IS NOT NULL)",
            name="revoked_when_served",
        ),
        CheckConstraint(
            "noticed_on IS NULL OR (notice_number IS NOT NULL AND statement_due_on IS NOT NULL)",
            name="notice_complete",
        ),
        db.Index("ix_revocation_cases_dept_status", "approval_department_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id", ondelete="RESTRICT"),
                                            index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"))
    approval_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    supervisory_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"),
                                                           index=True)
    origin: Mapped[RevocationOrigin] = mapped_column(_enum(RevocationOrigin, 32))
    task_id: Mapped[int | None] = mapped_column(
        ForeignKey("verification_tasks.id", ondelete="RESTRICT"), unique=True)
    supplement_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplement_obligations.id", ondelete="RESTRICT"), unique=True)
    status: Mapped[RevocationStatus] = mapped_column(_enum(RevocationStatus),
                                                     default=RevocationStatus.requested)
    request_reason: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: system
    requested_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decision_reason: Mapped[str | None] = mapped_column(Text)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_on: Mapped[date | None] = mapped_column(Date)
    letter_number: Mapped[str | None] = mapped_column(String(60), unique=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("revocation_cases.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    #: The breach case referred (None for a supplement, or a case opened before enforcement).
    breach_case_id: Mapped[int | None] = mapped_column(
        ForeignKey("breach_cases.id", ondelete="RESTRICT"), unique=True)
    #: 不实承诺 or 违反承诺: decides the credit consequence on service.
    finding: Mapped[Finding] = mapped_column(_enum(Finding, 24), default=Finding.breach,
                                             server_default=Finding.breach.value)
    # -- 1. 拟撤销行政许可告知书
    notice_number: Mapped[str | None] = mapped_column(String(60), unique=True)
    noticed_on: Mapped[date | None] = mapped_column(Date)
    notice_facts: Mapped[str | None] = mapped_column(Text)
    notice_reasons: Mapped[str | None] = mapped_column(Text)
    notice_legal_basis: Mapped[str | None] = mapped_column(Text)
    # -- 2. 陈述、申辩 (or the written waiver) and the hearing
    statement_received_on: Mapped[date | None] = mapped_column(Date)
    statement_text: Mapped[str | None] = mapped_column(Text)
    hearing_requested: Mapped[bool] = mapped_column(Boolean, default=False,
                                                    server_default=false())
    rights_waived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    hearing_held_on: Mapped[date | None] = mapped_column(Date)
    hearing_place: Mapped[str | None] = mapped_column(String(200))
    hearing_host: Mapped[str | None] = mapped_column(String(100))
    hearing_minutes: Mapped[str | None] = mapped_column(Text)
    # -- 3. the decision: 第六十九条 public-interest exception when not revoking
    public_interest: Mapped[bool] = mapped_column(Boolean, default=False,
                                                  server_default=false())
    # -- 4. 送达
    service_method: Mapped[ServiceMethod | None] = mapped_column(_enum(ServiceMethod, 16))
    served_on: Mapped[date | None] = mapped_column(Date)
    service_receipt: Mapped[str | None] = mapped_column(Text)
    served_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    served_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # -- withdrawn on review (复议撤销等)
    reversed_on: Mapped[date | None] = mapped_column(Date)
    reversal_reason: Mapped[str | None] = mapped_column(Text)

    licence = relationship("Licence")
    application = relationship("Application")
    approval_department = relationship("Department", foreign_keys=[approval_department_id])
    supervisory_department = relationship("Department",
                                          foreign_keys=[supervisory_department_id])
    task = relationship("VerificationTask")
    supplement = relationship("SupplementObligation")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])
    served_by = relationship("User", foreign_keys=[served_by_id])
    breach_case = relationship("BreachCase")

    @property
    def is_open(self) -> bool:
        """Return whether the case is still running (not decided-and-served, nor closed)."""
        return self.status in OPEN_REVOCATION_STATES

    @property
    def opened_on(self) -> date:
        """The day the case started (Beijing time)."""
        return local_date(self.requested_dt)

    @property
    def default_legal_basis(self) -> str:
        """Return the legal basis proposed for the case's origin."""
        return DEFAULT_LEGAL_BASIS[self.origin]

    def can_decide(self, user) -> bool:
        """An approver of the licence's approval department decides."""
        return user.role == Role.approver and user.department_id == self.approval_department_id

    def __repr__(self) -> str:
        return f"<RevocationCase {self.id} {self.origin.value} {self.status.value}>"


register_deadline_model(
    RevocationCase, "statement",
    is_open=lambda: RevocationCase.status == RevocationStatus.noticed,
    object_type="revocation_case",
)
