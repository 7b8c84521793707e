"""Every form trims what is typed before checking it, and answers in Chinese."""

from __future__ import annotations

from sqlalchemy import select

from licensing.applicants.models import Applicant
from licensing.auth.models import Role
from licensing.extensions import db
from tests.case_factories import calendar_loaded, enterprise_code, published_item
from tests.factories import create_test_user, login_as


def _post(client, version, **fields):
    data = {"item_code": version.code, "applicant_kind": "enterprise",
            "applicant_code": enterprise_code(88), "applicant_name": "定州市修剪测试有限公司",
            "applicant_phone": "", "submission_token": "t-88"}
    data.update(fields)
    return client.post("/applications/new", data=data)


def test_a_code_pasted_with_spaces_is_trimmed_and_accepted(app, session):
    calendar_loaded()
    version = published_item()
    client = app.test_client()
    login_as(client, create_test_user(Role.clerk))
    page = client.get("/applications/new").get_data(as_text=True)
    assert 'maxlength="18"' not in page  # the browser must not cut a pasted code short
    response = _post(client, version, applicant_code=f"  {enterprise_code(88)}\u3000 ",
                     applicant_name="  定州市修剪测试有限公司  ")
    assert response.status_code == 302, response.get_data(as_text=True)[-1500:]
    applicant = db.session.scalar(select(Applicant))
    assert applicant.code == enterprise_code(88) and applicant.name == "定州市修剪测试有限公司"


def test_length_messages_are_chinese_and_count_after_trimming(app, session):
    calendar_loaded()
    version = published_item()
    client = app.test_client()
    login_as(client, create_test_user(Role.clerk))
    page = _post(client, version, applicant_name="名" * 201).get_data(as_text=True)
    assert "字段长度不能超过 200 个字符" in page
    assert "Field cannot be longer" not in page
    # 200 characters with spaces around them are 200 characters
    response = _post(client, version, applicant_name="  " + "名" * 200 + "  ",
                     submission_token="t-89")
    assert response.status_code == 302


def test_text_is_trimmed_but_passwords_keep_every_character(app):
    from werkzeug.datastructures import MultiDict

    from licensing.auth.forms import LoginForm

    with app.test_request_context():
        form = LoginForm(formdata=MultiDict({"username": "  clerk ", "password": " pw "}),
                         meta={"csrf": False})
        assert form.username.data == "clerk" and form.password.data == " pw "
        assert form.meta.locales == ("zh",)
