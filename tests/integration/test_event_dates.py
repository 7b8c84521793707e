"""Point 3 of issue 19: the statutory clock cannot be stretched by dates in the future, dates
before the case's start, or overlapping pauses; the same rule for judicial transfers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from licensing import clock
from licensing.cases import services
from licensing.cases.models import Channel, PauseReason, Track
from licensing.errors import ValidationFailed
from licensing.event_dates import EventDateInvalid, check_event_date
from licensing.supervision import services as supervision
from tests.case_factories import applicant, calendar_loaded, published_item
from tests.factories import create_test_user
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    licensed,
    world_fixture,
)


def _at(day: date):
    return clock.freeze(datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC))


@pytest.fixture
def accepted(session):
    calendar_loaded()
    clerk = create_test_user()
    with _at(date(2026, 11, 20)):
        version = published_item(statutory_limit_days=10, valid_from=date(2026, 1, 1))
        application = services.start_application(version, applicant(), Channel.counter,
                                                 actor=clerk)
        services.give_notice(application)
        services.choose_track(application, Track.general)
        services.accept_general(application, ["M1", "M2", "M3", "M4"],
                                accepted_on=date(2026, 11, 20))
    return application


def test_the_same_period_cannot_be_paused_twice(accepted):
    with _at(date(2026, 12, 15)):
        services.pause_clock(accepted, PauseReason.hearing, date(2026, 12, 1))
        services.resume_clock(accepted, date(2026, 12, 15))
        once = accepted.statutory_due_on
        for again in (date(2026, 12, 1), date(2026, 12, 14)):
            with pytest.raises(ValidationFailed) as refused:
                services.pause_clock(accepted, PauseReason.hearing, again)
            assert refused.value.code == "pause_overlaps"
        assert accepted.statutory_due_on == once
        services.pause_clock(accepted, PauseReason.hearing, date(2026, 12, 15))  # adjoining


def test_pause_and_resume_in_the_future_are_refused(accepted):
    with _at(date(2026, 12, 1)):
        with pytest.raises(EventDateInvalid) as refused:
            services.pause_clock(accepted, PauseReason.testing, date(2027, 6, 1))
        assert refused.value.code == "event_date_in_future"
        assert "不能晚于今天" in refused.value.message
        services.pause_clock(accepted, PauseReason.testing, date(2026, 12, 1))
        with pytest.raises(EventDateInvalid) as refused:
            services.resume_clock(accepted, date(2028, 12, 1))
        assert refused.value.code == "event_date_in_future"
        assert accepted.pauses[0].resumed_on is None


def test_a_pause_before_the_acceptance_is_refused(accepted):
    with _at(date(2026, 12, 1)), pytest.raises(EventDateInvalid) as refused:
        services.pause_clock(accepted, PauseReason.testing, date(2004, 1, 1))
    assert refused.value.code == "event_date_before_case_start"
    assert "受理日期" in refused.value.message


def test_a_judicial_transfer_before_the_licence_or_in_the_future_is_refused(world):
    _, _, task = licensed(world)
    supervision.record_result(task, "nonconform", "未按承诺配备消毒设施。", clock.local_today(),
                              actor=world.inspector)
    for day, code in ((date(2004, 1, 1), "event_date_before_case_start"),
                      (date(2030, 1, 1), "event_date_in_future")):
        with pytest.raises(EventDateInvalid) as refused:
            supervision.record_judicial_transfer(task, "移字〔2026〕1号", day,
                                                 actor=world.inspector)
        assert refused.value.code == code
    supervision.record_judicial_transfer(task, "移字〔2026〕1号", clock.local_today(),
                                         actor=world.inspector)
    assert task.judicial_transfer_ref == "移字〔2026〕1号"


def test_the_pause_page_answers_the_refusal_in_chinese(app, accepted):
    from tests.factories import login_as

    approver = create_test_user("approver")
    client = app.test_client()
    with _at(date(2026, 12, 1)):
        login_as(client, approver)  # on that day: a session from another day has expired
        response = client.post(f"/applications/{accepted.public_id}/pause",
                               data={"reason": "testing", "paused_on": "2027-06-01"},
                               follow_redirects=True)
    assert "不能晚于今天" in response.get_data(as_text=True)
    assert not accepted.pauses


def test_check_event_date_rule():
    with _at(date(2026, 11, 18)):
        assert check_event_date(date(2026, 11, 18), label="送达日期") == date(2026, 11, 18)
        with pytest.raises(EventDateInvalid):
            check_event_date(date(2026, 11, 19), label="送达日期")
        with pytest.raises(EventDateInvalid):
            check_event_date(date(2026, 1, 1), label="送达日期", not_before=date(2026, 2, 1))
        with pytest.raises(EventDateInvalid):
            check_event_date(None, label="送达日期")
