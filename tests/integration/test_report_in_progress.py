"""The monthly report during the month in progress: only tasks already overdue count."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from licensing import clock
from licensing.clock import LOCAL_TZ
from licensing.extensions import db
from licensing.reports.periods import Period
from licensing.reports.services import build_monthly_report
from tests.integration.test_supervision_support import (  # noqa: F401 (fixture)
    licensed,
    world_fixture,
)


def at(day: date, hour: int = 10) -> None:
    clock.set_frozen(datetime.combine(day, time(hour), tzinfo=LOCAL_TZ).astimezone(UTC))


def test_a_task_due_later_this_month_is_not_overdue_yet(world):
    at(date(2026, 9, 21))
    _, _, task = licensed(world, decided_on=date(2026, 9, 21))
    db.session.commit()
    due_on = task.verification_due_on
    assert due_on.day > 1
    period = Period.of(due_on)

    at(period.first_day)  # the month has just begun
    assert build_monthly_report(period).totals["tasks_overdue"] == 0
    at(due_on)  # due today: not overdue yet
    assert build_monthly_report(period).totals["tasks_overdue"] == 0
    at(due_on + timedelta(days=1))  # the day after: overdue
    assert build_monthly_report(period).totals["tasks_overdue"] == 1
    at(period.last_day + timedelta(days=3))  # after the month: as at its end
    assert build_monthly_report(period).totals["tasks_overdue"] == 1
