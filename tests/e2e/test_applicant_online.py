"""A new online applicant in a real browser: sign-in through the (fake) identity platform,
linking to the company they lead, an online application, and their own list."""

from __future__ import annotations

from tests.e2e.conftest import screenshot
from tests.oidc_fake_idp import new_person


def test_new_applicant_signs_in_links_and_applies(page, fake_idp):
    person = new_person(fake_idp, represents=9301, name="孙网申")
    company = person["companies"][0]
    page.goto("/login")
    page.click("#oidc-login")
    # at the identity platform
    page.wait_for_selector("#idp-approve")
    assert page.inner_text("#idp-person") == "孙网申"
    page.click("#idp-approve")
    # back, signed in, not linked yet
    page.wait_for_url("**/account/companies")
    assert "还没有关联企业" in page.inner_text("#no-company")
    page.click("button:has-text('关联该企业')")
    page.wait_for_selector("#my-companies")
    assert company["name"] in page.inner_text("#my-companies")
    assert "法定代表人本人" in page.inner_text("#my-companies")
    screenshot(page, "applicant-linked")
    # an online application for the company
    page.click("text=网上申请")
    page.wait_for_url("**/applications/new")
    assert company["name"] in page.inner_text("main")
    page.select_option("select[name=item_code]", "XK-WJ-001")
    page.click("button:has-text('下一步')")
    page.wait_for_selector("#notice")
    number = page.inner_text("#case-number")
    assert number.startswith("SL")
    page.click("button:has-text('我已阅读')")
    page.wait_for_selector("#track")
    page.click("button:has-text('告知承诺制')")
    page.wait_for_selector("#commitments")
    page.click("button:has-text('生成承诺书')")
    page.wait_for_selector("#letter")
    assert company["name"] in page.inner_text("pre.letter")
    page.fill("input[name=signer_name]", "孙网申")
    page.fill("input[name=signer_id_number]", person["id_number"])
    page.click("button:has-text('确认签署并提交')")
    page.wait_for_selector("text=承诺书已签署")
    screenshot(page, "applicant-applied")
    # it is in the applicant's own list
    page.goto("/applications")
    listing = page.inner_text("main")
    assert number in listing and company["name"] in listing


def test_refusing_at_the_platform_shows_a_chinese_page(page, fake_idp):
    new_person(fake_idp)
    page.goto("/login")
    page.click("#oidc-login")
    page.click("#idp-deny")
    page.wait_for_selector("[data-code=oidc_denied]")
    assert "取消了授权" in page.inner_text("main")
    assert page.locator("a:has-text('返回登录页')").is_visible()
