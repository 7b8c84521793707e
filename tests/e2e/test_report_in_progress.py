"""The monthly report of the month in progress, in Chromium: a task due later this month is
not counted as 「月末逾期未核查」, one already overdue is."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from licensing import create_app
from licensing.demo import load_all
from licensing.extensions import db
from tests.conftest import make_settings
from tests.e2e.conftest import login, screenshot


def _licensed_on(decided_on, seed: int):
    from licensing.applicants.services import get_or_create_applicant
    from licensing.auth.models import User
    from licensing.cases import services as cases
    from licensing.cases.models import Channel, Decision, Track
    from licensing.catalogue.models import ItemVersion, VersionStatus
    from tests.case_factories import enterprise_code

    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    approver = db.session.scalar(select(User).where(User.username == "approver"))
    version = next(v for v in db.session.scalars(select(ItemVersion).where(
        ItemVersion.status == VersionStatus.published)) if v.code == "XK-WJ-001")
    who = get_or_create_applicant("enterprise", enterprise_code(seed), f"定州市月报{seed}有限公司")
    application = cases.start_application(version, who, Channel.counter, actor=clerk)
    cases.give_notice(application)
    cases.choose_track(application, Track.commitment)
    cases.set_commitments(application, {m.code: (m.allowed_modes[0].value if m.allowed_modes
                                                 else None) for m in version.materials})
    cases.sign_letter(application, "王经理", cases.letter_digest(cases.letter_text(application)),
                      Channel.counter, actor=clerk)
    return cases.decide(application, Decision.approve, approver, decided_on=decided_on).task


def _decided_on_for_due(today, wanted) -> object | None:
    """A decision date whose verification deadline (XK-WJ-001's rule) ``wanted`` accepts."""
    from licensing.calendar.deadlines import DeadlineRule
    from licensing.calendar.services import compute_deadline
    from licensing.cases.services import VERIFICATION_RULES
    from licensing.catalogue.models import ItemVersion, VerificationRule, VersionStatus

    version = next(v for v in db.session.scalars(select(ItemVersion).where(
        ItemVersion.status == VersionStatus.published)) if v.code == "XK-WJ-001")
    rule = VERIFICATION_RULES[VerificationRule(version.verification_rule)]
    days = version.verification_working_days if rule == DeadlineRule.item_specific else None
    for back in range(1, 140):
        decided_on = today - timedelta(days=back)
        due_on = compute_deadline(rule, start_on=decided_on, working_days=days,
                                  start_event="licence_issued").due_on
        if wanted(due_on):
            return decided_on
    return None


@pytest.fixture(scope="module")
def month_server(tmp_path_factory) -> Iterator[tuple[str, str]]:
    from licensing import clock
    from licensing.calendar.services import sync_official_data
    from licensing.clock import local_today
    from licensing.reports.periods import Period

    # A Wednesday in mid-month: working days on both sides of today within the month.
    clock.set_frozen(datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    tmp = tmp_path_factory.mktemp("in-progress")
    app = create_app(make_settings(f"sqlite:///{tmp / 'live.db'}", tmp, csrf_enabled=True))
    with app.app_context():
        db.create_all()
        load_all()
        sync_official_data()
        today = local_today()
        period = Period.of(today)
        later = _decided_on_for_due(today, lambda d: today < d <= period.last_day)
        overdue = _decided_on_for_due(today, lambda d: period.first_day <= d < today)
        assert later is not None and overdue is not None
        _licensed_on(later, 7101)
        _licensed_on(overdue, 7102)
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", period.key
    finally:
        server.shutdown()
        thread.join(timeout=5)
        clock.set_frozen(None)


def test_report_of_the_month_in_progress_counts_only_overdue_tasks(browser, month_server):
    url, key = month_server
    context = browser.new_context(base_url=url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        login(page, "reform", "demo-reform-2026")
        page.goto(f"/reports/monthly/{key}")
        due = page.inner_text("dd[data-figure=tasks_due]")
        overdue = page.inner_text("dd[data-figure=tasks_overdue]")
        assert due.startswith("2")  # both are due this month
        assert overdue.startswith("1")  # only the one whose date has passed is overdue
        screenshot(page, "report-month-in-progress")
    finally:
        context.close()
