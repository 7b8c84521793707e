"""Deadline sweeps of any domain: reminder tiers, and a registry of per-item deadline sweeps.

``register_deadline_sweep(DeadlineSweep(...))`` makes the jobs ``<name>_due_soon`` and
``<name>_overdue``, which work per item and commit per item. The overdue step calls the owning
domain's transition (``on_overdue``), which must take the row out of the open set (so it is not
selected again), then tells the people concerned. Each domain registers its deadlines in its
own ``jobs.py`` (supplements, rectification orders); this package only runs them.

Every sweep selects its work by state and date (``due_on < today``, ``due_on`` within the
next N working days), so a run after days of downtime handles everything that fell due
meanwhile; every reminder is keyed (object, tier, due date), so nothing is sent twice and a
moved date is announced again.

Reminder tiers: ``reminder_working_days()``, default 5 and 1 working days before the due
date (``Settings.extra["reminder_working_days"]`` or ``LICENSING_REMINDER_WORKING_DAYS=5,1``).
A deadline gets the reminder of the smallest tier it falls within: a task seen for the first
time 1 working day before its due date gets the 1-day reminder only.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.sql import ColumnElement

from licensing.auth.models import User
from licensing.calendar.services import due
from licensing.extensions import db
from licensing.jobs.helpers import for_each_item, today_of
from licensing.jobs.registry import Trigger, every, job
from licensing.notifications.services import notify_users, register_kind

DEFAULT_REMINDER_WORKING_DAYS = (5, 1)
PROVISIONAL = "（暂定）"


# -- reminder tiers ---------------------------------------------------------------------------


def reminder_working_days() -> tuple[int, ...]:
    """Return the reminder tiers in working days before the due date, ascending (``(1, 5)``)."""
    settings = current_app.config.get("SETTINGS")
    raw: Any = settings.extra.get("reminder_working_days") if settings is not None else None
    if raw is None:
        raw = os.environ.get("LICENSING_REMINDER_WORKING_DAYS")
    if raw is None or raw == "":
        return tuple(sorted(DEFAULT_REMINDER_WORKING_DAYS))
    values = [int(v) for v in (raw.split(",") if isinstance(raw, str) else raw)]
    if not values or any(v < 1 or v > 60 for v in values):
        raise ValueError("reminder working days must be between 1 and 60")
    return tuple(sorted(set(values)))


@dataclass(frozen=True)
class ReminderWindow:
    """Deadlines due from ``first_day`` to ``last_day`` (inclusive) get the ``tier`` reminder."""

    tier: int
    first_day: date
    last_day: date


def reminder_windows(today: date, tiers: Sequence[int] | None = None) -> list[ReminderWindow]:
    """Return the reminder windows from ``today``: tier N covers due dates up to due(today, N).

    A deadline due today is within every tier; it gets the smallest. Needs the calendar
    (raises ``CalendarNotLoaded`` without it: reminders are never computed from a guess).
    """
    windows = []
    first = today
    for tier in sorted(tiers or reminder_working_days()):
        last = due(today, tier).due_on
        if last >= first:
            windows.append(ReminderWindow(tier, first, last))
        first = max(first, last + timedelta(days=1))
    return windows


# -- the registry of per-item deadline sweeps ---------------------------------------------


@dataclass(frozen=True)
class DeadlineSweep:
    """A stored deadline (``deadline_mixin(prefix)`` on ``model``) the scheduler watches.

    ``is_open()`` selects rows whose deadline still runs. ``describe(row)`` names the
    obligation in Chinese ("许可证 X 的补齐补全材料「Y」"); ``remind(row)`` lists who is
    reminded before the due date, ``escalate(row)`` who is told once it passed (default: the
    same). ``on_overdue(row, today)`` is the owning domain's transition for a missed
    deadline (audited there); it must take the row out of ``is_open()``, which is what makes
    the overdue job idempotent. Without it the job only tells people, once per due date,
    ending the notice with ``overdue_advice``. ``overdue_job=False`` makes no overdue job
    (the owning domain runs its own).
    """

    name: str
    label: str
    model: type
    prefix: str
    is_open: Callable[[], ColumnElement[bool]]
    object_type: str
    describe: Callable[[Any], str]
    remind: Callable[[Any], Sequence[User]]
    link: Callable[[Any], str | None] = lambda row: None
    escalate: Callable[[Any], Sequence[User]] | None = None
    on_overdue: Callable[[Any, date], Any] | None = None
    #: The sentence that ends the overdue notice when ``on_overdue`` returns none of its own.
    overdue_advice: str = "请及时依法处理。"
    #: False when the owning domain runs its own overdue job (supplements: the revocation).
    overdue_job: bool = True
    due_soon_trigger: Trigger = field(default_factory=lambda: every(hours=1))
    overdue_trigger: Trigger = field(default_factory=lambda: every(minutes=15))

    def column(self, field_name: str):
        """Return the model's ``{prefix}_{field_name}`` column."""
        return getattr(self.model, f"{self.prefix}_{field_name}")


_sweeps: dict[str, DeadlineSweep] = {}


def registered_sweeps() -> dict[str, DeadlineSweep]:
    """Return the registered deadline sweeps by name."""
    return dict(_sweeps)


def register_deadline_sweep(sweep: DeadlineSweep) -> DeadlineSweep:
    """Register a deadline and make its two jobs, ``<name>_due_soon`` and ``<name>_overdue``."""
    _sweeps[sweep.name] = sweep
    due_soon_kind = register_kind(f"{sweep.name}.due_soon", f"{sweep.label}即将到期")
    overdue_kind = register_kind(f"{sweep.name}.overdue", f"{sweep.label}逾期")

    def due_soon(now: datetime) -> int:
        return _due_soon_per_item(sweep, due_soon_kind, now)

    def overdue(now: datetime) -> int:
        return _overdue_per_item(sweep, overdue_kind, now)

    due_soon.__doc__ = (f"Remind of {sweep.name} deadlines within the reminder tiers; keyed "
                        "(row, tier, due date), so idempotent.")
    overdue.__doc__ = (f"Handle {sweep.name} deadlines past due: the owner's transition, then "
                       "one notice per due date; the transition leaves the open set.")
    due_soon.__qualname__ = f"sweep_{sweep.name}_due_soon"
    overdue.__qualname__ = f"sweep_{sweep.name}_overdue"
    job(f"{sweep.name}_due_soon", sweep.due_soon_trigger, label=f"{sweep.label}到期提醒")(due_soon)
    if sweep.overdue_job:
        job(f"{sweep.name}_overdue", sweep.overdue_trigger,
            label=f"{sweep.label}逾期处理")(overdue)
    return sweep


def _due_soon_per_item(sweep: DeadlineSweep, kind: str, now: datetime) -> int:
    today = today_of(now)
    windows = reminder_windows(today)
    if not windows:
        return 0
    due_on = sweep.column("due_on")
    pk = sweep.model.__mapper__.primary_key[0]
    ids = db.session.scalars(
        select(pk).where(sweep.is_open(), due_on >= windows[0].first_day,
                         due_on <= windows[-1].last_day).order_by(due_on, pk)
    ).all()

    def handle(row_id) -> bool:
        row = db.session.get(sweep.model, row_id)
        if row is None:
            return False
        row_due = getattr(row, f"{sweep.prefix}_due_on")
        window = next((w for w in windows if w.first_day <= row_due <= w.last_day), None)
        if window is None:
            return False
        provisional = PROVISIONAL if getattr(row, f"{sweep.prefix}_provisional") else ""
        what = sweep.describe(row)
        sent = notify_users(
            sweep.remind(row), kind, f"{sweep.label}即将到期（{window.tier}个工作日内）"[:200],
            f"{what}的期限为 {row_due.isoformat()}{provisional}，"
            f"距到期已不足{window.tier}个工作日。",
            sweep.link(row), sweep.object_type, row_id,
            f"{sweep.name}_due_soon:{row_id}:{window.tier}", due_on=row_due,
        )
        return bool(sent)

    return for_each_item(ids, handle)


def _overdue_per_item(sweep: DeadlineSweep, kind: str, now: datetime) -> int:
    today = today_of(now)
    pk = sweep.model.__mapper__.primary_key[0]
    ids = db.session.scalars(
        select(pk).where(sweep.is_open(), sweep.column("due_on") < today)
        .order_by(sweep.column("due_on"), pk)
    ).all()

    def handle(row_id) -> bool:
        row = db.session.get(sweep.model, row_id,
                             with_for_update=True if _lock_rows() else None)
        if row is None:
            return False
        row_due = getattr(row, f"{sweep.prefix}_due_on")
        if not _is_open(row_id) or row_due is None or row_due >= today:
            return False  # moved on since the selection (another runner, a person)
        outcome = sweep.on_overdue(row, today) if sweep.on_overdue is not None else None
        db.session.flush()
        transitioned = not _is_open(row_id)
        what = sweep.describe(row)
        follow_up = outcome if isinstance(outcome, str) else sweep.overdue_advice
        sent = notify_users(
            (sweep.escalate or sweep.remind)(row), kind, f"{sweep.label}已逾期"[:200],
            f"{what}的期限 {row_due.isoformat()} 已过。{follow_up}",
            sweep.link(row), sweep.object_type, row_id, f"{sweep.name}_overdue:{row_id}",
            due_on=row_due,
        )
        return transitioned or bool(sent)

    def _is_open(row_id) -> bool:
        return db.session.scalar(select(pk).where(pk == row_id, sweep.is_open())) is not None

    return for_each_item(ids, handle)


def _lock_rows() -> bool:
    # SELECT ... FOR UPDATE on PostgreSQL; SQLite serialises writers anyway.
    return db.session.get_bind().dialect.name == "postgresql"


__all__ = [
    "PROVISIONAL",
    "DeadlineSweep",
    "ReminderWindow",
    "register_deadline_sweep",
    "registered_sweeps",
    "reminder_windows",
    "reminder_working_days",
]
