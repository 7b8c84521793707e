"""The scheduler process: APScheduler for the timing, the database for who runs.

``flask --app wsgi scheduler run`` starts a ``SchedulerService`` in its own process (web
workers never do). In the single-process mode of ``make run`` (``LICENSING_EMBEDDED_SCHEDULER=1``)
``start_embedded(app)`` starts the same service in a background thread of that one process.

Every runner fires the jobs on its triggers, but only the leader executes them (see
``licensing.jobs.leadership``); a heartbeat renews or takes the leadership every few seconds.
On becoming leader (at start-up or on taking over from a dead one) the runner runs every job
once at once: the catch-up run. As the jobs select their work by state and date, that run
handles whatever fell due while no scheduler ran, and does nothing twice.

APScheduler keeps its job store in memory: its FAQ warns that one job store cannot be
shared by several schedulers, and nothing needs persisting since the work is in the database.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import click
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from licensing.clock import LOCAL_TZ
from licensing.extensions import db
from licensing.jobs.execution import run_job
from licensing.jobs.leadership import (
    DEFAULT_LEASE_TTL,
    Leadership,
    leadership_for,
    new_runner_id,
)
from licensing.jobs.registry import Job, load_jobs

log = logging.getLogger("licensing.jobs.runner")


def _firing_now() -> datetime:
    """Return the machine's real time, the time APScheduler fires triggers by.

    APScheduler compares run times with the real clock, so "run now" must be given in real
    time; the jobs themselves read the legal time from ``licensing.clock`` when they run.
    """
    return datetime.now(LOCAL_TZ)


HEARTBEAT = timedelta(seconds=5)
_HEARTBEAT_JOB = "_leadership_heartbeat"


class SchedulerService:
    """One scheduler runner: the triggers of every job, gated by the leadership."""

    def __init__(self, app: Flask, *, runner_id: str | None = None,
                 leadership: Leadership | None = None, jobs: Iterable[Job] | None = None,
                 heartbeat: timedelta = HEARTBEAT, lease_ttl: timedelta = DEFAULT_LEASE_TTL,
                 max_workers: int = 4) -> None:
        self.app = app
        self.runner_id = runner_id or new_runner_id()
        with app.app_context():
            self.jobs = {j.name: j for j in (jobs if jobs is not None else
                                             load_jobs().values())}
            self.leadership = leadership or leadership_for(db.engine, self.runner_id,
                                                           ttl=lease_ttl)
        self.heartbeat = heartbeat
        self.is_leader = False
        self.became_leader = threading.Event()
        self._stopped = threading.Event()
        self._running = 0  # heartbeats and jobs under way (``_counted``)
        self._idle = threading.Condition()
        self._scheduler = BackgroundScheduler(
            timezone=LOCAL_TZ,
            # The heartbeat has a thread of its own: long jobs never delay the renewal.
            executors={"default": ThreadPoolExecutor(max_workers),
                       "heartbeat": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )

    # -- life cycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the heartbeat and the triggers (in background threads); return at once."""
        # APScheduler logs every execution at INFO: every 10 s for the audit sealing.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        scheduler = self._scheduler
        scheduler.add_job(self._heartbeat, "interval", id=_HEARTBEAT_JOB, executor="heartbeat",
                          seconds=self.heartbeat.total_seconds(),
                          next_run_time=_firing_now())
        for job in self.jobs.values():
            scheduler.add_job(self.execute, job.trigger.build(), id=job.name, args=(job.name,),
                              name=job.label)
        scheduler.start()
        log.info("scheduler %s started (%s, %d jobs); standing by until it leads",
                 self.runner_id, self.leadership.mechanism, len(self.jobs))

    def shutdown(self, wait: bool = True) -> None:
        """Stop firing, wait for running jobs, and give the leadership up."""
        if self._stopped.is_set():
            return
        self._stopped.set()
        try:
            if self._scheduler.running:
                # Never APScheduler's own wait: its shutdown waits for the running jobs while
                # holding the lock of its job store, which a heartbeat taking the leadership
                # at that moment needs for the catch-up (``modify_job``): both would wait for
                # ever. Its threads finish what they run; this waits for them without a lock.
                self._scheduler.shutdown(wait=False)
            if wait:
                with self._idle:
                    self._idle.wait_for(lambda: self._running == 0)
        finally:
            with self.app.app_context():
                self.leadership.release()
            self.is_leader = False
            log.info("scheduler %s stopped", self.runner_id)

    # -- leadership ---------------------------------------------------------------------------

    @contextmanager
    def _counted(self) -> Iterator[bool]:
        """Count a heartbeat or a job as under way; yield whether it may still run.

        Counted before ``_stopped`` is read: ``shutdown`` either waits for it or it sees the
        service stopped and does nothing.
        """
        with self._idle:
            self._running += 1
        try:
            yield not self._stopped.is_set()
        finally:
            with self._idle:
                self._running -= 1
                self._idle.notify_all()

    def _heartbeat(self) -> None:
        with self._counted() as may_run:
            if may_run:
                self._beat()

    def _beat(self) -> None:
        with self.app.app_context():
            leads = self.leadership.try_acquire()
        if leads and not self.is_leader:
            self.is_leader = True
            log.info("scheduler %s now leads (%s): catch-up run of every job",
                     self.runner_id, self.leadership.mechanism)
            self._catch_up()
            self.became_leader.set()
        elif not leads and self.is_leader:
            self.is_leader = False
            self.became_leader.clear()
            log.warning("scheduler %s lost the leadership; standing by", self.runner_id)

    def _catch_up(self) -> None:
        now = _firing_now()
        for job in self.jobs.values():
            if job.catch_up:
                self._scheduler.modify_job(job.name, next_run_time=now)

    # -- running ------------------------------------------------------------------------------

    def execute(self, job_name: str) -> None:
        """Run one job if this runner leads (called by the triggers)."""
        with self._counted() as may_run:
            if may_run and self.is_leader:
                self._execute(job_name)

    def _execute(self, job_name: str) -> None:
        job = self.jobs[job_name]
        with self.app.app_context():
            if not self.leadership.confirm():
                self.is_leader = False
                log.warning("scheduler %s: leadership not confirmed; %s not run",
                            self.runner_id, job_name)
                return
            try:
                run_job(job, runner_id=self.runner_id)
            except Exception:
                log.exception("job %s could not be recorded", job_name)

    def wait(self) -> None:
        """Block until ``shutdown`` (or a signal handler calling it)."""
        self._stopped.wait()


# -- the embedded mode --------------------------------------------------------------------

_embedded: SchedulerService | None = None
_embedded_lock = threading.Lock()


def should_start_embedded(app: Flask) -> bool:
    """Tell whether this process is the one that should run the embedded scheduler.

    Never in tests; never in a ``flask`` command other than ``run``; under ``flask run`` with
    the reloader, only in the child process that serves (not in the watching parent).
    """
    if app.testing or app.config["SETTINGS"].testing:
        return False
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        ctx = click.get_current_context(silent=True)
        if ctx is None or ctx.command.name != "run":
            return False
        reload = ctx.params.get("reload")
        if reload is None:
            from flask.helpers import get_debug_flag

            reload = get_debug_flag()
        if reload and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
            return False
    return True


def start_embedded(app: Flask) -> SchedulerService | None:
    """Run the scheduler in a background thread of this process (the ``make run`` mode).

    At most one per process, whatever the number of ``create_app`` calls; the leadership
    still applies, so several processes started this way run each job once between them.
    """
    global _embedded
    if not should_start_embedded(app):
        return None
    with _embedded_lock:
        if _embedded is not None:
            return _embedded
        service = SchedulerService(app, runner_id=new_runner_id("embedded"), heartbeat=HEARTBEAT)
        service.start()
        atexit.register(service.shutdown, False)
        _embedded = service
    return service
