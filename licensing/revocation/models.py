"""Revocation cases of the approval department, and supplements handed in.

A ``RevocationCase`` is opened when the supervisory department reports a breach that was not
put right (``supervision_breach``), or when a promised material was not handed in by its due
date (``supplement_missed``) or was not acceptable (``supplement_rejected``). The approval
department decides it: revoke the licence (撤销行政许可) or dismiss the request. Its life is the
state machine ``REVOCATION_TRANSITIONS``; ``licensing.revocation.services`` is the only place
that moves it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from licensing.auth.models import Role
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime
from licensing.types import str_enum as _enum


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
    """Where a revocation case stands."""

    requested = "requested"  # awaiting the approval department's decision
    revoked = "revoked"  # the licence was revoked on this case
    dismissed = "dismissed"  # the approval department decided not to revoke
    merged = "merged"  # the licence was revoked on another case of the same licence

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"requested": "待决定", "revoked": "已撤销许可", "dismissed": "不予撤销",
                "merged": "已并案办结"}[self.value]


#: The case's state machine: event -> (states it may happen in, state it leads to).
REVOCATION_TRANSITIONS: dict[str, tuple[frozenset[RevocationStatus], RevocationStatus]] = {
    "revoke": (frozenset({RevocationStatus.requested}), RevocationStatus.revoked),
    "dismiss": (frozenset({RevocationStatus.requested}), RevocationStatus.dismissed),
    "merge": (frozenset({RevocationStatus.requested}), RevocationStatus.merged),
}

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


class RevocationCase(db.Model):
    """A request to revoke one licence, and the approval department's decision on it."""

    __tablename__ = "revocation_cases"
    __table_args__ = (
        CheckConstraint(
            "(origin = 'supervision_breach' AND task_id IS NOT NULL) OR "
            "(origin IN ('supplement_missed', 'supplement_rejected') "
            "AND supplement_id IS NOT NULL)",
            name="origin_has_source",
        ),
        CheckConstraint(
            "(status = 'requested' AND decided_dt IS NULL AND decided_by_id IS NULL) OR "
            "(status <> 'requested' AND decided_dt IS NOT NULL AND decided_by_id IS NOT NULL)",
            name="decided_iff_decider_and_time",
        ),
        CheckConstraint(
            "status <> 'revoked' OR (legal_basis IS NOT NULL AND decision_reason IS NOT NULL "
            "AND decided_on IS NOT NULL AND letter_number IS NOT NULL)",
            name="revoked_has_reason_basis_letter",
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

    licence = relationship("Licence")
    application = relationship("Application")
    approval_department = relationship("Department", foreign_keys=[approval_department_id])
    supervisory_department = relationship("Department",
                                          foreign_keys=[supervisory_department_id])
    task = relationship("VerificationTask")
    supplement = relationship("SupplementObligation")
    requested_by = relationship("User", foreign_keys=[requested_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    @property
    def is_open(self) -> bool:
        """Return whether the case awaits a decision."""
        return self.status == RevocationStatus.requested

    @property
    def default_legal_basis(self) -> str:
        """Return the legal basis proposed for the case's origin."""
        return DEFAULT_LEGAL_BASIS[self.origin]

    def can_decide(self, user) -> bool:
        """An approver of the licence's approval department decides."""
        return user.role == Role.approver and user.department_id == self.approval_department_id

    def __repr__(self) -> str:
        return f"<RevocationCase {self.id} {self.origin.value} {self.status.value}>"


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
