"""What operators see: each job's last run and who leads (ops page, ``scheduler status``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select

from licensing.clock import utcnow
from licensing.extensions import db
from licensing.jobs.leadership import LeaderInfo, current_leader
from licensing.jobs.models import JobRun, RunStatus
from licensing.jobs.registry import Job, load_jobs


@dataclass(frozen=True)
class JobStatus:
    """One job as operators see it."""

    job: Job
    last_run: JobRun | None
    last_failure: JobRun | None
    runs_24h: int
    failures_24h: int

    @property
    def healthy(self) -> bool:
        """Return whether the last run did not fail."""
        return self.last_run is None or self.last_run.status != RunStatus.failed


def job_statuses(now: datetime | None = None) -> list[JobStatus]:
    """Return the status of every registered job, in registration order."""
    now = now or utcnow()
    since = now - timedelta(hours=24)
    counts = {
        (name, status): n
        for name, status, n in db.session.execute(
            select(JobRun.job_name, JobRun.status, func.count(JobRun.id))
            .where(JobRun.started_dt >= since)
            .group_by(JobRun.job_name, JobRun.status)
        )
    }
    statuses = []
    for job in load_jobs().values():
        last = db.session.scalars(
            select(JobRun).where(JobRun.job_name == job.name)
            .order_by(JobRun.started_dt.desc(), JobRun.id.desc()).limit(1)
        ).first()
        last_failure = db.session.scalars(
            select(JobRun).where(JobRun.job_name == job.name,
                                 JobRun.status == RunStatus.failed)
            .order_by(JobRun.started_dt.desc(), JobRun.id.desc()).limit(1)
        ).first()
        runs = sum(n for (name, _), n in counts.items() if name == job.name)
        statuses.append(JobStatus(job, last, last_failure, runs,
                                  counts.get((job.name, RunStatus.failed), 0)))
    return statuses


def leader() -> LeaderInfo:
    """Return who leads the scheduler, as recorded in the database."""
    with db.engine.connect() as conn:
        return current_leader(conn)


def prune_runs(before: datetime, batch_size: int = 5000) -> int:
    """Delete the run records started before ``before``, but keep each job's latest run."""
    keep = select(func.max(JobRun.id)).group_by(JobRun.job_name)
    removed = 0
    while True:
        ids = db.session.scalars(
            select(JobRun.id).where(JobRun.started_dt < before, JobRun.id.not_in(keep))
            .limit(batch_size)
        ).all()
        if not ids:
            return removed
        db.session.execute(delete(JobRun).where(JobRun.id.in_(ids)))
        db.session.commit()
        removed += len(ids)
