"""Credit records, objections, the checks kept as evidence, and the push outbox.

See docs/credit-rules.md for the rules these tables carry and docs/credit-platform.md for the
platform they mirror and feed.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from licensing.applicants.models import Applicant
from licensing.calendar.deadlines import Deadline, DeadlineRule
from licensing.calendar.registry import DeadlineRef, register_deadline_provider
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime
from licensing.types import str_enum as _enum


class CreditSource(enum.StrEnum):
    """Where a credit record comes from."""

    platform = "platform"  # the provincial credit information sharing platform, over HTTP
    local_import = "local_import"  # the platform's file exports, imported with `credit import`
    system = "system"  # produced by this system (commitments and how they were kept)

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {
            "platform": "省信用信息共享平台",
            "local_import": "本地导入名单",
            "system": "本系统记录",
        }[self.value]


class CreditRecordType(enum.StrEnum):
    """What a credit record says about the applicant."""

    serious_dishonesty = "serious_dishonesty"  # 严重失信主体名单
    false_commitment = "false_commitment"  # 虚假承诺（不实承诺）
    commitment_made = "commitment_made"  # 作出告知承诺
    commitment_kept = "commitment_kept"  # 承诺经核查属实、已履行
    commitment_broken = "commitment_broken"  # 未履行承诺（如逾期未补齐材料）
    licence_revoked = "licence_revoked"  # 行政许可被撤销
    administrative_penalty = "administrative_penalty"  # 行政处罚
    abnormal_operation = "abnormal_operation"  # 经营异常名录

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return RECORD_TYPE_LABELS[self]

    @property
    def bars_commitment(self) -> bool:
        """Whether an active record of this type bars the commitment track (work plan 三(一))."""
        return self in BARRING_TYPES

    @property
    def adverse(self) -> bool:
        """Whether this is an adverse record: it can be repaired and raises the risk level."""
        return self not in NEUTRAL_TYPES


RECORD_TYPE_LABELS = {
    CreditRecordType.serious_dishonesty: "严重失信",
    CreditRecordType.false_commitment: "虚假承诺",
    CreditRecordType.commitment_made: "作出承诺",
    CreditRecordType.commitment_kept: "履行承诺",
    CreditRecordType.commitment_broken: "违反承诺",
    CreditRecordType.licence_revoked: "许可被撤销",
    CreditRecordType.administrative_penalty: "行政处罚",
    CreditRecordType.abnormal_operation: "经营异常",
}
#: Records that make an applicant ineligible for the commitment track until repaired.
BARRING_TYPES = frozenset({CreditRecordType.serious_dishonesty,
                           CreditRecordType.false_commitment})
#: Records that say nothing bad: never repaired, never raise the risk level.
NEUTRAL_TYPES = frozenset({CreditRecordType.commitment_made, CreditRecordType.commitment_kept})


class CreditRecordStatus(enum.StrEnum):
    """Whether a record still counts."""

    active = "active"
    repaired = "repaired"  # 信用修复: no longer bars the commitment track
    withdrawn = "withdrawn"  # withdrawn by its source, or an objection against it was upheld

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"active": "有效", "repaired": "已修复", "withdrawn": "已撤销"}[self.value]


def _reference_for_people(ref: str | None) -> str:
    """Say a record's reference the way people read it; internal keys never reach a page.

    Records this system wrote carry ``licence:<number>``, ``task:<id>`` or
    ``supplement:<id>``: the licence number is worth saying, the ids are not.
    """
    if not ref:
        return ""
    kind, sep, value = ref.partition(":")
    if sep and kind == "licence":
        return f"，许可证号{value}"
    if sep and kind in ("task", "supplement"):
        return ""
    return f"，文号{ref}"


class CreditRecord(db.Model):
    """One fact in an applicant's credit record, from the platform, an import or this system.

    ``start_on`` is the date the fact took effect (认定日期 / 决定日期); ``repaired_on`` the date
    of the credit repair decision and ``repair_basis`` what it rests on. ``dedupe_key`` makes
    every source idempotent: ``platform:<external id>``, ``import:<kind>:<code>:<type>:<start>``
    and ``system:<event kind>:<ref>``.
    """

    __tablename__ = "credit_records"
    __table_args__ = (
        CheckConstraint("status != 'repaired' OR repaired_on IS NOT NULL",
                        name="repaired_has_date"),
        CheckConstraint("repaired_on IS NULL OR repaired_on >= start_on",
                        name="repaired_after_start"),
        Index("ix_credit_records_applicant_type", "applicant_id", "record_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id", ondelete="RESTRICT"))
    applicant: Mapped[Applicant] = relationship()
    source: Mapped[CreditSource] = mapped_column(_enum(CreditSource))
    record_type: Mapped[CreditRecordType] = mapped_column(_enum(CreditRecordType, 32))
    status: Mapped[CreditRecordStatus] = mapped_column(
        _enum(CreditRecordStatus), default=CreditRecordStatus.active)
    start_on: Mapped[date] = mapped_column(Date)
    repaired_on: Mapped[date | None] = mapped_column(Date)
    repair_basis: Mapped[str | None] = mapped_column(Text)
    external_ref: Mapped[str | None] = mapped_column(String(100))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    issuer: Mapped[str | None] = mapped_column(String(200))  # 认定部门
    summary: Mapped[str | None] = mapped_column(Text)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    objections: Mapped[list[CreditObjection]] = relationship(
        back_populates="record", order_by="CreditObjection.id", passive_deletes="all")

    @property
    def open_objection(self) -> CreditObjection | None:
        """The objection under way, which suspends the use of this record, if any."""
        return next((o for o in self.objections if o.status == ObjectionStatus.open), None)

    def describe(self) -> str:
        """Name the record for people: type, date, source and reference (Chinese)."""
        ref = _reference_for_people(self.external_ref)
        issuer = f"，认定部门：{self.issuer}" if self.issuer else ""
        return (f"{self.record_type.label}记录（{self.start_on.isoformat()}起，"
                f"来源：{self.source.label}{issuer}{ref}）")

    def __repr__(self) -> str:
        return (f"<CreditRecord {self.id} {self.record_type.value} {self.status.value} "
                f"applicant={self.applicant_id}>")


class ObjectionStatus(enum.StrEnum):
    """Where an objection (异议) stands."""

    open = "open"
    upheld = "upheld"  # 异议成立: the record is withdrawn
    rejected = "rejected"  # 异议不成立: the record counts again

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"open": "处理中", "upheld": "异议成立", "rejected": "异议不成立"}[self.value]


#: Working days within which an objection must be decided (see docs/credit-rules.md).
OBJECTION_WORKING_DAYS = 15


class CreditObjection(db.Model):
    """An objection against a record: it suspends the record's use until it is decided.

    ``due_on`` is the date by which the objection must be decided (``OBJECTION_WORKING_DAYS``
    working days after ``filed_on``; see docs/credit-rules.md); ``due_provisional`` says the
    working-day calendar could not give a final date.
    """

    __tablename__ = "credit_objections"
    __table_args__ = (
        CheckConstraint(
            "(status = 'open' AND resolved_on IS NULL) OR "
            "(status != 'open' AND resolved_on IS NOT NULL AND resolution IS NOT NULL)",
            name="resolved_iff_decided",
        ),
        CheckConstraint("due_on >= filed_on", name="due_after_filed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        ForeignKey("credit_records.id", ondelete="RESTRICT"), index=True)
    record: Mapped[CreditRecord] = relationship(back_populates="objections")
    filed_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date] = mapped_column(Date)
    due_provisional: Mapped[bool] = mapped_column(default=False)
    due_basis: Mapped[str] = mapped_column(String(100))
    #: The working-day calendar version ``due_on`` was computed on (none for the fallback).
    due_calendar_version: Mapped[int | None]
    status: Mapped[ObjectionStatus] = mapped_column(
        _enum(ObjectionStatus), default=ObjectionStatus.open)
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_on: Mapped[date | None] = mapped_column(Date)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def due_deadline(self) -> Deadline:
        """The decision deadline as a ``Deadline`` (so a holiday notice can recompute it)."""
        return Deadline(rule=DeadlineRule.objection, working_days=OBJECTION_WORKING_DAYS,
                        start_event="objection_filed", start_on=self.filed_on,
                        due_on=self.due_on, provisional=bool(self.due_provisional),
                        calendar_version=self.due_calendar_version or 0)

    @due_deadline.setter
    def due_deadline(self, deadline: Deadline) -> None:
        self.due_on = deadline.due_on
        self.due_provisional = deadline.provisional
        self.due_calendar_version = deadline.calendar_version
        self.due_basis = f"{OBJECTION_WORKING_DAYS}个工作日"

    def __repr__(self) -> str:
        return f"<CreditObjection {self.id} record={self.record_id} {self.status.value}>"


def _open_objection_deadlines(first_day: date, last_day: date):
    """Open objections whose decision deadline a calendar change can move (registry provider)."""
    stmt = select(CreditObjection).where(
        CreditObjection.status == ObjectionStatus.open,
        CreditObjection.due_on >= first_day, CreditObjection.filed_on < last_day)
    for objection in db.session.scalars(stmt):
        yield DeadlineRef(objection, "due", "credit_objections.due", "credit_objection")


register_deadline_provider("credit_objections.due", _open_objection_deadlines)


class CheckSource(enum.StrEnum):
    """Who answered a credit check."""

    platform = "platform"  # the platform answered (merged with the local registry)
    local = "local"  # no platform is configured: the local registry is the source
    degraded = "degraded"  # the platform could not answer: the local registry stood in

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {
            "platform": "省信用信息共享平台（含本地记录）",
            "local": "本地信用记录",
            "degraded": "本地信用记录（平台不可用，降级核查）",
        }[self.value]


class CreditCheck(db.Model):
    """The evidence of one credit check: the answer, its source and its time (DESIGN step 3).

    ``reasons`` is a list of Chinese sentences shown to the applicant; ``barring_record_ids``
    the records that made the applicant ineligible, ``suspended_record_ids`` those that would
    have but are under objection; ``raw_answer`` the platform's body as received.
    ``needs_review`` flags a degraded check that let the applicant go on.
    """

    __tablename__ = "credit_checks"
    __table_args__ = (
        CheckConstraint("(source = 'degraded') = degraded", name="degraded_iff_source"),
        CheckConstraint("NOT needs_review OR degraded", name="review_only_when_degraded"),
        Index("ix_credit_checks_applicant_checked", "applicant_id", "checked_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id", ondelete="RESTRICT"))
    applicant: Mapped[Applicant] = relationship()
    checked_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[CheckSource] = mapped_column(_enum(CheckSource))
    degraded: Mapped[bool] = mapped_column(default=False)
    eligible: Mapped[bool]
    needs_review: Mapped[bool] = mapped_column(default=False)
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    barring_record_ids: Mapped[list] = mapped_column(JSON, default=list)
    suspended_record_ids: Mapped[list] = mapped_column(JSON, default=list)
    raw_answer: Mapped[dict | None] = mapped_column(JSON)
    platform_error: Mapped[str | None] = mapped_column(String(500))
    risk_level: Mapped[str | None] = mapped_column(String(1))
    elapsed_ms: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return (f"<CreditCheck {self.id} applicant={self.applicant_id} {self.source.value} "
                f"eligible={self.eligible}>")


class OutboxKind(enum.StrEnum):
    """What a push to the credit platform reports."""

    commitment_made = "commitment_made"
    commitment_kept = "commitment_kept"
    commitment_broken = "commitment_broken"
    dishonesty = "dishonesty"  # 失信信息: a commitment found false (虚假承诺)
    revocation = "revocation"  # 撤销行政许可
    record_repaired = "record_repaired"  # 信用修复: a record repaired here
    objection_upheld = "objection_upheld"  # 异议处理: a record withdrawn on an upheld objection

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {
            "commitment_made": "承诺信息",
            "commitment_kept": "履诺信息",
            "commitment_broken": "违诺信息",
            "dishonesty": "失信信息",
            "revocation": "撤销许可信息",
            "record_repaired": "信用修复信息",
            "objection_upheld": "异议处理结果",
        }[self.value]

    @property
    def record_type(self) -> CreditRecordType:
        """The local credit record written with a push of this kind."""
        return EVENT_RECORD_TYPES[self]


EVENT_RECORD_TYPES = {
    OutboxKind.commitment_made: CreditRecordType.commitment_made,
    OutboxKind.commitment_kept: CreditRecordType.commitment_kept,
    OutboxKind.commitment_broken: CreditRecordType.commitment_broken,
    OutboxKind.dishonesty: CreditRecordType.false_commitment,
    OutboxKind.revocation: CreditRecordType.licence_revoked,
}


class OutboxStatus(enum.StrEnum):
    """Where a push stands. See docs/decisions/0007-credit-outbox.md."""

    pending = "pending"  # to be sent at next_attempt_dt (transient failures stay here)
    delivered = "delivered"  # the platform gave a receipt
    failed = "failed"  # the platform refused it (4xx): needs a person, then "retry now"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"pending": "待发送", "delivered": "已送达", "failed": "被拒收"}[self.value]


#: After this many failed attempts a pending message is flagged on the administrators' page.
#: It stays pending and keeps being retried (every ``MAX_DELAY`` of the sender at most).
ALERT_ATTEMPTS = 10


class OutboxMessage(db.Model):
    """A push to the credit platform, written in the same transaction as its business change.

    The sender (``licensing.credit.outbox.deliver_pending``) sends it with its
    ``idempotency_key`` until the platform gives a receipt; the platform drops repeats of a
    key, so a message is applied once however often it is sent.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(
            "(status = 'delivered' AND delivered_dt IS NOT NULL) OR "
            "(status != 'delivered' AND delivered_dt IS NULL)",
            name="delivered_iff_dated",
        ),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_outbox_messages_status_next_attempt", "status", "next_attempt_dt"),
        Index("ix_outbox_messages_delivered_dt", "delivered_dt"),  # the monthly report
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OutboxKind] = mapped_column(_enum(OutboxKind))
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict] = mapped_column(JSON)
    applicant_id: Mapped[int | None] = mapped_column(
        ForeignKey("applicants.id", ondelete="RESTRICT"), index=True)
    record_id: Mapped[int | None] = mapped_column(
        ForeignKey("credit_records.id", ondelete="RESTRICT"))
    #: Lets a record and its message go in with one flush (the record's INSERT first).
    record: Mapped[CreditRecord | None] = relationship()
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, 16), default=OutboxStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_attempt_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(1000))
    receipt: Mapped[dict | None] = mapped_column(JSON)
    delivered_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def flagged(self) -> bool:
        """Whether an administrator should look at it: refused, or failing for a long time."""
        return self.status == OutboxStatus.failed or (
            self.status == OutboxStatus.pending and self.attempts >= ALERT_ATTEMPTS)

    def __repr__(self) -> str:
        return (f"<OutboxMessage {self.id} {self.kind.value} {self.status.value} "
                f"attempts={self.attempts}>")


class RecheckStatus(enum.StrEnum):
    """Where a re-check of a degraded credit check stands."""

    pending = "pending"  # the platform has not answered since
    cleared = "cleared"  # the platform answered: nothing bars the applicant
    barred = "barred"  # the platform answered: a barring record the local registry missed

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"pending": "待复核", "cleared": "复核无异常", "barred": "复核发现失信"}[self.value]


class CreditRecheck(db.Model):
    """A credit check the platform could not answer, queued to be checked again.

    工作方案 三（一）: 通过信用信息共享平台核查其信用记录. A decision made on a degraded check
    (local records only) stands on incomplete evidence: the check waits here until the
    platform answers again (``licensing.credit.jobs``), then is resolved with the new check.
    """

    __tablename__ = "credit_rechecks"
    __table_args__ = (
        CheckConstraint("(status = 'pending') = (resolved_dt IS NULL)",
                        name="resolved_iff_not_pending"),
        CheckConstraint("status = 'pending' OR result_check_id IS NOT NULL",
                        name="resolved_with_a_check"),
        Index("ix_credit_rechecks_status_queued", "status", "queued_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    applicant_id: Mapped[int] = mapped_column(
        ForeignKey("applicants.id", ondelete="RESTRICT"), index=True)
    applicant: Mapped[Applicant] = relationship()
    #: The degraded check the decision was made on (one re-check per check).
    degraded_check_id: Mapped[int] = mapped_column(ForeignKey("credit_checks.id"), unique=True)
    status: Mapped[RecheckStatus] = mapped_column(_enum(RecheckStatus),
                                                  default=RecheckStatus.pending)
    queued_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    resolved_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: The check with the platform's answer that resolved this re-check.
    result_check_id: Mapped[int | None] = mapped_column(ForeignKey("credit_checks.id"))

    def __repr__(self) -> str:
        return f"<CreditRecheck {self.id} check={self.degraded_check_id} {self.status.value}>"
