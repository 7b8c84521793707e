"""A live server with demo data, and a headless Chromium page driving it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from licensing import create_app
from licensing.demo import load_all
from licensing.extensions import db
from tests.conftest import make_settings
from tests.e2e.browser import LAUNCH_ARGS, chromium_path, must_run
from tests.oidc_fake_idp import idp_settings

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory, fake_idp, suite_date) -> Iterator[str]:
    """Serve the app with demo data on 127.0.0.1 (a random port); yield its base URL.

    Applicants sign in through the suite's fake identity platform. The demo data is loaded on
    the test date (``suite_date``: served again on each date of ``--test-dates``).
    """
    tmp = tmp_path_factory.mktemp("live")
    settings = make_settings(f"sqlite:///{tmp / 'live.db'}", tmp, csrf_enabled=True,
                             **idp_settings(fake_idp))
    app = create_app(settings)
    with app.app_context():
        db.create_all()
        load_all()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright (skipped, or failed in CI, if absent)."""
    path = chromium_path()
    if path is None:
        if must_run():
            pytest.fail("Chromium is required in CI for the end-to-end tests")
        pytest.skip("Chromium is not installed: end-to-end tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=LAUNCH_ARGS,
                                              headless=True)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context and page (desktop size)."""
    context = browser.new_context(base_url=live_server, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def phone_page(browser, live_server):
    """A fresh browser context with a phone-sized screen."""
    context = browser.new_context(base_url=live_server, locale="zh-CN",
                                  viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def login(page, username: str, password: str) -> None:
    """Log in through the login form."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def screenshot(page, name: str) -> Path:
    """Save a screenshot under test-artifacts/ for a person to look at."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
