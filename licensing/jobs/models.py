"""What the scheduler records: each job run, the leases that elect one runner, done-markers.

``scheduler_lease`` holds named leases. The lease ``scheduler`` elects the active scheduler on
SQLite (on PostgreSQL the advisory lock does, and the row only shows who holds it); the leases
``job:<name>`` keep two runners (the scheduler and ``scheduler run-once``) from running the
same job at the same moment. ``job_markers`` records once-per-period events (the monthly
report draft of a month) so that a job repeated after downtime does not repeat them.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

import licensing.notifications.models  # noqa: F401 - the jobs write notifications: same schema
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime


class RunStatus(enum.StrEnum):
    """The state of one job run."""

    running = "running"
    succeeded = "succeeded"
    failed = "failed"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"running": "运行中", "succeeded": "成功", "failed": "失败"}[self.value]


class JobRun(db.Model):
    """One run of one job: who ran it, when, how long, how many items, and any error."""

    __tablename__ = "job_runs"
    __table_args__ = (
        Index("ix_job_runs_job_started", "job_name", "started_dt"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(64))
    runner_id: Mapped[str] = mapped_column(String(100))
    status: Mapped[RunStatus] = mapped_column(
        Enum(RunStatus, native_enum=False, length=12, validate_strings=True),
        default=RunStatus.running,
    )
    # ``now`` as given to the job: the time it selected its work for (a fixed clock in tests).
    started_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    finished_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    duration_s: Mapped[float | None] = mapped_column(Float)
    items_handled: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<JobRun {self.id} {self.job_name} {self.status.value} by {self.runner_id}>"


class SchedulerLease(db.Model):
    """A named lease: held by ``holder_id`` until ``expires_dt`` unless renewed."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder_id: Mapped[str | None] = mapped_column(String(100))
    acquired_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<SchedulerLease {self.name} holder={self.holder_id} until={self.expires_dt}>"


class JobMarker(db.Model):
    """An event a job must do once per key (``monthly_report_draft:2026-11``), done."""

    __tablename__ = "job_markers"

    key: Mapped[str] = mapped_column(String(150), primary_key=True)
    job_name: Mapped[str] = mapped_column(String(64))
    done_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str | None] = mapped_column(String(500))

    def __repr__(self) -> str:
        return f"<JobMarker {self.key}>"
