"""Verification tasks of the supervisory departments (现场核查), rectification orders, evidence.

A verification task is opened by the on-the-spot decision (``licensing.cases.services.decide``)
and worked by the supervisory department. Its life is an explicit state machine
(``TASK_TRANSITIONS``), and so is the rectification order's (``RECTIFICATION_TRANSITIONS``);
``licensing.supervision.services`` is the only place that moves them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from licensing.auth.models import Role
from licensing.calendar.models import deadline_mixin
from licensing.calendar.registry import register_deadline_model
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime
from licensing.types import str_enum as _enum


class TaskStatus(enum.StrEnum):
    """Where a verification task stands."""

    open = "open"  # to be checked on site
    checked = "checked"  # result recorded, not yet pushed to the approval department
    breach = "breach"  # nonconform result pushed: a rectification order is to be given
    rectifying = "rectifying"  # a rectification order runs (限期整改)
    closed = "closed"  # conform and pushed, or rectified; or a revocation request dismissed
    revocation_requested = "revocation_requested"  # not rectified: revocation asked for
    revoked = "revoked"  # the licence was revoked

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return TASK_STATUS_LABELS[self]


TASK_STATUS_LABELS = {
    TaskStatus.open: "待核查",
    TaskStatus.checked: "已核查待推送",
    TaskStatus.breach: "违诺待责令整改",
    TaskStatus.rectifying: "限期整改中",
    TaskStatus.closed: "已办结",
    TaskStatus.revocation_requested: "已提请撤销许可",
    TaskStatus.revoked: "许可已撤销",
}

#: States in which the task still needs the supervisory department's work.
ACTIVE_TASK_STATES = (TaskStatus.open, TaskStatus.checked, TaskStatus.breach,
                      TaskStatus.rectifying)
#: States after which nothing happens to the task any more.
TERMINAL_TASK_STATES = (TaskStatus.closed, TaskStatus.revoked)
#: Kept for callers of the first version of this module.
OPEN_TASK_STATES = (TaskStatus.open,)


class Outcome(enum.StrEnum):
    """The result of the on-site check."""

    conform = "conform"  # the commitment is true and kept
    nonconform = "nonconform"  # false or broken (不实承诺或违反承诺)

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"conform": "符合承诺", "nonconform": "不符合承诺"}[self.value]


class ChecklistVerdict(enum.StrEnum):
    """The inspector's answer to one point of the checklist."""

    conform = "conform"
    nonconform = "nonconform"
    not_applicable = "not_applicable"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"conform": "符合", "nonconform": "不符合", "not_applicable": "不适用"}[self.value]


#: The task's state machine: event -> (states it may happen in, state it leads to).
#: ``licensing.supervision.services`` refuses every other move with ``TaskTransitionRefused``.
TASK_TRANSITIONS: dict[str, tuple[frozenset[TaskStatus], TaskStatus]] = {
    "record_result": (frozenset({TaskStatus.open}), TaskStatus.checked),
    "push_conform": (frozenset({TaskStatus.checked}), TaskStatus.closed),
    "push_nonconform": (frozenset({TaskStatus.checked}), TaskStatus.breach),
    "order_rectification": (frozenset({TaskStatus.breach}), TaskStatus.rectifying),
    "rectified": (frozenset({TaskStatus.rectifying}), TaskStatus.closed),
    "not_rectified": (frozenset({TaskStatus.rectifying}), TaskStatus.revocation_requested),
    "revocation_dismissed": (frozenset({TaskStatus.revocation_requested}), TaskStatus.closed),
    # The licence was revoked (on this task's request, or for a missed supplement).
    "licence_revoked": (frozenset({TaskStatus.open, TaskStatus.checked, TaskStatus.breach,
                                   TaskStatus.rectifying, TaskStatus.revocation_requested}),
                        TaskStatus.revoked),
}

#: What each event is called in messages and audit entries.
TASK_EVENT_LABELS = {
    "record_result": "记录核查结果",
    "push_conform": "推送核查结果",
    "push_nonconform": "推送核查结果",
    "order_rectification": "责令限期整改",
    "rectified": "确认整改到位",
    "not_rectified": "确认未整改到位",
    "revocation_dismissed": "撤销申请不予撤销",
    "licence_revoked": "许可撤销",
    "assign": "分派核查人员",
    "judicial_transfer": "记录移送司法机关",
}


def _status_is(value: str):
    return text(f"status = '{value}'")


_UNASSIGNED = text("assigned_to_id IS NULL AND status IN ('open', 'checked', 'breach', "
                   "'rectifying')")


#: The tasks still to be checked, and those with a provisional deadline
#: (``reports.queries.task_bounds``).
_UNCHECKED = text("checked_on IS NULL AND closed_dt IS NULL")
_PROVISIONAL = text("verification_provisional OR result_push_provisional")


def _due_indexes() -> list:
    """Partial indexes: the open tasks by verification due date, the checked by push date."""
    indexes = []
    for status, column in (("open", "verification_due_on"), ("checked", "result_push_due_on")):
        where = _status_is(status)
        indexes += [
            db.Index(f"ix_verification_tasks_{status}_due", column, "id",
                     postgresql_where=where, sqlite_where=where),
            db.Index(f"ix_verification_tasks_dept_{status}_due", "supervisory_department_id",
                     column, "id", postgresql_where=where, sqlite_where=where),
        ]
    return indexes


class VerificationTask(deadline_mixin("verification"), deadline_mixin("result_push"), db.Model):
    """The on-site check of one licence's commitment by its supervisory department.

    ``verification_*`` is the legal deadline of the check itself (60 / 7 / the item's shorter
    limit in working days after the decision); ``result_push_*`` the deadline by which the
    result must reach the approval department (5 working days after ``checked_on``, 工作方案
    三（三））. ``pushed_late`` is set when the push happened after that day, for the monthly
    report.
    """

    __tablename__ = "verification_tasks"
    __table_args__ = (
        db.Index("ix_verification_tasks_dept_status_due", "supervisory_department_id",
                 "status", "verification_due_on"),
        db.Index("ix_verification_tasks_approval_pushed", "approval_department_id",
                 "pushed_dt"),
        # The inbox reads each state group in due-date order from its own partial index
        # (``services.task_inbox``): per department, and across the city for the reform office.
        *_due_indexes(),
        # The inbox's item filter and list of items (one probe per item version).
        db.Index("ix_verification_tasks_item_version_dept", "item_version_id",
                 "supervisory_department_id"),
        # The states across the city (the reform office): the undated ones by id, the counts.
        db.Index("ix_verification_tasks_status_id", "status", "id"),
        # The monthly report's month in progress (``reports.queries.task_bounds``): the
        # tasks dated in the month, the unchecked and the provisional, not every task.
        db.Index("ix_verification_tasks_checked_dept", "checked_on",
                 "supervisory_department_id"),
        db.Index("ix_verification_tasks_pushed_dept", "pushed_dt", "supervisory_department_id"),
        db.Index("ix_verification_tasks_closed_dt", "closed_dt",
                 postgresql_where=text("closed_dt IS NOT NULL"),
                 sqlite_where=text("closed_dt IS NOT NULL")),
        db.Index("ix_verification_tasks_judicial_on", "judicial_transferred_on",
                 postgresql_where=text("judicial_transferred_on IS NOT NULL"),
                 sqlite_where=text("judicial_transferred_on IS NOT NULL")),
        db.Index("ix_verification_tasks_unchecked", "verification_due_on",
                 "supervisory_department_id",
                 postgresql_where=_UNCHECKED, sqlite_where=_UNCHECKED),
        db.Index("ix_verification_tasks_provisional", "supervisory_department_id",
                 postgresql_where=_PROVISIONAL, sqlite_where=_PROVISIONAL),
        # The count of unassigned active tasks, without visiting the assigned ones.
        db.Index("ix_verification_tasks_unassigned", "supervisory_department_id",
                 postgresql_where=_UNASSIGNED, sqlite_where=_UNASSIGNED),
        CheckConstraint(
            "(outcome IS NULL AND checked_on IS NULL AND checked_by_id IS NULL) OR "
            "(outcome IS NOT NULL AND checked_on IS NOT NULL AND checked_by_id IS NOT NULL)",
            name="result_complete",
        ),
        CheckConstraint(
            "(status = 'open' AND outcome IS NULL) OR status = 'revoked' OR "
            "(status NOT IN ('open', 'revoked') AND outcome IS NOT NULL)",
            name="result_matches_status",
        ),
        CheckConstraint("outcome IS NULL OR result_push_due_on IS NOT NULL",
                        name="result_has_push_deadline"),
        CheckConstraint("pushed_dt IS NOT NULL OR status IN ('open', 'checked', 'revoked')",
                        name="pushed_before_moving_on"),
        CheckConstraint("pushed_late = false OR pushed_dt IS NOT NULL", name="late_if_pushed"),
        CheckConstraint("outcome <> 'nonconform' OR (findings IS NOT NULL AND findings <> '')",
                        name="nonconform_has_findings"),
        CheckConstraint(
            "(judicial_transfer_ref IS NULL AND judicial_transferred_on IS NULL) OR "
            "(judicial_transfer_ref IS NOT NULL AND judicial_transferred_on IS NOT NULL)",
            name="judicial_transfer_complete",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id"), unique=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    supervisory_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    approval_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    item_version_id: Mapped[int] = mapped_column(ForeignKey("item_versions.id"))
    status: Mapped[TaskStatus] = mapped_column(_enum(TaskStatus), default=TaskStatus.open)
    #: Checks moved after the decision (site survey, expert review, inspection).
    moved_checks: Mapped[list] = mapped_column(JSON, default=list)
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # -- the result of the check
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome, 16))
    checked_on: Mapped[date | None] = mapped_column(Date)
    findings: Mapped[str | None] = mapped_column(Text)
    #: For a nonconform result: ``false_commitment`` (不实承诺) or ``breach`` (违反承诺), the
    #: classification the breach case carries (``licensing.enforcement.models.Finding``).
    finding: Mapped[str | None] = mapped_column(String(24))
    #: The item's checklist as answered, point by point:
    #: ``[{"item": "...", "verdict": "conform" | "nonconform" | "not_applicable" | None,
    #: "ok": true}, ...]`` (``ok``: answered 符合, kept for earlier readers).
    checklist: Mapped[list | None] = mapped_column(JSON)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    result_recorded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # -- the push of the result to the approval department
    pushed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pushed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    pushed_late: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # -- 移送司法机关 (a suspected crime)
    judicial_transfer_ref: Mapped[str | None] = mapped_column(String(100))
    judicial_transferred_on: Mapped[date | None] = mapped_column(Date)
    judicial_transfer_note: Mapped[str | None] = mapped_column(Text)
    closed_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_marked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    licence = relationship("Licence")
    application = relationship("Application")
    supervisory_department = relationship("Department",
                                          foreign_keys=[supervisory_department_id])
    approval_department = relationship("Department", foreign_keys=[approval_department_id])
    item_version = relationship("ItemVersion")
    assigned_to = relationship("User", foreign_keys=[assigned_to_id])
    checked_by = relationship("User", foreign_keys=[checked_by_id])
    pushed_by = relationship("User", foreign_keys=[pushed_by_id])
    rectification: Mapped[RectificationOrder | None] = relationship(back_populates="task")
    evidence: Mapped[list[TaskEvidence]] = relationship(back_populates="task",
                                                        order_by="TaskEvidence.id")

    @property
    def is_active(self) -> bool:
        """Return whether the supervisory department still has work on the task."""
        return self.status in ACTIVE_TASK_STATES

    @property
    def current_due_on(self) -> date | None:
        """Return the date the next act on the task is due, if one is (``due_date_of``)."""
        order = self.rectification if self.status == TaskStatus.rectifying else None
        return due_date_of(self.status, self.verification_due_on, self.result_push_due_on,
                           order.status if order is not None else None,
                           order.rectification_due_on if order is not None else None)

    def in_department(self, user) -> bool:
        """Return whether ``user`` belongs to the task's supervisory department."""
        return user.department_id == self.supervisory_department_id

    def can_assign(self, user) -> bool:
        """The head of the supervisory department assigns and reassigns its tasks."""
        return user.role == Role.head and self.in_department(user)

    def can_work(self, user) -> bool:
        """Record, push, order rectification: the assigned inspector, or the department head.

        An unassigned task may be taken by any inspector of the department (recording the
        result assigns it to them).
        """
        if not self.in_department(user):
            return False
        if user.role == Role.head:
            return True
        return user.role == Role.inspector and self.assigned_to_id in (None, user.id)

    def __repr__(self) -> str:
        return f"<VerificationTask {self.id} {self.status.value} due={self.verification_due_on}>"


class RectificationStatus(enum.StrEnum):
    """Where a rectification order (限期整改) stands."""

    ordered = "ordered"  # the order runs until its due date
    rectified = "rectified"  # 整改到位
    failed = "failed"  # 逾期不整改，或者整改后仍不符合条件

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"ordered": "整改中", "rectified": "已整改到位",
                "failed": "逾期未整改或整改后仍不符合条件"}[self.value]


def due_date_of(status: TaskStatus, verification_due_on: date | None,
                result_push_due_on: date | None, order_status: RectificationStatus | None,
                rectification_due_on: date | None) -> date | None:
    """The date the next act on a task is due, if one is: the one rule for it.

    Open: the verification's due date. Checked: the result push's. Rectifying: the
    rectification order's, while the order runs (``ordered``); the task leaves
    ``rectifying`` in the transaction that ends its order, so a rectifying task with an
    order no longer running is never committed, and it would have no due date. Any other
    state has none. ``VerificationTask.current_due_on`` and the inbox's rows read this; the
    same rule in SQL is ``licensing.supervision.services.dated_states`` (its ``CASE`` and
    the inbox's index-ordered groups), and ``tests/integration/test_read_paths.py`` holds
    the two equal in every state.
    """
    if status == TaskStatus.open:
        return verification_due_on
    if status == TaskStatus.checked:
        return result_push_due_on
    if status == TaskStatus.rectifying and order_status == RectificationStatus.ordered:
        return rectification_due_on
    return None


#: The rectification order's state machine: event -> (from states, to state).
RECTIFICATION_TRANSITIONS: dict[str, tuple[frozenset[RectificationStatus], RectificationStatus]] = {
    "rectified": (frozenset({RectificationStatus.ordered}), RectificationStatus.rectified),
    "not_rectified": (frozenset({RectificationStatus.ordered}), RectificationStatus.failed),
}


class RectificationOrder(deadline_mixin("rectification"), db.Model):
    """The order to put a breach right by a date (责令限期整改), one per task.

    ``rectification_*`` stores the due date as a legal deadline with rule ``rectification``:
    the working days from the order's date to the due date the inspector set, so a calendar
    change keeps the number of working days the applicant was given.
    """

    __tablename__ = "rectification_orders"
    __table_args__ = (
        CheckConstraint(
            "(status = 'ordered') = (outcome_recorded_dt IS NULL)",
            name="outcome_iff_not_ordered",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("verification_tasks.id", ondelete="RESTRICT"),
                                         unique=True)
    status: Mapped[RectificationStatus] = mapped_column(_enum(RectificationStatus),
                                                        default=RectificationStatus.ordered)
    requirements: Mapped[str] = mapped_column(Text, default="")
    ordered_on: Mapped[date] = mapped_column(Date)
    ordered_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ordered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    reinspected_on: Mapped[date | None] = mapped_column(Date)
    outcome_recorded_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    task: Mapped[VerificationTask] = relationship(back_populates="rectification")
    ordered_by = relationship("User", foreign_keys=[ordered_by_id])
    outcome_by = relationship("User", foreign_keys=[outcome_by_id])

    def __repr__(self) -> str:
        return (f"<RectificationOrder {self.id} task={self.task_id} {self.status.value} "
                f"due={self.rectification_due_on}>")


class TaskEvidence(db.Model):
    """A photo or PDF taken as evidence of a check, stored outside ``static/`` with its hash."""

    __tablename__ = "task_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("verification_tasks.id", ondelete="RESTRICT"),
                                         index=True)
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    original_name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(500), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    task: Mapped[VerificationTask] = relationship(back_populates="evidence")
    uploaded_by = relationship("User")

    def __repr__(self) -> str:
        return f"<TaskEvidence {self.id} task={self.task_id} {self.sha256[:12]}>"


register_deadline_model(
    VerificationTask, "verification",
    is_open=lambda: VerificationTask.status == TaskStatus.open,
    object_type="verification_task",
)
register_deadline_model(
    VerificationTask, "result_push",
    is_open=lambda: VerificationTask.status == TaskStatus.checked,
    object_type="verification_task",
)
register_deadline_model(
    RectificationOrder, "rectification",
    is_open=lambda: RectificationOrder.status == RectificationStatus.ordered,
    object_type="rectification",
)


class RoutineInspection(db.Model):
    """A routine inspection (日常监管检查) of one licence, drawn by the routine sample.

    The draw (``licensing.supervision.sampling``) picks licensees by credit risk level only;
    each valid licence of a drawn licensee under the department becomes one inspection in the
    inspectors' work. ``draw_seed`` is the seed recorded after the draw, with which the draw can
    be reproduced. A ``nonconform`` result sends ``signals.inspection_found_breach`` (origin
    ``routine_inspection``), the path on which a breach case is opened.
    """

    __tablename__ = "routine_inspections"
    __table_args__ = (
        CheckConstraint(
            "(outcome IS NULL AND checked_on IS NULL AND checked_by_id IS NULL) OR "
            "(outcome IS NOT NULL AND checked_on IS NOT NULL AND checked_by_id IS NOT NULL)",
            name="result_complete"),
        CheckConstraint("outcome <> 'nonconform' OR (findings IS NOT NULL AND findings <> '')",
                        name="nonconform_has_findings"),
        CheckConstraint("(outcome = 'nonconform' AND finding IN ('false_commitment', 'breach'))"
                        " OR ((outcome IS NULL OR outcome <> 'nonconform') AND finding IS NULL)",
                        name="nonconform_is_classified"),
        db.Index("ix_routine_inspections_dept_open", "supervisory_department_id", "checked_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    draw_seed: Mapped[str] = mapped_column(String(64))
    drawn_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    licence_id: Mapped[int] = mapped_column(ForeignKey("licences.id"), index=True)
    applicant_id: Mapped[int] = mapped_column(ForeignKey("applicants.id"))
    supervisory_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    #: The credit risk level the licensee was drawn at (the only input of the draw).
    risk_level: Mapped[str] = mapped_column(String(1))
    outcome: Mapped[Outcome | None] = mapped_column(_enum(Outcome, 16))
    checked_on: Mapped[date | None] = mapped_column(Date)
    findings: Mapped[str | None] = mapped_column(Text)
    #: For a nonconform result, the inspector's classification: ``false_commitment`` (不实承诺)
    #: or ``breach`` (违反承诺); the breach case opened by the result carries it.
    finding: Mapped[str | None] = mapped_column(String(24))
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    licence = relationship("Licence")
    supervisory_department = relationship("Department")

    def __repr__(self) -> str:
        return f"<RoutineInspection {self.id} licence={self.licence_id}>"
