"""A routine-inspection breach on a general-track licence, ending in a revoked licence.

The inspector opens the breach case and orders rectification; after the due date records it not
put right; the approver then runs the revocation procedure in the browser: notice, the
licensee's statement asking for a hearing, the hearing, the decision, and service, from which
the licence is revoked.
The clock is this module's: the server runs in this process, so ``clock.set_frozen`` moves both.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from licensing import clock, create_app
from licensing.demo import load_all
from licensing.extensions import db
from tests.conftest import make_settings
from tests.e2e.conftest import login, screenshot

START = datetime(2026, 11, 18, 10, 0, tzinfo=clock.LOCAL_TZ)  # a Wednesday
AFTER_DUE = datetime(2026, 12, 3, 10, 0, tzinfo=clock.LOCAL_TZ)  # past a due date of 12-02


def _general_track_licence() -> tuple[str, str]:
    """Build a general-track licence of XK-WJ-001; return (number, verify token)."""
    from licensing.applicants.services import get_or_create_applicant
    from licensing.auth.models import User
    from licensing.calendar.services import sync_official_data
    from licensing.cases import services as cases
    from licensing.cases.models import Channel, Decision, Track
    from licensing.catalogue.models import ItemVersion, VersionStatus
    from tests.case_factories import enterprise_code

    sync_official_data()
    clerk = db.session.scalar(select(User).where(User.username == "clerk"))
    approver = db.session.scalar(select(User).where(User.username == "approver"))
    version = next(v for v in db.session.scalars(select(ItemVersion).where(
        ItemVersion.status == VersionStatus.published)) if v.code == "XK-WJ-001")
    who = get_or_create_applicant("enterprise", enterprise_code(4343),
                                  "定州市日常监管示例餐饮有限公司", "13900000001")
    application = cases.start_application(version, who, Channel.counter, actor=clerk)
    cases.give_notice(application)
    cases.choose_track(application, Track.general)
    cases.accept_general(application, [m.code for m in version.materials])
    result = cases.decide(application, Decision.approve, approver)
    db.session.commit()
    return result.licence.number, result.licence.verify_token


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[str, str, str]]:
    """Serve the app with demo data and one general-track licence; yield (url, number, token)."""
    clock.set_frozen(START)
    tmp = tmp_path_factory.mktemp("enforcement")
    app = create_app(make_settings(f"sqlite:///{tmp / 'live.db'}", tmp, csrf_enabled=True))
    with app.app_context():
        db.create_all()
        load_all()
        number, token = _general_track_licence()
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}", number, token
    finally:
        http.shutdown()
        thread.join(timeout=5)
        clock.set_frozen(None)


@pytest.fixture
def desk(browser, server):
    url, _, _ = server
    context = browser.new_context(base_url=url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm prompts
    yield page
    context.close()


def _flash(page) -> str:
    return page.locator(".flash").first.inner_text()


def test_routine_breach_ends_in_a_licence_revoked_on_service(desk, server):
    _, number, token = server
    clock.set_frozen(START)

    # --- the inspector: a breach found in routine supervision, rectification ordered ---------
    login(desk, "inspector", "demo-inspector-2026")
    desk.wait_for_url("**/")
    desk.goto("/breaches")
    desk.click("#new-breach")
    desk.fill("#licence_number", number)
    desk.select_option("#origin", "routine_inspection")
    desk.check("input[name=finding][value=breach]")
    desk.fill("#facts", "日常监管检查发现后厨未按承诺配备消毒设施。")
    desk.fill("#found_on", "2026-11-18")
    screenshot(desk, "enforcement-breach-new")
    desk.click("#breach-form button[type=submit]")
    desk.wait_for_selector("#breach-status")
    assert desk.locator("#breach-status").inner_text() == "待责令整改"
    assert "违反承诺" in desk.locator("#breach-finding").inner_text()
    desk.fill("#due_on", "2026-12-02")
    desk.fill("#requirements", "配齐消毒设施并建立消毒记录。")
    desk.click("#rectification-form button[type=submit]")
    desk.wait_for_selector("#rectification-due")
    assert desk.locator("#rectification-due").inner_text() == "2026-12-02"
    assert desk.locator("#rectification-notice-link").is_visible()
    # not rectified before the due date, without a re-inspection: refused with the reason
    desk.fill("#note", "尚未整改")
    desk.click("#outcome-form button[value=no]")
    assert "尚未届满" in _flash(desk)
    breach_url = desk.url

    # --- after the due date: not rectified, referred to the approval department -------------
    clock.set_frozen(AFTER_DUE)
    desk.context.clear_cookies()
    login(desk, "inspector", "demo-inspector-2026")
    desk.wait_for_url("**/")
    desk.goto(breach_url)
    desk.fill("#note", "逾期仍未配备消毒设施。")
    desk.fill("#penalty_ref", "定卫罚〔2026〕21号")
    desk.click("#outcome-form button[value=no]")
    desk.wait_for_selector("#revocation-state")
    assert desk.locator("#breach-status").inner_text() == "已提请撤销许可"

    # --- the approver: the revocation procedure --------------------------------------------
    desk.context.clear_cookies()
    login(desk, "approver", "demo-approver-2026")
    desk.wait_for_url("**/")
    desk.goto("/revocations")
    desk.get_by_role("link", name=number).first.click()
    desk.wait_for_selector("#case-status")
    assert desk.locator("#case-status").inner_text() == "待告知"
    # the decision is not offered before the notice: only "not revoke" is
    assert desk.locator("#decision-blocker").is_visible()
    assert desk.locator("#decision-form button[value=revoke]").count() == 0
    desk.fill("#reasons", "逾期不整改，违反告知承诺。")
    screenshot(desk, "enforcement-notice")
    desk.click("#notice-form button[type=submit]")
    desk.wait_for_selector("#statement-due")
    assert "个工作日" in desk.locator("#statement-due").inner_text()
    assert desk.locator("#notice-link").is_visible()
    # the licensee's written statement, asking for a hearing: no decision until it is held
    desk.fill("#received_on", "2026-12-03")
    desk.fill("#text", "已订购消毒设施，请求延长整改期限，并要求举行听证。")
    desk.check("#hearing_requested")
    desk.click("#statement-form button[type=submit]")
    desk.wait_for_selector("#hearing-form")
    assert "听证" in desk.locator("#decision-blocker").inner_text()
    assert desk.locator("#decision-form button[value=revoke]").count() == 0
    desk.fill("#held_on", "2026-12-03")
    desk.fill("#place", "市行政审批局听证室")
    desk.fill("#host", "法制科王五")
    desk.fill("#minutes", "当事人称设备已订购；承认至今未配备消毒设施。")
    screenshot(desk, "enforcement-hearing")
    desk.click("#hearing-form button[type=submit]")
    desk.wait_for_selector("#decision-form button[value=revoke]")
    assert "法制科王五" in desk.locator("#step-statement").inner_text()
    desk.fill("#reason", "听证后查明逾期仍未配备消毒设施，申辩理由不能成立。")
    desk.click("#decision-form button[value=revoke]")
    desk.wait_for_selector("#letter-link")
    assert desk.locator("#case-status").inner_text() == "已决定撤销待送达"
    assert desk.locator("#licence-status").inner_text() == "许可证有效"  # not until service
    desk.select_option("#method", "direct")
    desk.fill("#served_on", "2026-12-03")
    desk.fill("#receipt", "法定代表人签收。")
    screenshot(desk, "enforcement-service")
    desk.click("#service-form button[type=submit]")
    desk.wait_for_selector("#served-on")
    assert desk.locator("#case-status").inner_text() == "已撤销许可"
    assert desk.locator("#licence-status").inner_text() == "许可证已撤销"
    assert desk.locator("#receipt-link").is_visible()
    screenshot(desk, "enforcement-revoked")

    # --- the public verification page says so -----------------------------------------------
    desk.goto(f"/verify/{token}")
    assert "已撤销" in desk.locator("main").inner_text()
