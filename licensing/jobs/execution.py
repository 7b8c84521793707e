"""Running one job once: its lease, its ``JobRun`` row, its commit or rollback."""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy.exc import StatementError

from licensing.clock import utcnow
from licensing.errors import DomainError
from licensing.extensions import db
from licensing.jobs.leadership import acquire_lease, new_runner_id, release_lease
from licensing.jobs.models import JobRun, RunStatus
from licensing.jobs.registry import Job

log = logging.getLogger("licensing.jobs")

MAX_ERROR_CHARS = 2000


def error_text(exc: BaseException) -> str:
    """Describe an error for the run log without the SQL parameters (they may hold names)."""
    if isinstance(exc, StatementError) and exc.orig is not None:
        exc = exc.orig
    text = f"{type(exc).__name__}: {exc}".strip()
    return text[:MAX_ERROR_CHARS]


def run_job(job: Job, *, now: datetime | None = None,
            runner_id: str | None = None) -> JobRun | None:
    """Run ``job`` once for ``now`` (default: the current time) and record the run.

    Returns the finished ``JobRun``, or ``None`` when another runner is running the same job
    (its lease ``job:<name>`` is held). A failing job is rolled back to its last per-item
    commit, its error recorded, and not raised: the other jobs go on. Needs an app context.
    """
    now = now or utcnow()
    runner_id = runner_id or new_runner_id("run-once")
    lease_name = f"job:{job.name}"
    with db.engine.connect() as conn:
        ttl = job.max_runtime + timedelta(minutes=1)
        if acquire_lease(conn, lease_name, runner_id, ttl) is None:
            log.info("job %s is running elsewhere; skipped by %s", job.name, runner_id)
            return None
    try:
        run = JobRun(job_name=job.name, runner_id=runner_id, status=RunStatus.running,
                     started_dt=now)
        db.session.add(run)
        db.session.commit()
        run_id = run.id
        started = time.perf_counter()
        items, error = 0, None
        try:
            items = job(now)
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            error = error_text(exc)
            items = getattr(exc, "handled", 0)  # ItemsFailed: the others were committed
            if isinstance(exc, DomainError):  # a known state (calendar not loaded...): no trace
                log.error("job %s failed: %s", job.name, error)
            else:
                log.exception("job %s failed", job.name)
        duration = time.perf_counter() - started
        run = db.session.get(JobRun, run_id)
        run.status = RunStatus.failed if error else RunStatus.succeeded
        run.items_handled = items
        run.error = error
        run.duration_s = round(duration, 4)
        run.finished_dt = now + timedelta(seconds=duration)
        db.session.commit()
        if items or error:
            log.info("job %s: %s items in %.3f s%s", job.name, items, duration,
                     " (failed)" if error else "")
        return run
    finally:
        with db.engine.connect() as conn:
            release_lease(conn, lease_name, runner_id)
