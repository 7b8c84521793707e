"""Every demo role can log in through the browser and sees its own home page."""

from __future__ import annotations

import pytest

from licensing.auth.demo import DEMO_USERS
from tests.e2e.conftest import login, screenshot


@pytest.mark.parametrize(("username", "display", "role", "dept", "password"), DEMO_USERS,
                         ids=[u[0] for u in DEMO_USERS])
def test_each_role_logs_in(page, username, display, role, dept, password):
    login(page, username, password)
    page.wait_for_url("**/")
    assert page.locator("h1").inner_text() == f"{role.label}工作台"
    assert display in page.locator(".who").inner_text()
    if username == "admin":
        screenshot(page, "home-admin")
    page.click("text=退出")
    page.wait_for_url("**/login")


def test_wrong_password_shows_chinese_error(page):
    login(page, "clerk", "definitely-wrong")
    assert "用户名或密码错误" in page.locator(".error").inner_text()


def test_phone_layout_has_menu_toggle(phone_page):
    login(phone_page, "inspector", "demo-inspector-2026")
    phone_page.wait_for_url("**/")
    toggle = phone_page.locator("button.nav-toggle")
    assert toggle.is_visible()
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert "open" in phone_page.locator("#mainnav").get_attribute("class")
    # the page does not scroll sideways on a phone
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
