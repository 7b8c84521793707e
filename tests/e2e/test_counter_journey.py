"""The counter journey in a real browser: from "I want this licence" to a printed licence."""

from __future__ import annotations

from tests.case_factories import enterprise_code
from tests.e2e.conftest import login, screenshot

HENGTONG = "91130682MA0CHT7K84"  # demo applicant with an unrepaired serious-dishonesty record


def _logout(page):
    page.click("text=退出")
    page.wait_for_url("**/login")


def _start(page, code: str, name: str):
    page.goto("/applications/new")
    page.select_option("select[name=item_code]", "XK-WJ-001")
    page.check("input[name=applicant_kind][value=enterprise]")
    page.fill("input[name=applicant_code]", code)
    page.fill("input[name=applicant_name]", name)
    page.fill("input[name=applicant_phone]", "13912345678")
    page.click("button:has-text('下一步')")
    page.wait_for_selector("#notice")
    page.click("button:has-text('已一次性告知')")
    page.wait_for_selector("#track")


def test_clerk_and_approver_issue_a_licence(page):
    login(page, "clerk", "demo-clerk-2026")
    _start(page, enterprise_code(9001), "定州市浏览器测试有限公司")
    page.click("button:has-text('告知承诺制')")
    page.wait_for_selector("#commitments")
    assert "符合告知承诺适用条件" in page.inner_text("#credit")
    page.click("button:has-text('生成承诺书')")
    page.wait_for_selector("#letter")
    assert "定州市浏览器测试有限公司" in page.inner_text("pre.letter")
    page.fill("input[name=signer_name]", "赵六")
    page.fill("input[name=signer_id_number]", "11010519491231002X")
    page.click("button:has-text('确认签署并提交')")
    page.wait_for_selector("text=承诺书已签署")
    case_url = page.url
    screenshot(page, "counter-signed")
    _logout(page)

    login(page, "approver", "demo-approver-2026")
    page.goto(case_url)
    page.click("button:has-text('准予许可并发证')")
    page.wait_for_selector("#licence-number")
    number = page.inner_text("#licence-number")
    assert number.startswith("XZSPJ-")
    assert page.inner_text("#verification-due")
    screenshot(page, "counter-licensed")
    with page.expect_popup() as popup:
        page.click("text=公开核验页")
    verify = popup.value
    verify.wait_for_load_state()
    assert "有效" in verify.inner_text("main") and number in verify.inner_text("main")


def test_credit_ineligible_applicant_goes_general(page):
    login(page, "clerk", "demo-clerk-2026")
    _start(page, HENGTONG, "定州市恒通建材有限公司")
    page.click("button:has-text('告知承诺制')")
    page.wait_for_selector("#credit")
    credit = page.inner_text("#credit")
    assert "不适用告知承诺制" in credit and "严重失信" in credit
    assert page.locator("button:has-text('告知承诺制')").count() == 0
    screenshot(page, "counter-credit-ineligible")
    page.click("button:has-text('一般程序')")
    page.wait_for_selector("#materials")
    for box in page.locator("input[name=received]").all():
        box.check()
    page.click("button:has-text('材料齐全，受理')")
    page.wait_for_selector("text=已受理")
    assert "法定办结期限" in page.inner_text("main")
