"""An inspector records the result of an on-site check from a phone.

The server is this module's own: the demo data, the calendar, and one commitment-track licence
of the demo item XK-WJ-001 (supervised by 市卫生健康局, the demo inspector's department), built
through the same services as the counter.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from licensing import create_app
from licensing.demo import load_all
from licensing.extensions import db
from tests.conftest import make_settings
from tests.e2e.conftest import login, screenshot

PHONE = {"width": 390, "height": 844}


def _licensed_commitment_case() -> str:
    """Build a licensed commitment case of XK-WJ-001; return its licence number."""
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
    version = db.session.scalars(select(ItemVersion).where(
        ItemVersion.status == VersionStatus.published).order_by(ItemVersion.id)).all()
    version = next(v for v in version if v.code == "XK-WJ-001")
    who = get_or_create_applicant("enterprise", enterprise_code(4242), "定州市核查示例酒店有限公司",
                                  "13900000000")
    application = cases.start_application(version, who, Channel.counter, actor=clerk,
                                          business_address="定州市中山路 88 号",
                                          contact_name="王经理")
    cases.give_notice(application)
    assert cases.choose_track(application, Track.commitment).eligible
    modes = {m.code: (m.allowed_modes[0].value if m.allowed_modes else None)
             for m in version.materials}
    cases.set_commitments(application, modes)
    text = cases.letter_text(application)
    cases.sign_letter(application, "王经理", cases.letter_digest(text), Channel.counter,
                      actor=clerk)
    result = cases.decide(application, Decision.approve, approver)
    db.session.commit()
    return result.licence.number


@pytest.fixture(scope="module")
def inspector_server(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Serve the app with demo data and one open verification task; yield (url, licence)."""
    tmp = tmp_path_factory.mktemp("inspector")
    # A small upload limit, so the over-the-limit file is quick to hand to the browser.
    app = create_app(make_settings(f"sqlite:///{tmp / 'live.db'}", tmp, csrf_enabled=True,
                                   max_upload_bytes=1024 * 1024))
    with app.app_context():
        db.create_all()
        load_all()
        number = _licensed_commitment_case()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", number
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def phone(browser, inspector_server):
    url, _ = inspector_server
    context = browser.new_context(base_url=url, locale="zh-CN", viewport=PHONE, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_supervision_upload_over_the_limit_keeps_what_was_typed(phone, inspector_server):
    login(phone, "inspector", "demo-inspector-2026")
    phone.wait_for_url("**/")
    phone.goto("/supervision/tasks/1")
    limit = int(phone.get_attribute("#evidence-form", "data-max-bytes"))
    phone.fill("#evidence-form input[name=note]", "门头照片")
    phone.set_input_files("#file", files=[{
        "name": "big.jpg", "mimeType": "image/jpeg",
        "buffer": b"\xff\xd8\xff" + b"\x00" * (limit + 10)}])
    phone.click("#evidence-form button[type=submit]")
    assert phone.locator("#upload-too-large").is_visible()
    assert "MB" in phone.inner_text("#upload-too-large")
    assert phone.input_value("#evidence-form input[name=note]") == "门头照片"
    assert phone.url.endswith("/supervision/tasks/1")
    screenshot(phone, "inspector-phone-upload-too-large")


def test_supervision_inspector_records_a_result_on_a_phone(phone, inspector_server):
    _, number = inspector_server
    login(phone, "inspector", "demo-inspector-2026")
    phone.wait_for_url("**/")
    assert "核查任务" in phone.locator("main").inner_text()  # the home panel

    phone.goto("/supervision/tasks")
    row = phone.locator("tr.task-row", has_text=number)
    assert row.is_visible()
    assert _no_sideways_scroll(phone)
    screenshot(phone, "inspector-phone-inbox")
    row.get_by_role("link", name=number).click()

    phone.wait_for_selector("#task-status")
    assert phone.locator("#task-status").inner_text() == "待核查"
    assert _no_sideways_scroll(phone)
    # the letter as signed, the materials with their modes, the checklist
    phone.click("text=查看申请人签署的承诺书原文")
    assert "告知承诺书" in phone.locator("pre.letter").inner_text()
    assert "承诺" in phone.locator("#materials").inner_text()
    # where to go, whom to ask, how many working days are left
    assert "定州市中山路 88 号" in phone.inner_text("#business-address")
    assert "王经理" in phone.inner_text("#contact")
    assert "个工作日" in phone.inner_text("#working-days-left")
    points = phone.locator("fieldset.verdict")
    assert points.count() >= 1
    # 「符合承诺」 with nothing answered is refused, and what was typed stays
    phone.locator("label.choice-conform").click()
    phone.fill("#findings", "经营场所、卫生设施与承诺一致。")
    phone.click("#save-result")
    phone.wait_for_selector(".flash-error")
    assert "每个核查要点都须作出结论" in phone.inner_text(".flash-error")
    assert phone.input_value("#findings") == "经营场所、卫生设施与承诺一致。"
    assert phone.locator("#task-status").inner_text() == "待核查"
    # one point 不符合 contradicts 「符合承诺」
    for i in range(points.count()):
        points.nth(i).locator("label.verdict-conform").click()
    points.nth(0).locator("label.verdict-nonconform").click()
    phone.click("#save-result")
    phone.wait_for_selector(".flash-error")
    assert "结论不能为符合承诺" in phone.inner_text(".flash-error")
    points = phone.locator("fieldset.verdict")
    points.nth(0).locator("label.verdict-not_applicable").click()
    assert phone.locator("fieldset.verdict input:checked").count() == points.count()
    save = phone.locator("#save-result")
    box = save.bounding_box()
    assert box["height"] >= 44 and box["width"] >= PHONE["width"] * 0.7  # a thumb-sized button
    screenshot(phone, "inspector-phone-task")
    save.click()

    phone.wait_for_selector("#result-summary")
    assert "核查结果已保存并推送至审批部门" in phone.locator(".flash").first.inner_text()
    assert phone.locator("#task-status").inner_text() == "已办结"
    assert phone.locator("#outcome").inner_text() == "符合承诺"
    assert "【不适用】" in phone.inner_text("#checklist-answers")
    assert "已于" in phone.locator("#push-state").inner_text()
    assert _no_sideways_scroll(phone)
    screenshot(phone, "inspector-phone-result")


def test_supervision_other_departments_inspector_cannot_open_the_task(phone, inspector_server):
    login(phone, "inspector2", "demo-inspector-2026")
    phone.wait_for_url("**/")
    phone.goto("/supervision/tasks")
    assert phone.locator("tr.task-row").count() == 0
    response = phone.goto("/supervision/tasks/1")
    assert response.status == 404
