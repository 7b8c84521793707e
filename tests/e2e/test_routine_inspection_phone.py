"""An inspector records a routine inspection (日常监管检查) from a phone.

The server is this module's own: the demo data, one commitment-track licence of XK-WJ-001
(supervised by the demo inspector's department) and a routine sample drawn over the
department with every risk level at 100 %, so that licence is in the inspector's inbox.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from licensing import create_app
from licensing.auth.models import User
from licensing.demo import load_all
from licensing.enforcement.models import BreachCase, Finding
from licensing.extensions import db
from licensing.supervision.sampling import draw_routine_sample
from tests.conftest import make_settings
from tests.e2e.conftest import login, screenshot
from tests.e2e.test_inspector_phone import PHONE, _licensed_commitment_case


@pytest.fixture(scope="module")
def routine_server(tmp_path_factory) -> Iterator[tuple[str, str, object]]:
    """Serve the app with one routine inspection drawn; yield (url, licence number, app)."""
    tmp = tmp_path_factory.mktemp("routine")
    app = create_app(make_settings(f"sqlite:///{tmp / 'live.db'}", tmp, csrf_enabled=True))
    with app.app_context():
        db.create_all()
        load_all()
        number = _licensed_commitment_case()
        inspector = db.session.scalar(select(User).where(User.username == "inspector"))
        draw = draw_routine_sample(inspector.department_id,
                                   {"A": 1, "B": 1, "C": 1, "D": 1}, actor=inspector,
                                   create_inspections=True)
        assert draw.applicant_ids, "the routine sample drew nobody"
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", number, app
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def phone(browser, routine_server):
    url, _, _ = routine_server
    context = browser.new_context(base_url=url, locale="zh-CN", viewport=PHONE, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def _no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_inspector_records_a_nonconform_routine_inspection_on_a_phone(phone, routine_server):
    _, number, app = routine_server
    login(phone, "inspector", "demo-inspector-2026")
    phone.wait_for_url("**/")
    phone.goto("/supervision/tasks")
    row = phone.locator("#routine tr[data-routine-id]", has_text=number)
    assert row.is_visible()
    assert _no_sideways_scroll(phone)
    screenshot(phone, "routine-phone-inbox")
    row.get_by_role("link", name="记录检查结果").click()

    phone.wait_for_selector("#routine-form")
    assert number in phone.inner_text("#routine-licence")
    assert _no_sideways_scroll(phone)
    # 不符合 without a classification: refused, and what was typed stays
    phone.locator("label.choice-nonconform").click()
    phone.fill("#findings", "现场检查发现从业人员健康证明过期。")
    phone.click("#save-routine")
    phone.wait_for_selector(".flash-error")
    assert "请选择违诺性质" in phone.inner_text(".flash-error")
    assert phone.input_value("#findings") == "现场检查发现从业人员健康证明过期。"
    assert phone.locator("label.choice-nonconform input").is_checked()
    # classified 违反承诺: recorded, and a breach case is opened
    phone.locator("#routine-finding-choices label", has_text="违反承诺").click()
    save = phone.locator("#save-routine")
    box = save.bounding_box()
    assert box["height"] >= 44 and box["width"] >= PHONE["width"] * 0.7  # a thumb-sized button
    screenshot(phone, "routine-phone-form")
    save.click()

    phone.wait_for_url("**/supervision/tasks*")
    assert "已据此立案" in phone.locator(".flash").first.inner_text()
    assert phone.locator("#routine tr[data-routine-id]", has_text=number).count() == 0
    assert _no_sideways_scroll(phone)
    with app.app_context():
        case_ = db.session.scalar(select(BreachCase).order_by(BreachCase.id.desc()))
        assert case_.licence.number == number and case_.finding == Finding.breach
        assert case_.facts == "现场检查发现从业人员健康证明过期。"
