"""The job registry, trigger specs and small rules, without a database."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from licensing.clock import LOCAL_TZ
from licensing.jobs.execution import error_text
from licensing.jobs.registry import cron, every, get_job, job, registered_jobs, unregister
from licensing.notifications.senders import (
    DEFAULT_SENDERS,
    LogOnlySender,
    active_senders,
    configure_senders,
    reset_senders,
)
from licensing.notifications.services import stored_dedup_key


def test_interval_and_cron_specs_build_local_time_triggers():
    spec = every(seconds=10)
    trigger = spec.build()
    assert isinstance(trigger, IntervalTrigger) and trigger.interval == timedelta(seconds=10)
    assert spec.describe() == "每 10 秒"
    assert every(minutes=15).describe() == "每 15 分钟"
    assert every(hours=1).describe() == "每 1 小时"
    daily = cron(hour=7, minute=5).build()
    assert isinstance(daily, CronTrigger) and str(daily.timezone) == "Asia/Shanghai"
    fire = daily.get_next_fire_time(None, datetime(2026, 12, 1, 8, 0, tzinfo=LOCAL_TZ))
    assert fire == datetime(2026, 12, 2, 7, 5, tzinfo=LOCAL_TZ)


def test_bad_specs_are_refused_at_import_time():
    with pytest.raises(ValueError):
        every()
    with pytest.raises(ValueError):
        cron(hour=25)


def test_register_run_and_replace():
    @job("unit_test_job", every(minutes=5), label="单元测试")
    def unit_test_job(now):
        """Count nothing; idempotent."""
        return None

    try:
        registered = registered_jobs()["unit_test_job"]
        assert registered.label == "单元测试" and registered.description.startswith("Count")
        assert registered(datetime(2026, 12, 1, tzinfo=LOCAL_TZ)) == 0  # None counts as 0
        job("unit_test_job", every(minutes=10), label="单元测试")(unit_test_job)  # re-import
        assert registered_jobs()["unit_test_job"].trigger == every(minutes=10)

        def impostor(now):
            return 1

        with pytest.raises(ValueError, match="already registered"):
            job("unit_test_job", every(minutes=5), label="x")(impostor)
    finally:
        unregister("unit_test_job")


def test_job_names_are_identifiers():
    with pytest.raises(ValueError):
        job("Bad-Name", every(minutes=1), label="x")


def test_unknown_job_lists_the_known_ones():
    with pytest.raises(KeyError, match="audit_seal"):
        get_job("no_such_job")


def test_stored_key_carries_the_date():
    assert stored_dedup_key("task:1:5", date(2026, 12, 1)) == "task:1:5@2026-12-01"
    assert stored_dedup_key("monthly:2026-11", None) == "monthly:2026-11"
    with pytest.raises(ValueError):
        stored_dedup_key("x" * 201, None)


def test_error_text_leaves_sql_parameters_out():
    from sqlalchemy.exc import IntegrityError

    exc = IntegrityError("INSERT INTO applicants ...", {"code": "130682198503150011"},
                         ValueError("UNIQUE constraint failed"))
    text = error_text(exc)
    assert text == "ValueError: UNIQUE constraint failed"
    assert "130682198503150011" not in text


def test_senders_are_configurable_and_checked():
    class Mail:
        channel = "email"
        simulated = False

        def send(self, notification, user):
            return None

    try:
        configure_senders([Mail()])
        assert [s.channel for s in active_senders()] == ["email"]
        with pytest.raises(TypeError):
            configure_senders([object()])
        with pytest.raises(ValueError):
            configure_senders([LogOnlySender("sms"), LogOnlySender("sms")])
    finally:
        reset_senders()
    assert tuple(active_senders()) == DEFAULT_SENDERS


def test_cron_schedules_read_in_chinese():
    assert cron(minute=15).describe() == "每小时第 15 分"
    assert cron(hour=3, minute=40).describe() == "每天 03:40（北京时间）"
    assert cron(day_of_week="mon", hour=7).describe().startswith("定时 ")
