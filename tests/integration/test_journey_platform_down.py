"""The counter keeps working when the provincial credit platform is down."""

from __future__ import annotations

import socket
import time

from licensing.auth.models import Role
from licensing.cases import services
from licensing.cases.models import ApplicationStatus, Channel, Decision, Track
from licensing.credit.platform import HttpCreditPlatform, set_platform
from licensing.extensions import db
from tests.case_factories import applicant, calendar_loaded, published_item
from tests.factories import create_test_user
from tests.integration.test_journey import COMMIT_MODES


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens there once the socket is closed


def test_journey_completes_within_seconds_when_the_platform_refuses(app, session):
    calendar_loaded()
    clerk = create_test_user(Role.clerk)
    approver = create_test_user(Role.approver)
    set_platform(app, HttpCreditPlatform(f"http://127.0.0.1:{_closed_port()}", timeout_s=1.0))
    try:
        began = time.monotonic()
        application = services.start_application(published_item(), applicant(),
                                                  Channel.counter, actor=clerk)
        services.give_notice(application)
        choice = services.choose_track(application, Track.commitment)
        assert choice.eligible and choice.degraded
        assert application.credit_check.needs_review
        services.set_commitments(application, COMMIT_MODES)
        text = services.letter_text(application)
        services.sign_letter(application, "张三", services.letter_digest(text), Channel.counter)
        result = services.decide(application, Decision.approve, approver)
        db.session.commit()
        elapsed = time.monotonic() - began
    finally:
        set_platform(app, None)
    assert result.licence is not None
    assert application.status == ApplicationStatus.approved
    assert elapsed < 5, f"the counter waited {elapsed:.1f}s for a platform that is down"
