"""The job registry: plain functions, a name, a trigger. Any domain can add its own.

A job is a function ``fn(now) -> int``: ``now`` is an aware UTC datetime (the scheduler passes
the current time, tests a fixed one); it selects its work from the database by state and date
(``due_on < today``...), commits per item, and returns how many items it handled. Running it
twice, or after days of downtime, must do no harm and miss nothing: write the assumption that
makes it idempotent in its docstring. Register it with ``@job``::

    from licensing.jobs.registry import every, job

    @job("supplement_overdue", every(minutes=15), label="补正材料逾期处理")
    def supplement_overdue(now: datetime) -> int:
        \"\"\"Open a revocation case for each supplement past its due date (once: ...).\"\"\"

The scheduler imports ``licensing.jobs.builtin`` and every
``licensing.<domain>.jobs`` module that exists (like views and commands, no central list).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from licensing.clock import LOCAL_TZ

JobFunction = Callable[[datetime], int | None]


@dataclass(frozen=True)
class Every:
    """Run at a fixed interval."""

    interval: timedelta

    def build(self) -> BaseTrigger:
        """Return the APScheduler trigger."""
        return IntervalTrigger(seconds=self.interval.total_seconds(), timezone=LOCAL_TZ)

    def describe(self) -> str:
        """Return the schedule in Chinese."""
        seconds = int(self.interval.total_seconds())
        if seconds % 3600 == 0:
            return f"每 {seconds // 3600} 小时"
        if seconds % 60 == 0:
            return f"每 {seconds // 60} 分钟"
        return f"每 {seconds} 秒"


@dataclass(frozen=True)
class Cron:
    """Run at calendar times, China Standard Time (``Cron(hour="7", minute="5")``)."""

    fields: tuple[tuple[str, str], ...]

    def build(self) -> BaseTrigger:
        """Return the APScheduler trigger."""
        return CronTrigger(timezone=LOCAL_TZ, **dict(self.fields))

    def describe(self) -> str:
        """Return the schedule in Chinese (local time)."""
        fields = dict(self.fields)
        if set(fields) == {"minute"} and fields["minute"].isdigit():
            return f"每小时第 {fields['minute']} 分"
        if set(fields) == {"hour", "minute"} and all(v.isdigit() for v in fields.values()):
            return f"每天 {int(fields['hour']):02d}:{int(fields['minute']):02d}（北京时间）"
        return "定时 " + " ".join(f"{k}={v}" for k, v in self.fields) + "（北京时间）"


Trigger = Every | Cron


def every(*, seconds: int = 0, minutes: int = 0, hours: int = 0) -> Every:
    """Return an interval trigger spec."""
    interval = timedelta(seconds=seconds, minutes=minutes, hours=hours)
    if interval <= timedelta(0):
        raise ValueError("the interval must be positive")
    return Every(interval)


def cron(**fields: str | int) -> Cron:
    """Return a cron trigger spec in local time (fields as APScheduler's ``CronTrigger``)."""
    spec = Cron(tuple(sorted((k, str(v)) for k, v in fields.items())))
    spec.build()  # refuse bad fields at import time, not at start-up of the scheduler
    return spec


@dataclass(frozen=True)
class Job:
    """A registered job."""

    name: str
    func: JobFunction = field(compare=False)
    trigger: Trigger
    label: str
    #: Run at start-up and when a standby takes over (the catch-up run).
    catch_up: bool = True
    #: How long a run may hold the job's lease before another runner may start it.
    max_runtime: timedelta = timedelta(minutes=30)

    @property
    def description(self) -> str:
        """Return the first line of the job function's docstring."""
        doc = (self.func.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""

    def __call__(self, now: datetime) -> int:
        """Run the job function; return the items handled (0 when it returns ``None``)."""
        return int(self.func(now) or 0)


_jobs: dict[str, Job] = {}


def job(name: str, trigger: Trigger, *, label: str, catch_up: bool = True,
        max_runtime: timedelta = timedelta(minutes=30)) -> Callable[[JobFunction], JobFunction]:
    """Register ``fn(now) -> int`` as the job ``name`` (unique; re-registering replaces it)."""
    if not name.isidentifier() or name != name.lower():
        raise ValueError(f"bad job name {name!r}: a lower-case identifier")

    def decorate(fn: JobFunction) -> JobFunction:
        existing = _jobs.get(name)
        if existing is not None and _qualname(existing.func) != _qualname(fn):
            raise ValueError(f"job {name!r} is already registered by {_qualname(existing.func)}")
        _jobs[name] = Job(name, fn, trigger, label, catch_up, max_runtime)
        return fn

    return decorate


def _qualname(fn: Callable) -> str:
    return f"{fn.__module__}.{fn.__qualname__}"


def unregister(name: str) -> None:
    """Remove a job (tests)."""
    _jobs.pop(name, None)


def registered_jobs() -> dict[str, Job]:
    """Return the registered jobs by name, in registration order (without importing any)."""
    return dict(_jobs)


#: Modules of this domain that hold jobs.
_OWN_MODULES = ("licensing.jobs.builtin",)


def load_jobs() -> dict[str, Job]:
    """Import every module that registers jobs, then return the registry."""
    from licensing import DOMAINS

    for module_name in _OWN_MODULES:
        importlib.import_module(module_name)
    for domain in DOMAINS:
        if domain == "jobs":
            continue
        module_name = f"licensing.{domain}.jobs"
        try:
            importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # a domain without jobs, or one not written yet
            if exc.name is None or not module_name.startswith(exc.name):
                raise
    return registered_jobs()


def get_job(name: str) -> Job:
    """Return the job called ``name``; raise ``KeyError`` with the known names if none."""
    jobs = load_jobs()
    try:
        return jobs[name]
    except KeyError:
        raise KeyError(f"unknown job {name!r}; known: {', '.join(sorted(jobs))}") from None
