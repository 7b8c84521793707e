"""The one-time notice in a real browser: read it, print it to PDF, download the server's PDF."""

from __future__ import annotations

import re

from tests.e2e.conftest import ARTIFACTS, login, screenshot


def test_public_guide_and_notice_print_to_pdf(page):
    page.goto("/guide")
    assert page.locator("tr[data-item]").count() == 32
    page.fill("input[name=q]", "公共场所卫生")
    page.click("button:has-text('搜索')")
    page.click("text=公共场所卫生许可")
    page.wait_for_url("**/guide/XK-WJ-001")
    assert page.locator("tr[data-material]").count() >= 3
    page.click("text=一次性告知书")
    page.wait_for_url("**/guide/XK-WJ-001/notice")
    assert page.locator("button[data-print]").is_visible()
    assert "承诺限期补齐补全" in page.inner_text("article.notice")
    screenshot(page, "catalogue-notice")

    page.emulate_media(media="print")
    # on paper: no navigation, no buttons; the notice itself stays
    assert not page.locator("button[data-print]").is_visible()
    assert page.locator("article.notice h1").is_visible()
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF-")
    assert len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 2  # the notice takes several pages
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "catalogue-notice-browser.pdf").write_bytes(pdf)

    page.emulate_media(media="screen")
    with page.expect_download() as download_info:
        page.evaluate("""() => {
            const a = document.createElement('a');
            a.href = '/guide/XK-WJ-001/notice.pdf';
            a.download = 'notice.pdf';
            document.body.appendChild(a);
            a.click();
        }""")
    path = download_info.value.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"


def test_print_button_opens_the_print_dialog(page):
    page.goto("/guide/XK-CG-001/notice")
    # window.print is replaced so the headless browser records the call instead of blocking
    page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed++; }; }")
    page.click("button[data-print]")
    assert page.evaluate("() => window.__printed") == 1


def test_admin_sees_the_catalogue(page):
    login(page, "admin", "demo-admin-2026")
    page.wait_for_url("**/")
    page.click("nav >> text=事项管理")
    page.wait_for_url("**/admin/catalogue")
    assert page.locator("tr[data-item]").count() == 32
    page.click("text=XK-WJ-001")
    page.wait_for_selector("text=施行中")
    screenshot(page, "catalogue-admin-item")
