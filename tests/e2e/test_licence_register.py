"""A licence as a legal record in a real browser: issued, renamed elsewhere, found in the
public register unchanged, and cancelled from its own page."""

from __future__ import annotations

from tests.case_factories import enterprise_code
from tests.e2e.conftest import login, screenshot

NAME = "定州市登记簿测试食品有限公司"
CODE = enterprise_code(9161)


def _start(page, name: str):
    page.goto("/applications/new")
    page.select_option("select[name=item_code]", "XK-WJ-001")
    page.check("input[name=applicant_kind][value=enterprise]")
    page.fill("input[name=applicant_code]", CODE)
    page.fill("input[name=applicant_name]", name)
    page.fill("input[name=applicant_phone]", "13912345678")
    page.click("button:has-text('下一步')")
    page.wait_for_selector("#notice")


def test_register_search_and_cancellation(page):
    login(page, "approver", "demo-approver-2026")
    _start(page, NAME)
    page.click("button:has-text('已一次性告知')")
    page.wait_for_selector("#track")
    page.click("button:has-text('一般程序')")
    page.wait_for_selector("#materials")
    for box in page.locator("input[name=received]").all():
        box.check()
    page.click("button:has-text('材料齐全，受理')")
    page.wait_for_selector("text=已受理")
    page.click("button:has-text('准予许可并发证')")
    page.wait_for_selector("#licence-number")
    number = page.inner_text("#licence-number")

    # a new draft for the same company with a mistyped name renames the applicant, not the licence
    _start(page, NAME + "（打错了）")

    # the public register, without login
    context = page.context.browser.new_context(base_url=page.url.split("/applications")[0],
                                               locale="zh-CN")
    public = context.new_page()
    public.goto("/register")
    public.fill("input[name=q]", "登记簿测试")
    public.click("button:has-text('查询')")
    public.wait_for_selector("#register-results")
    row = public.inner_text("#register-results tbody")
    assert number in row and NAME in row and "打错了" not in row and "有效" in row
    screenshot(public, "register-search")
    public.fill("input[name=q]", number)
    public.click("button:has-text('查询')")
    public.wait_for_selector("#register-results")
    assert public.locator("#register-results tbody tr").count() == 1

    # the approver cancels it on the holder's request; the register shows it
    page.goto(f"/licences/{number}")
    assert page.inner_text("#holder-name") == NAME
    page.select_option("select[name=reason]", "surrender")
    page.fill("#cancel-form input[name=note]", "持证人书面申请注销")
    page.click("button:has-text('注销许可证')")
    page.wait_for_selector("text=已注销")
    public.reload()
    assert "已注销" in public.inner_text("#register-results tbody")
    context.close()
