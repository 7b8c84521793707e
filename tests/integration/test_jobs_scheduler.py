"""One active scheduler: leases, advisory locks, standby take-over, the embedded mode.

The in-process tests run two ``SchedulerService`` instances in threads against the same
database (lease on SQLite, advisory lock on PostgreSQL); the process tests run two real
``flask scheduler run`` processes and kill the leader with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click
import pytest
import sqlalchemy as sa

from licensing import clock
from licensing.extensions import db
from licensing.jobs import runner as runner_module
from licensing.jobs.leadership import (
    SCHEDULER_LEASE,
    AdvisoryLockLeadership,
    LeaseLeadership,
    acquire_lease,
    current_leader,
)
from licensing.jobs.models import JobRun
from licensing.jobs.registry import Every, Job, every, load_jobs
from licensing.jobs.runner import SchedulerService, should_start_embedded, start_embedded
from tests.conftest import make_settings

ROOT = Path(__file__).resolve().parents[2]
FAST = {"heartbeat": timedelta(seconds=0.2), "lease_ttl": timedelta(seconds=6)}


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {predicate}")


def job_runs() -> list[tuple[str, str]]:
    """(job name, runner id) of every recorded run, read on a fresh connection."""
    with db.engine.connect() as conn:
        rows = conn.execute(sa.select(JobRun.job_name, JobRun.runner_id).order_by(JobRun.id))
        return [tuple(r) for r in rows]


def make_jobs():
    calls: list[str] = []

    def make(name):
        def fn(now):
            calls.append(name)
            return 1

        fn.__qualname__ = f"test_{name}"
        return Job(name, fn, every(hours=1), label=name)

    return [make("test_job_a"), make("test_job_b"), make("test_job_c")], calls


# -- the lease (SQLite's leadership; on both databases) -----------------------------------


def test_lease_has_one_holder_and_expires(app):
    t0 = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    a = LeaseLeadership(db.engine, "runner-a", ttl=timedelta(seconds=30))
    b = LeaseLeadership(db.engine, "runner-b", ttl=timedelta(seconds=30))
    with clock.freeze(t0):
        assert a.try_acquire() and a.confirm()
        assert not b.try_acquire() and not b.confirm()
    with clock.freeze(t0 + timedelta(seconds=20)):
        assert a.try_acquire()  # renewed until t0 + 50 s
        assert not b.try_acquire()
    with clock.freeze(t0 + timedelta(seconds=45)):
        assert not b.try_acquire()
    # a dies silently: nobody renews; after the lease runs out b takes over
    with clock.freeze(t0 + timedelta(seconds=51)):
        assert not a.confirm()  # a no longer trusts its own lease either
        assert b.try_acquire() and b.confirm()
        assert not a.try_acquire()
        with db.engine.connect() as conn:
            assert current_leader(conn).holder_id == "runner-b"
        b.release()
        assert a.try_acquire()  # released: taken at once, no wait for expiry
        a.release()


def test_lease_race_has_one_winner(app):
    barrier = threading.Barrier(8)
    winners = []
    engine = db.engine

    def contend(i):
        lease = LeaseLeadership(engine, f"runner-{i}", ttl=timedelta(seconds=30))
        barrier.wait()
        if lease.try_acquire():
            winners.append(i)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


# -- two schedulers at once (threads) -----------------------------------------------------


def _two_services(app, jobs):
    services = [SchedulerService(app, runner_id=f"runner-{name}", jobs=jobs, **FAST)
                for name in "ab"]
    barrier = threading.Barrier(2)

    def start(service):
        barrier.wait()
        service.start()

    threads = [threading.Thread(target=start, args=(s,)) for s in services]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return services


def test_two_schedulers_at_once_run_each_job_once(app, backend):
    jobs, calls = make_jobs()
    a, b = _two_services(app, jobs)
    try:
        wait_for(lambda: len(job_runs()) >= 3)
        time.sleep(1.5)  # several heartbeats of both: nothing else may run
        assert [a.is_leader, b.is_leader].count(True) == 1
        leader, standby = (a, b) if a.is_leader else (b, a)
        assert Counter(job_runs()) == Counter(
            {(j.name, leader.runner_id): 1 for j in jobs})
        assert sorted(calls) == ["test_job_a", "test_job_b", "test_job_c"]
        expected = "advisory_lock" if backend == "postgresql" else "lease"
        assert leader.leadership.mechanism == expected

        standby.execute("test_job_a")  # a trigger firing on the standby does nothing
        assert len(job_runs()) == 3

        leader.shutdown()  # gives the leadership up: the standby takes over at once
        wait_for(lambda: standby.is_leader, timeout=5)
        wait_for(lambda: len(job_runs()) >= 6)  # its catch-up run
        time.sleep(0.5)
        runs = Counter(job_runs())
        assert runs == Counter({**{(j.name, leader.runner_id): 1 for j in jobs},
                                **{(j.name, standby.runner_id): 1 for j in jobs}})
    finally:
        a.shutdown()
        b.shutdown()


@pytest.mark.postgres_only
def test_leader_whose_connection_dies_is_replaced(app, backend):
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    jobs, _ = make_jobs()
    a, b = _two_services(app, jobs)
    try:
        wait_for(lambda: a.is_leader or b.is_leader)
        leader, standby = (a, b) if a.is_leader else (b, a)
        wait_for(lambda: len(job_runs()) >= 3)
        with db.engine.connect() as conn:
            holder = conn.execute(sa.text(
                "SELECT application_name FROM pg_stat_activity a JOIN pg_locks l "
                "ON l.pid = a.pid WHERE l.locktype = 'advisory' AND l.granted "
                "AND a.datname = current_database()")).scalar()
            assert holder.endswith(leader.runner_id)
            # As a crash, a network cut or a database restart would: the session ends.
            conn.execute(sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()"),
                {"name": holder})
            conn.commit()
        wait_for(lambda: standby.is_leader, timeout=10)
        wait_for(lambda: not leader.is_leader, timeout=10)
        wait_for(lambda: len(job_runs()) >= 6)
        assert not leader.leadership.confirm()
        leader.execute("test_job_a")  # the old leader runs nothing any more
        time.sleep(0.5)
        runners = Counter(runner for _, runner in job_runs())
        assert runners == Counter({leader.runner_id: 3, standby.runner_id: 3})
        with db.engine.connect() as conn:
            info = current_leader(conn)
        assert info.active and info.lock_holder.endswith(standby.runner_id)
    finally:
        a.shutdown()
        b.shutdown()


@pytest.mark.postgres_only
def test_advisory_lock_is_exclusive_per_database(app, backend):
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    a = AdvisoryLockLeadership(db.engine, "runner-a")
    b = AdvisoryLockLeadership(db.engine, "runner-b")
    try:
        assert a.try_acquire() and a.confirm()
        assert not b.try_acquire()
        assert a.try_acquire()  # renewing is idempotent
        a.release()
        assert b.try_acquire()
    finally:
        a.release()
        b.release()


class _LeadsOnceStopping:
    """A leadership granted only while the service is shutting down, as a heartbeat racing a
    shutdown would see it: the catch-up it then starts needs APScheduler's job store."""

    mechanism = "test"

    def __init__(self) -> None:
        self.runner_id = "runner-late"
        self.service: SchedulerService | None = None
        self.asked = threading.Event()

    def try_acquire(self) -> bool:
        self.asked.set()
        wait_for(lambda: self.service._stopped.is_set(), timeout=10)
        time.sleep(0.3)  # the shutdown is under way, past its own checks
        return True

    def confirm(self) -> bool:
        return True

    def release(self) -> None:
        pass


def test_shutdown_while_a_heartbeat_takes_the_leadership_returns(app):
    jobs, _ = make_jobs()
    leadership = _LeadsOnceStopping()
    service = SchedulerService(app, jobs=jobs, leadership=leadership, **FAST)
    leadership.service = service
    service.start()
    assert leadership.asked.wait(10)
    stopper = threading.Thread(target=service.shutdown, daemon=True)
    stopper.start()
    stopper.join(timeout=15)
    # APScheduler's shutdown(wait=True) held its job store's lock while it waited for the
    # heartbeat, whose catch-up (modify_job) waited for that lock: neither ever returned.
    assert not stopper.is_alive(), "shutdown hung on the heartbeat's catch-up"
    assert not service.is_leader


# -- two real processes ---------------------------------------------------------------------


def _scheduler_process(database_url: str, tmp_path: Path, n: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "LICENSING_INSTANCE_DIR": str(tmp_path),
        "SECRET_KEY": "test-secret-key-" + "x" * 32,
        "LICENSING_ENV": "development",
        "PYTHONPATH": str(ROOT),
        "LICENSING_TEST_NOW": clock.utcnow().isoformat(),
    }
    env.pop("LICENSING_EMBEDDED_SCHEDULER", None)
    log = (tmp_path / f"scheduler-{n}.log").open("wb")  # a pipe nobody reads could fill up
    # On SQLite the standby takes over once the killed leader's lease has run out: the
    # lease's length is what the take-over waits (the in-process tests' FAST lease too).
    return subprocess.Popen(
        [sys.executable, "-m", "tests.clocked", "--app", "wsgi", "scheduler", "run",
         "--heartbeat", "0.3", "--lease-ttl", str(FAST["lease_ttl"].total_seconds())],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )


@pytest.mark.slow
def test_two_scheduler_processes_one_leader_and_takeover_after_kill(app, database_url,
                                                                     tmp_path):
    processes = [_scheduler_process(database_url, tmp_path, n) for n in range(2)]
    try:
        job_names = set(load_jobs())
        wait_for(lambda: {name for name, _ in job_runs()} >= job_names, timeout=60)
        time.sleep(1.0)
        runners = {runner for _, runner in job_runs()}
        assert len(runners) == 1, runners
        (leader_id,) = runners
        leader_pid = int(leader_id.split(":")[2])
        by_pid = {p.pid: p for p in processes}
        assert set(by_pid) >= {leader_pid}
        slow_jobs = [j.name for j in load_jobs().values()  # not due again within the test
                     if not (isinstance(j.trigger, Every)
                             and j.trigger.interval < timedelta(minutes=1))]
        counts = Counter(name for name, _ in job_runs())
        assert all(counts[name] == 1 for name in slow_jobs), counts

        by_pid[leader_pid].send_signal(signal.SIGKILL)  # no clean-up at all
        by_pid[leader_pid].wait(timeout=10)

        def taken_over():
            return {runner for _, runner in job_runs()} - {leader_id}

        new = wait_for(taken_over, timeout=30)
        assert len(new) == 1
        wait_for(lambda: {n for n, r in job_runs() if r in new} >= job_names, timeout=30)
        standby = next(p for p in processes if p.pid != leader_pid)
        standby.send_signal(signal.SIGTERM)
        assert standby.wait(timeout=20) == 0
        with db.engine.connect() as conn:
            assert not current_leader(conn).active  # released on the way out
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


# -- the embedded mode (make run) ---------------------------------------------------------


def test_embedded_scheduler_never_starts_in_tests(app):
    assert not should_start_embedded(app)
    assert start_embedded(app) is None


def test_embedded_guard_follows_the_flask_command(database_url, tmp_path, monkeypatch):
    from licensing import create_app

    live = create_app(make_settings(database_url, tmp_path, testing=False))
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    assert should_start_embedded(live)  # a WSGI server (gunicorn): yes
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    assert not should_start_embedded(live)  # no command context: not `flask run`

    def under(command_name, **params):
        command = click.Command(command_name)
        with click.Context(command) as ctx:
            ctx.params.update(params)
            return should_start_embedded(live)

    assert not under("db")  # flask db upgrade, flask scheduler run...
    assert not under("scheduler")
    assert under("run", reload=False)
    assert not under("run", reload=True)  # the reloader's watching parent
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    assert under("run", reload=True)  # the reloader's serving child


def test_embedded_scheduler_runs_the_jobs_once_per_process(app, database_url, tmp_path,
                                                           monkeypatch):
    from licensing import create_app

    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.setattr(runner_module, "HEARTBEAT", timedelta(seconds=0.2))
    live = create_app(make_settings(database_url, tmp_path, testing=False))
    runner_module._embedded = None
    service = start_embedded(live)
    try:
        assert service is not None and start_embedded(live) is service
        wait_for(lambda: service.is_leader, timeout=10)
        wait_for(lambda: {name for name, _ in job_runs()} >= set(load_jobs()), timeout=30)
        assert {runner for _, runner in job_runs()} == {service.runner_id}
        assert service.runner_id.startswith("embedded:")
    finally:
        service.shutdown()
        runner_module._embedded = None  # not monkeypatch: it would restore the stopped one
    with db.engine.connect() as conn:
        info = current_leader(conn)
    assert not info.active


def test_status_names_the_leader(app, runner):
    with db.engine.connect() as conn:
        acquire_lease(conn, SCHEDULER_LEASE, "scheduler:host:1:abc", timedelta(seconds=30))
    output = runner.invoke(args=["scheduler", "status"]).output
    if db.engine.dialect.name == "postgresql":
        assert "无（没有调度进程持有锁）" in output  # the row alone proves nothing there
    else:
        assert "leader: scheduler:host:1:abc" in output and "active" in output
