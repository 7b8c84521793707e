"""Credit pages: who may see and do what, the forms, the push queue."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from licensing import clock
from licensing.audit.models import AuditEntry
from licensing.auth.models import Role
from licensing.credit.models import (
    CreditCheck,
    CreditObjection,
    CreditRecordStatus,
    CreditRecordType,
    ObjectionStatus,
    OutboxMessage,
    OutboxStatus,
)
from licensing.credit.services import file_objection, record_commitment_event
from tests.credit_fake_platform import credit_record, make_applicant
from tests.factories import create_test_user, login_as

T = CreditRecordType
VIEWERS = {Role.clerk, Role.approver, Role.inspector, Role.head, Role.reform_office, Role.admin}
EDITORS = {Role.approver, Role.admin}
CHECKERS = {Role.clerk, Role.approver, Role.admin}


@pytest.fixture
def world(session):
    applicant = make_applicant("individual", name="王五")
    record = credit_record(applicant, T.serious_dishonesty, start_on=date(2025, 5, 5))
    disputed = credit_record(applicant, T.false_commitment, start_on=date(2025, 6, 6))
    objection = file_objection(disputed, "认定有误")
    event = record_commitment_event(applicant, "commitment_made", "case:pages", {})
    session.commit()
    return {"applicant": applicant.id, "record": record.id, "objection": objection.id,
            "message": event.message.id}


ENDPOINTS = [
    ("GET", "/credit/", VIEWERS),
    ("GET", "/credit/applicants/{applicant}", VIEWERS),
    ("POST", "/credit/applicants/{applicant}/check", CHECKERS),
    ("GET", "/credit/records/{record}/repair", EDITORS),
    ("POST", "/credit/records/{record}/repair", EDITORS),
    ("GET", "/credit/records/{record}/objection", EDITORS),
    ("GET", "/credit/objections/{objection}/resolve", EDITORS),
    ("GET", "/credit/outbox", {Role.admin}),
    ("POST", "/credit/outbox/{message}/retry", {Role.admin}),
]


@pytest.mark.parametrize("role", [None, *Role])
def test_access_matrix(app, world, role):
    """Every credit endpoint for every role: anonymous → login, others → 403 unless allowed."""
    client = app.test_client()
    if role is not None:
        login_as(client, create_test_user(role))
    for method, path, allowed in ENDPOINTS:
        url = path.format(**world)
        response = client.get(url) if method == "GET" else client.post(url, data={})
        where = (role, method, path, response.status_code)
        if role is None:
            assert response.status_code == 302 and "/login" in response.location, where
        elif role in allowed:
            assert response.status_code in (200, 302, 422), where
        else:
            assert response.status_code == 403, where


def test_applicant_page_masks_the_id_number_and_names_the_records(client, world, session):
    login_as(client, create_test_user(Role.inspector))
    page = client.get(f"/credit/applicants/{world['applicant']}").get_data(as_text=True)
    from licensing.applicants.models import Applicant

    applicant = session.get(Applicant, world["applicant"])
    assert applicant.code not in page and applicant.masked_code in page
    assert "严重失信" in page and "异议处理中" in page and "D级" in page
    assert "/repair" not in page and "/objection" not in page  # inspectors only read


def test_search_by_code_goes_to_the_applicant(client, world, session):
    from licensing.applicants.models import Applicant

    login_as(client, create_test_user(Role.clerk))
    applicant = session.get(Applicant, world["applicant"])
    response = client.get("/credit/", query_string={"q": applicant.code.lower()})
    assert response.status_code == 302
    assert response.location.endswith(f"/credit/applicants/{applicant.id}")
    listing = client.get("/credit/", query_string={"q": "王"}).get_data(as_text=True)
    assert "王五" in listing and applicant.code not in listing


def test_approver_repairs_a_record_through_the_form(client, world, session):
    approver = create_test_user(Role.approver)
    login_as(client, approver)
    url = f"/credit/records/{world['record']}/repair"
    refused = client.post(url, data={"repaired_on": "2031-01-01", "basis": "决定书"})
    assert refused.status_code == 422 and "不能晚于今天" in refused.get_data(as_text=True)
    done = client.post(url, data={"repaired_on": "2026-01-10", "basis": "冀信修〔2026〕3号"})
    assert done.status_code == 302
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "credit.record.repaired"))
    assert entry.actor_id == approver.id and entry.changes["repair_basis"] == "冀信修〔2026〕3号"
    from licensing.credit.models import CreditRecord

    assert session.get(CreditRecord, world["record"]).status == CreditRecordStatus.repaired


def test_objection_filed_and_resolved_through_the_forms(client, world, session):
    login_as(client, create_test_user(Role.admin))
    response = client.post(f"/credit/records/{world['record']}/objection",
                           data={"reason": "主体认定错误",
                                 "filed_on": clock.local_today().isoformat()})
    assert response.status_code == 302
    objection = session.scalar(select(CreditObjection).where(
        CreditObjection.record_id == world["record"]))
    again = client.post(f"/credit/records/{world['record']}/objection",
                        data={"reason": "再次", "filed_on": clock.local_today().isoformat()})
    assert again.status_code == 422 and "已有正在处理的异议" in again.get_data(as_text=True)
    response = client.post(f"/credit/objections/{objection.id}/resolve",
                           data={"outcome": "upheld", "resolution": "经核查予以撤销"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(CreditObjection, objection.id).status == ObjectionStatus.upheld


def test_clerk_runs_a_check_from_the_page(client, world, session):
    clerk = create_test_user(Role.clerk)
    login_as(client, clerk)
    response = client.post(f"/credit/applicants/{world['applicant']}/check",
                           follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "不符合适用告知承诺制的信用条件" in page and "严重失信" in page
    check = session.scalar(select(CreditCheck))
    assert check.checked_by_id == clerk.id and not check.eligible


def test_outbox_page_and_retry_button(client, world, session):
    admin = create_test_user(Role.admin)
    message = session.get(OutboxMessage, world["message"])
    message.status = OutboxStatus.failed
    message.attempts = 3
    message.last_error = "信用平台拒收（HTTP 422）"
    session.commit()
    login_as(client, admin)
    page = client.get("/credit/outbox").get_data(as_text=True)
    assert "信用平台拒收（HTTP 422）" in page and "立即重试" in page
    home = client.get("/").get_data(as_text=True)
    assert "信用信息推送" in home and "被拒收或长时间未送达" in home
    response = client.post(f"/credit/outbox/{message.id}/retry")
    assert response.status_code == 302
    session.expire_all()
    assert session.get(OutboxMessage, message.id).status == OutboxStatus.pending
    entry = session.scalar(select(AuditEntry).where(
        AuditEntry.action == "credit.outbox.retry_requested"))
    assert entry.actor_id == admin.id


def test_navigation_entries(client, world):
    login_as(client, create_test_user(Role.head))
    page = client.get("/").get_data(as_text=True)
    assert "信用记录" in page and "信用推送队列" not in page
