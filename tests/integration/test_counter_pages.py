"""The counter journey through the pages, as a clerk and an approver click through it."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from licensing import clock
from licensing.auth.models import Role
from licensing.cases.models import Application, ApplicationStatus, Licence
from licensing.extensions import db
from tests.case_factories import calendar_loaded, enterprise_code, published_item
from tests.factories import create_test_user, login_as


@pytest.fixture
def counter(app, session):
    calendar_loaded()
    version = published_item()
    clerk = create_test_user(Role.clerk)
    approver = create_test_user(Role.approver)
    client = app.test_client()
    login_as(client, clerk)
    return client, version, clerk, approver


def _start(client, version, code, name="定州市示例商贸有限公司", token="tok-1"):
    return client.post("/applications/new", data={
        "item_code": version.code, "applicant_kind": "enterprise", "applicant_code": code,
        "applicant_name": name, "applicant_phone": "13812345678", "submission_token": token})


def test_counter_journey_to_printed_licence(app, counter):
    client, version, _, approver = counter
    response = _start(client, version, enterprise_code(41))
    assert response.status_code == 302
    application = db.session.scalar(select(Application))
    url = f"/applications/{application.public_id}"
    assert response.location.endswith(url)
    page = client.get(url).get_data(as_text=True)
    assert "一次性告知" in page and "场所平面图" in page
    assert "138****5678" in page and "13812345678" not in page

    assert client.post(f"{url}/notice").status_code == 302
    assert client.post(f"{url}/track", data={"track": "commitment"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "选择承诺方式" in page and "符合告知承诺适用条件" in page
    client.post(f"{url}/commitments", data={"mode-M1": "submitted", "mode-M2": "supplement",
                                            "mode-M3": "substitute", "mode-M4": "exempt_review"})
    page = client.get(url).get_data(as_text=True)
    assert "告知承诺书" in page
    digest = re.search(r'name="letter_digest" type="hidden" value="([0-9a-f]{64})"', page)
    assert digest, page[:2000]
    client.post(f"{url}/sign", data={"signer_name": "王五", "letter_digest": digest.group(1)})
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == ApplicationStatus.submitted

    approver_client = app.test_client()
    login_as(approver_client, approver)
    response = approver_client.post(f"{url}/decision", data={"outcome": "approve"})
    assert response.status_code == 302
    page = approver_client.get(url).get_data(as_text=True)
    assert "XZSPJ-" in page and "核查期限" in page
    licence = db.session.scalar(select(Licence))
    pdf = approver_client.get(f"{url}/licence.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert approver_client.get(f"{url}/decision.pdf").data.startswith(b"%PDF")
    letter = approver_client.get(f"{url}/letter.txt")
    assert letter.headers["X-Letter-SHA256"] == application.letter.sha256

    # double submission of the decision: the second is refused politely, nothing new made
    again = approver_client.post(f"{url}/decision", data={"outcome": "approve"},
                                 follow_redirects=True)
    assert "不能重复决定" in again.get_data(as_text=True)
    assert len(db.session.scalars(select(Licence)).all()) == 1

    # the public verification page needs no login and masks nothing it should not show
    public = app.test_client().get(f"/verify/{licence.verify_token}")
    assert public.status_code == 200 and "有效" in public.get_data(as_text=True)
    assert app.test_client().get("/verify/not-a-token").status_code == 404


def test_double_click_on_start_makes_one_application(counter):
    client, version, *_ = counter
    code = enterprise_code(42)
    first = _start(client, version, code, token="same")
    second = _start(client, version, code, token="same")
    assert first.location == second.location
    assert len(db.session.scalars(select(Application)).all()) == 1


def test_bad_credit_code_gets_chinese_error_and_nothing_saved(counter):
    client, version, *_ = counter
    response = _start(client, version, "91130682MA00000052")  # wrong check character
    assert response.status_code == 200
    assert "统一社会信用代码" in response.get_data(as_text=True)
    assert db.session.scalars(select(Application)).first() is None


def test_other_department_gets_404(app, counter):
    client, version, *_ = counter
    _start(client, version, enterprise_code(43))
    application = db.session.scalar(select(Application))
    outsider = create_test_user(Role.inspector, department_code="scjgj")
    other = app.test_client()
    login_as(other, outsider)
    assert other.get(f"/applications/{application.public_id}").status_code == 404
    # the item's supervisory department (wsjkj) may read the case
    insider = create_test_user(Role.inspector, department_code="wsjkj")
    own = app.test_client()
    login_as(own, insider)
    assert own.get(f"/applications/{application.public_id}").status_code == 200


def test_clerk_cannot_decide(app, counter):
    client, version, *_ = counter
    _start(client, version, enterprise_code(44))
    application = db.session.scalar(select(Application))
    response = client.post(f"/applications/{application.public_id}/decision",
                           data={"outcome": "approve"})
    assert response.status_code == 403


def test_full_number_view_is_audited(counter):
    from licensing.audit.models import AuditEntry

    client, version, clerk, _ = counter
    code = "130682198503150071"
    client.post("/applications/new", data={
        "item_code": version.code, "applicant_kind": "individual", "applicant_code": code,
        "applicant_name": "王小明", "applicant_phone": "13812345678", "submission_token": "r"})
    application = db.session.scalar(select(Application))
    page = client.get(f"/applications/{application.public_id}").get_data(as_text=True)
    assert code not in page and "130682********0071" in page
    revealed = client.post(f"/applications/{application.public_id}/reveal")
    assert code in revealed.get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "applicant.full_number_viewed"))
    assert entry.actor_id == clerk.id
    assert code not in str(entry.changes)


def test_approver_pauses_and_resumes_the_statutory_clock(app, counter):
    from licensing.cases.models import ClockPause

    client, version, _, approver = counter
    _start(client, version, enterprise_code(45))
    application = db.session.scalar(select(Application))
    url = f"/applications/{application.public_id}"
    client.post(f"{url}/notice")
    client.post(f"{url}/track", data={"track": "general"})
    client.post(f"{url}/accept", data={"received": ["M1", "M2", "M3", "M4"]})
    desk = app.test_client()
    login_as(desk, approver)
    refused = desk.post(f"{url}/pause", data={"reason": "expert_review"},
                        follow_redirects=True)
    assert "请填写暂停事由和日期" in refused.get_data(as_text=True)
    assert db.session.scalar(select(ClockPause)) is None
    db.session.expire_all()
    due_before = db.session.get(Application, application.id).statutory_due_on
    accepted_on = db.session.get(Application, application.id).accepted_on
    paused = desk.post(f"{url}/pause", data={"reason": "expert_review",
                                             "paused_on": accepted_on.isoformat()},
                       follow_redirects=True)
    assert "已暂停计时" in paused.get_data(as_text=True)
    resumed_on = accepted_on + timedelta(days=7)
    # a resumption is recorded on or after its day, never ahead of it (issue 19)
    with clock.freeze(datetime.combine(resumed_on, time(10), tzinfo=clock.LOCAL_TZ)):
        desk = app.test_client()  # a week later: a new session
        login_as(desk, approver)
        resumed = desk.post(f"{url}/resume", data={"resumed_on": resumed_on.isoformat()},
                            follow_redirects=True)
    assert "办理期限已顺延" in resumed.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, application.id).statutory_due_on > due_before
