"""A counter's day in a real browser: paper signing, the case number, the general track's
three notices, withdrawal, and the approver's waiting list."""

from __future__ import annotations

from tests.case_factories import enterprise_code
from tests.e2e.conftest import login, screenshot

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _logout(page):
    page.click("text=退出")
    page.wait_for_url("**/login")


def _start(page, seed: int, name: str) -> str:
    page.goto("/applications/new")
    page.select_option("select[name=item_code]", "XK-WJ-001")
    page.check("input[name=applicant_kind][value=enterprise]")
    page.fill("input[name=applicant_code]", enterprise_code(seed))
    page.fill("input[name=applicant_name]", name)
    page.click("button:has-text('下一步')")
    page.wait_for_selector("#notice")
    number = page.inner_text("#case-number")
    page.click("button:has-text('已一次性告知')")
    page.wait_for_selector("#track")
    return number


def test_paper_signing_case_number_and_the_approvers_waiting_list(page, live_server):
    login(page, "clerk", "demo-clerk-2026")
    number = _start(page, 9101, "定州市纸质签署测试有限公司")
    assert number.startswith("SL")
    page.click("button:has-text('告知承诺制')")
    page.wait_for_selector("#commitments")
    page.click("button:has-text('生成承诺书')")
    page.wait_for_selector("#letter")
    # the clerk goes back and changes a mode before signing
    page.click("#change-modes summary")
    first = page.locator("#change-modes select").first
    first.select_option("submitted")
    page.click("button:has-text('按新的承诺方式重新生成承诺书')")
    page.wait_for_selector("#letter")
    # the letter prints as a PDF
    response = page.request.get(page.get_attribute("#letter-pdf", "href"))
    assert response.ok and response.body().startswith(b"%PDF")
    page.fill("#paper-signer-name", "赵六")
    page.fill("#paper-signer-id", "13068219850715431X")
    page.set_input_files("#scan", files=[{"name": "原件.png", "mimeType": "image/png",
                                          "buffer": PNG}])
    page.click("button:has-text('已收回签署原件')")
    page.wait_for_selector("#paper-original")
    flash = page.inner_text(".flash-success")
    assert number in flash and "审批人员" in flash
    assert "纸质签署" in page.inner_text("#letter-signed")
    assert page.inner_text("#scan-sha256")
    screenshot(page, "counter-paper-signed")
    # the case number finds the case
    page.goto("/applications")
    page.fill("#q", number.replace("-", ""))
    page.click("button:has-text('筛选')")
    assert page.locator(f"text={number}").count() == 1
    _logout(page)

    login(page, "approver", "demo-approver-2026")
    assert "待决定" in page.inner_text("#mainnav")
    page.click("#mainnav >> text=待决定")
    page.wait_for_selector("#waiting-list")
    screenshot(page, "approver-waiting-list")
    page.click(f"#waiting-list >> text={number}")
    page.wait_for_selector("#decision")
    page.goto("/notifications")
    assert number in page.inner_text("main")


def test_general_track_notices_and_withdrawal(page):
    login(page, "clerk", "demo-clerk-2026")
    _start(page, 9102, "定州市一般程序测试有限公司")
    page.click("button:has-text('一般程序')")
    page.wait_for_selector("#materials")
    # 补正材料通知书: everything missing at once
    page.click("#correction summary")
    page.locator("#correction input[name=missing]").first.check()
    page.click("button:has-text('出具补正材料通知书')")
    page.wait_for_selector("#documents")
    assert "补正材料通知书" in page.inner_text("#documents")
    pdf = page.request.get(page.get_attribute("#documents a", "href"))
    assert pdf.ok and pdf.body().startswith(b"%PDF")
    # materials complete: 受理通知书
    for box in page.locator("#materials form >> nth=0 >> input[name=received]").all():
        box.check()
    page.click("button:has-text('材料齐全，受理')")
    page.wait_for_selector("text=受理通知书")
    assert "已受理" in page.inner_text("#case-status")
    screenshot(page, "counter-general-accepted")

    # 不予受理决定书 with the reason
    _start(page, 9103, "定州市不予受理测试有限公司")
    page.click("button:has-text('一般程序')")
    page.wait_for_selector("#materials")
    page.click("#not-accept summary")
    page.fill("#not-accept-reason", "申请事项依法不需要取得行政许可")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button:has-text('作出不予受理决定')")
    page.wait_for_selector("#documents")
    assert "不予受理决定书" in page.inner_text("#documents")
    assert "不予受理" in page.inner_text("#case-status")

    # withdrawal of a draft, with a reason
    number = _start(page, 9104, "定州市撤回测试有限公司")
    page.click("#withdraw summary")
    page.fill("#withdraw-reason", "申请人决定暂不办理")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#withdraw button:has-text('撤回申请')")
    page.wait_for_selector("#withdrawn")
    page.goto("/applications?status=withdrawn")
    assert number in page.inner_text("main")
    screenshot(page, "counter-withdrawn")
