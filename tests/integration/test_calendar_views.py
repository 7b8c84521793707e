"""The administrators' calendar page: access, year list, upload, preview, confirm."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, date, datetime

import pytest

from licensing import clock
from licensing.auth.models import Role
from licensing.calendar import services
from tests.case_factories import synced_calendar
from tests.factories import create_test_user, login_as
from tests.integration.test_calendar import TEST_NOTICE_2027

TODAY = date(2026, 11, 29)


@pytest.fixture(autouse=True)
def _no_kept_calendar(wipe_all):
    """These tests load the calendar themselves: each starts from an empty database."""


@pytest.fixture
def synced(app, session):
    synced_calendar(TODAY)  # what ``services.sync_official_data(TODAY)`` writes, committed


@pytest.fixture
def admin_client(client, synced):
    login_as(client, create_test_user(Role.admin))
    return client


def _upload(client, text: str, name: str = "2027.yaml"):
    return client.post(
        "/admin/calendar/import",
        data={"file": (io.BytesIO(text.encode("utf-8")), name)},
        content_type="multipart/form-data",
    )


def _hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page)
    assert match, name
    return match.group(1)


def _content(page: str) -> str:
    match = re.search(r'<textarea[^>]*name="content"[^>]*>\s*(.*?)</textarea>', page, re.S)
    assert match
    return html.unescape(match.group(1))


@pytest.mark.parametrize("role", [Role.clerk, Role.approver, Role.inspector, Role.reform_office])
def test_only_administrators_see_the_page(client, synced, role):
    login_as(client, create_test_user(role))
    assert client.get("/admin/calendar/").status_code == 403
    assert _upload(client, TEST_NOTICE_2027).status_code == 403


def test_anonymous_is_sent_to_login(client, synced):
    response = client.get("/admin/calendar/")
    assert response.status_code == 302 and "/login" in response.location


def test_index_lists_years_with_status(admin_client):
    page = admin_client.get("/admin/calendar/").get_data(as_text=True)
    assert "各年份状态" in page
    assert re.search(r"2027</td>\s*<td[^>]*><span class=\"badge badge-warn\">暂定", page)
    assert re.search(r"2026</td>\s*<td[^>]*><span class=\"badge badge-ok\">正式", page)
    year_page = admin_client.get("/admin/calendar/2026").get_data(as_text=True)
    assert "2026-02-14" in year_page and "调休上班" in year_page
    assert admin_client.get("/admin/calendar/1990").status_code == 404


def test_invalid_upload_shows_chinese_problems(admin_client):
    response = _upload(admin_client, TEST_NOTICE_2027.replace("2027-02-20", "2027-02-22"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "文件未通过校验" in page and "2027-02-22（周一）不是周末" in page
    assert services.current_version() == 1


def test_upload_preview_confirm(admin_client, session):
    response = _upload(admin_client, TEST_NOTICE_2027)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "导入预览" in page and "工作日变化 <strong>3</strong> 天" in page
    assert "2027-02-20" in page and "确认导入" in page
    assert services.current_version() == 1  # the preview wrote nothing

    data = {"content": _content(page), "sha256": _hidden(page, "sha256"),
            "base_version": _hidden(page, "base_version")}
    confirmed = admin_client.post("/admin/calendar/import/confirm", data=data)
    assert confirmed.status_code == 302
    assert services.current_version() == 2
    assert "已导入2027年的节假日安排" in admin_client.get("/admin/calendar/").get_data(
        as_text=True)

    # Confirming the same file again changes nothing.
    again = admin_client.post("/admin/calendar/import/confirm", data=data)
    assert again.status_code == 302 and services.current_version() == 2


def test_confirm_after_the_calendar_changed_is_refused(admin_client, session):
    page = _upload(admin_client, TEST_NOTICE_2027).get_data(as_text=True)
    data = {"content": _content(page), "sha256": _hidden(page, "sha256"),
            "base_version": _hidden(page, "base_version")}
    # Meanwhile another administrator loads a different arrangement for 2027.
    other = services.read_notice_file(TEST_NOTICE_2027.replace("2027-10-05", "2027-10-07"))
    services.import_notice(other)
    session.commit()
    response = admin_client.post("/admin/calendar/import/confirm", data=data)
    assert response.status_code == 409
    assert "请重新上传并预览" in response.get_data(as_text=True)
    assert services.current_version() == 2


def test_confirm_with_altered_content_is_refused(admin_client):
    page = _upload(admin_client, TEST_NOTICE_2027).get_data(as_text=True)
    data = {"content": _content(page).replace("2027-10-05", "2027-10-07"),
            "sha256": _hidden(page, "sha256"), "base_version": _hidden(page, "base_version")}
    response = admin_client.post("/admin/calendar/import/confirm", data=data)
    assert response.status_code == 422
    assert services.current_version() == 1


def test_home_panel_warns_administrators_from_december_first(app, synced):
    admin = create_test_user(Role.admin)
    pages = []
    for day in (29, 1):
        month = 11 if day == 29 else 12
        with clock.freeze(datetime(2026, month, day, 4, tzinfo=UTC)):
            client = app.test_client()
            login_as(client, admin)
            pages.append(client.get("/").get_data(as_text=True))
    quiet, warned = pages
    assert "节假日安排管理" in quiet
    assert "2027年的国务院节假日安排通知尚未导入" not in quiet
    assert "2027年的国务院节假日安排通知尚未导入" in warned
