"""``flask --app wsgi scheduler run | status | run-once [JOB...]``."""

from __future__ import annotations

import signal
import sys
from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from licensing.clock import LOCAL_TZ
from licensing.jobs.execution import run_job
from licensing.jobs.leadership import new_runner_id
from licensing.jobs.registry import get_job, load_jobs
from licensing.jobs.runner import SchedulerService
from licensing.jobs.status import job_statuses, leader

group = AppGroup("scheduler", help="The scheduler: deadline sweeps, reminders, deliveries.")


def _local(instant) -> str:
    return instant.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S") if instant else "-"


@group.command("run")
@click.option("--heartbeat", default=5.0, show_default=True,
              help="Seconds between leadership renewals.")
@click.option("--lease-ttl", default=30.0, show_default=True,
              help="SQLite: seconds after which a silent leader's lease may be taken over.")
def run_command(heartbeat: float, lease_ttl: float):
    """Run the scheduler in this process until stopped (SIGTERM or Ctrl-C).

    Start one per installation; a second one stands by and takes over if the first dies.
    """
    service = SchedulerService(current_app._get_current_object(),
                               heartbeat=timedelta(seconds=heartbeat),
                               lease_ttl=timedelta(seconds=lease_ttl))

    def stop(signum, frame):
        click.echo(f"scheduler {service.runner_id}: stopping (signal {signum})")
        service.shutdown()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    service.start()
    click.echo(f"scheduler {service.runner_id}: started with {len(service.jobs)} jobs "
               f"({service.leadership.mechanism}); it runs them while it leads")
    service.wait()


@group.command("status")
def status_command():
    """Print the leader and each job's last run, duration, items handled and errors."""
    info = leader()
    if info.mechanism == "advisory_lock":
        holder = info.lock_holder or "无（没有调度进程持有锁）"
        click.echo(f"leader: {holder}  [PostgreSQL advisory lock]")
    else:
        state = "active" if info.active else "expired"
        click.echo(f"leader: {info.holder_id or '-'}  [SQLite lease, {state}, "
                   f"until {_local(info.expires_dt)}]")
    click.echo(f"last heartbeat: {_local(info.heartbeat_dt)}")
    header = (f"{'job':<28} {'schedule':<22} {'last run':<19} {'status':<9} "
              f"{'duration_s':>10} {'items':>7} {'runs_24h':>8} {'fail_24h':>8}  error")
    click.echo(header)
    for status in job_statuses():
        run = status.last_run
        duration = f"{run.duration_s:.3f}" if run and run.duration_s is not None else "-"
        items = str(run.items_handled) if run and run.items_handled is not None else "-"
        error = (run.error or "").splitlines()[0][:80] if run and run.error else ""
        click.echo(
            f"{status.job.name:<28} {_schedule(status.job):<22} "
            f"{_local(run.started_dt) if run else 'never':<19} "
            f"{run.status.value if run else '-':<9} {duration:>10} {items:>7} "
            f"{status.runs_24h:>8} {status.failures_24h:>8}  {error}"
        )


def _schedule(job) -> str:
    trigger = job.trigger
    if hasattr(trigger, "interval"):
        seconds = int(trigger.interval.total_seconds())
        for unit, size in (("h", 3600), ("min", 60)):
            if seconds % size == 0:
                return f"every:{seconds // size}{unit}"
        return f"every:{seconds}s"
    return "cron:" + ",".join(f"{k}={v}" for k, v in trigger.fields)


@group.command("run-once")
@click.argument("job_names", nargs=-1, metavar="[JOB]...")
def run_once_command(job_names: tuple[str, ...]):
    """Run the named jobs (default: all) once now, in this process; exit 1 if one failed.

    For operators and tests. A job the scheduler is running at this moment is skipped.
    """
    try:
        jobs = [get_job(name) for name in job_names] if job_names else list(load_jobs().values())
    except KeyError as exc:
        click.echo(f"错误：{exc.args[0]}", err=True)
        sys.exit(2)
    runner_id = new_runner_id("run-once")
    failed = False
    for job in jobs:
        run = run_job(job, runner_id=runner_id)
        if run is None:
            click.echo(f"{job.name}: skipped (running elsewhere)")
            continue
        click.echo(f"{job.name}: {run.status.value}, {run.items_handled} items, "
                   f"{run.duration_s:.3f} s" + (f" — {run.error}" if run.error else ""))
        failed = failed or run.error is not None
    sys.exit(1 if failed else 0)
