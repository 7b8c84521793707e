"""A counter's first day: case numbers, paper signing, changing modes, the general track's
notices, withdrawal, and the approver's waiting list."""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from datetime import datetime
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from licensing import clock
from licensing.audit.models import AuditEntry
from licensing.auth.models import Role
from licensing.cases.models import (
    Application,
    ApplicationStatus,
    CaseDocument,
    CaseDocumentKind,
    SigningMethod,
    normalise_case_number,
)
from licensing.extensions import db
from licensing.notifications.models import Notification
from tests.case_factories import calendar_loaded, enterprise_code, published_item
from tests.factories import create_test_user, login_as

SHANGHAI = ZoneInfo("Asia/Shanghai")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def counter(app, session):
    calendar_loaded()
    version = published_item()
    clerk = create_test_user(Role.clerk)
    approver = create_test_user(Role.approver)
    client = app.test_client()
    login_as(client, clerk)
    return client, version, clerk, approver


def _start(client, version, seed=51, token="tok"):
    response = client.post("/applications/new", data={
        "item_code": version.code, "applicant_kind": "enterprise",
        "applicant_code": enterprise_code(seed), "applicant_name": "定州市窗口示例有限公司",
        "applicant_phone": "13812345678", "submission_token": f"{token}{seed}"})
    assert response.status_code == 302
    application = db.session.scalar(
        select(Application).order_by(Application.id.desc()).limit(1))
    return application, f"/applications/{application.public_id}"


def _to_letter(client, url, modes=None):
    client.post(f"{url}/notice")
    client.post(f"{url}/track", data={"track": "commitment"})
    client.post(f"{url}/commitments", data=modes or {
        "mode-M1": "submitted", "mode-M2": "supplement", "mode-M3": "substitute",
        "mode-M4": "exempt_review"})
    page = client.get(url).get_data(as_text=True)
    digest = re.search(r'id="paper-letter-digest" name="letter_digest" type="hidden" '
                       r'value="([0-9a-f]{64})"', page)
    assert digest, page
    return page, digest.group(1)


def _actions(application_id):
    return [e.action for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "application",
                                 AuditEntry.object_id == str(application_id))
        .order_by(AuditEntry.id))]


# --- the case number ----------------------------------------------------------------------


def test_case_number_is_readable_unique_shown_and_searchable(counter):
    client, version, _, _ = counter
    first, url = _start(client, version, seed=52)
    second, _ = _start(client, version, seed=53)
    assert re.fullmatch(r"SL2026-\d{6}", first.case_number)
    assert first.case_number != second.case_number
    assert first.case_number in client.get(url).get_data(as_text=True)
    for typed in (first.case_number, " " + first.case_number.replace("-", "") + " ",
                  first.case_number.lower(), first.case_number[2:].replace("-", " ")):
        listing = client.get("/applications", query_string={"q": typed}).get_data(as_text=True)
        assert first.public_id in listing and second.public_id not in listing, typed


def test_normalise_case_number():
    assert normalise_case_number("SL2026-000123") == "SL2026-000123"
    assert normalise_case_number(" sl2026000123 ") == "SL2026-000123"
    assert normalise_case_number("2026-000123") == "SL2026-000123"
    assert normalise_case_number("XZSPJ-2026-000123") is None
    assert normalise_case_number("定州市") is None
    assert normalise_case_number("２０２６０００１２３") is None  # full-width digits: a name


# --- paper signing and changing modes -----------------------------------------------------


def test_letter_pdf_before_signing_then_paper_original_with_scan(counter):
    client, version, clerk, _ = counter
    application, url = _start(client, version)
    page, digest = _to_letter(client, url)
    assert "打印承诺书" in page and "纸质签署" in page
    pdf = client.get(f"{url}/letter.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")

    response = client.post(f"{url}/sign-paper", data={
        "original_signer_name": "王五", "letter_digest": digest,
        "scan": (io.BytesIO(PNG), "原件.png")}, content_type="multipart/form-data",
        follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "已收回" in text and application.case_number in text
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    letter = application.letter
    assert application.status == ApplicationStatus.submitted
    assert letter.signing_method == SigningMethod.paper
    assert letter.sha256 == digest  # the stored text is the one printed
    assert hashlib.sha256(letter.text.encode()).hexdigest() == digest
    assert letter.scan_sha256 == hashlib.sha256(PNG).hexdigest()
    assert letter.original_received_dt is not None and letter.recorded_by_id == clerk.id
    scan = client.get(f"{url}/letter-scan")
    assert scan.status_code == 200 and scan.data == PNG
    audit = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "application.letter_signed"))
    assert audit.changes["method"] == "paper"
    assert audit.changes["scan_sha256"] == letter.scan_sha256


def test_paper_signing_without_scan_and_with_a_stale_print(counter):
    client, version, _, _ = counter
    application, url = _start(client, version)
    _, digest = _to_letter(client, url)
    # the modes change after printing: the old print no longer matches, nothing is stored
    client.post(f"{url}/commitments", data={"mode-M1": "submitted", "mode-M2": "submitted",
                                            "mode-M3": "substitute", "mode-M4": "substitute"})
    response = client.post(f"{url}/sign-paper", data={"original_signer_name": "王五",
                                                      "letter_digest": digest},
                           follow_redirects=True)
    assert "承诺书内容已发生变化" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, application.id).letter is None
    _, fresh = _to_letter(client, url, {"mode-M1": "submitted", "mode-M2": "submitted",
                                        "mode-M3": "substitute", "mode-M4": "substitute"})
    client.post(f"{url}/sign-paper", data={"original_signer_name": "王五",
                                           "letter_digest": fresh})
    db.session.expire_all()
    letter = db.session.get(Application, application.id).letter
    assert letter.signing_method == SigningMethod.paper and letter.scan_sha256 is None


def test_a_refused_scan_keeps_the_case_a_draft(counter):
    client, version, _, _ = counter
    application, url = _start(client, version)
    _, digest = _to_letter(client, url)
    response = client.post(f"{url}/sign-paper", data={
        "original_signer_name": "王五", "letter_digest": digest,
        "scan": (io.BytesIO(b"not an image"), "x.txt")}, content_type="multipart/form-data",
        follow_redirects=True)
    assert "只能上传照片" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == ApplicationStatus.draft


def test_an_agent_signs_with_an_uploaded_power_of_attorney(counter):
    """工作方案 point 8: an agent's power of attorney is a material, uploaded and checked."""
    client, version, _, _ = counter
    application, url = _start(client, version)
    page, digest = _to_letter(client, url)
    assert 'name="power_of_attorney_file"' in page
    assert 'name="paper_power_of_attorney_file"' in page
    agent = {"signer_name": "赵六", "capacity": "agent",
             "signer_id_number": "11010519491231002X", "letter_digest": digest}
    # without the file, or with a file that is not a photo or PDF: refused, still a draft
    for extra, message in (({}, "须上传授权委托书"),
                           ({"power_of_attorney_file": (io.BytesIO(b"text"), "委托书.txt")},
                            "只能上传照片")):
        response = client.post(f"{url}/sign", data={**agent, **extra},
                               content_type="multipart/form-data", follow_redirects=True)
        assert message in response.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Application, application.id).letter is None
    response = client.post(f"{url}/sign", data={
        **agent, "power_of_attorney_file": (io.BytesIO(PNG), "授权委托书.png")},
        content_type="multipart/form-data", follow_redirects=True)
    page = response.get_data(as_text=True)
    db.session.expire_all()
    letter = db.session.get(Application, application.id).letter
    assert letter.power_of_attorney_sha256 == hashlib.sha256(PNG).hexdigest()
    assert letter.power_of_attorney == "授权委托书.png"
    assert 'id="power-of-attorney"' in page and "授权委托书.png" in page
    download = client.get(f"{url}/power-of-attorney")
    assert download.status_code == 200 and download.data == PNG

    # on paper at the counter: the same rule
    other, other_url = _start(client, version, seed=61)
    _, digest = _to_letter(client, other_url)
    paper = {"original_signer_name": "赵六", "paper_capacity": "agent",
             "paper_signer_id_number": "11010519491231002X", "letter_digest": digest}
    response = client.post(f"{other_url}/sign-paper", data=paper,
                           content_type="multipart/form-data", follow_redirects=True)
    assert "须上传授权委托书" in response.get_data(as_text=True)
    client.post(f"{other_url}/sign-paper", data={
        **paper, "paper_power_of_attorney_file": (io.BytesIO(PNG), "委托书.png")},
        content_type="multipart/form-data")
    db.session.expire_all()
    letter = db.session.get(Application, other.id).letter
    assert letter.signing_method == SigningMethod.paper
    assert letter.power_of_attorney_sha256 == hashlib.sha256(PNG).hexdigest()


def test_clerk_changes_modes_after_the_letter_was_generated(counter):
    client, version, _, _ = counter
    application, url = _start(client, version)
    page, _ = _to_letter(client, url)
    assert "修改承诺方式" in page and 'id="change-mode-M2"' in page
    assert "承诺限期补齐补全" in page.split('<pre class="letter">')[1].split("</pre>")[0]
    client.post(f"{url}/commitments", data={"mode-M1": "submitted", "mode-M2": "submitted",
                                            "mode-M3": "substitute", "mode-M4": "substitute"})
    page = client.get(url).get_data(as_text=True)
    letter = page.split('<pre class="letter">')[1].split("</pre>")[0]
    assert "承诺限期补齐补全" not in letter and "承诺代替申请材料" in letter
    assert _actions(application.id).count("application.commitments_set") == 2


def test_applicant_cannot_record_a_paper_signature(app, counter):
    client, version, _, _ = counter
    _, url = _start(client, version)
    _, digest = _to_letter(client, url)
    applicant_user = create_test_user(Role.applicant)
    other = app.test_client()
    login_as(other, applicant_user)
    assert other.post(f"{url}/sign-paper", data={"original_signer_name": "王五",
                                                 "letter_digest": digest}).status_code in (403,
                                                                                          404)


# --- who decides next ---------------------------------------------------------------------


def test_after_signing_the_approver_is_named_notified_and_sees_the_waiting_list(app, counter):
    client, version, _, approver = counter
    application, url = _start(client, version)
    _, digest = _to_letter(client, url)
    response = client.post(f"{url}/sign", data={"signer_name": "王五", "letter_digest": digest},
                           follow_redirects=True)
    text = response.get_data(as_text=True)
    assert approver.display_name in text and "当场作出决定" in text
    notification = db.session.scalar(select(Notification).where(
        Notification.user_id == approver.id))
    assert notification is not None and application.case_number in notification.title
    assert notification.link == url

    approver_client = app.test_client()
    login_as(approver_client, approver)
    waiting = approver_client.get("/applications/waiting").get_data(as_text=True)
    assert application.case_number in waiting and "待决定" in waiting
    approver_client.post(f"{url}/decision", data={"outcome": "approve"})
    waiting = approver_client.get("/applications/waiting").get_data(as_text=True)
    assert application.case_number not in waiting
    # clerks have no waiting list of their own (they do not decide)
    assert client.get("/applications/waiting").status_code == 403


# --- withdrawal ---------------------------------------------------------------------------


def test_withdraw_a_draft_with_a_reason(counter):
    client, version, _, _ = counter
    application, url = _start(client, version)
    response = client.post(f"{url}/withdraw", data={"reason": "  "}, follow_redirects=True)
    assert "请填写撤回理由" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == ApplicationStatus.draft
    client.post(f"{url}/withdraw", data={"reason": "申请人改日再来办理"})
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.status == ApplicationStatus.withdrawn
    assert application.withdrawal_reason == "申请人改日再来办理"
    assert "application.withdrawn" in _actions(application.id)
    listing = client.get("/applications", query_string={"status": "withdrawn"})
    assert application.case_number in listing.get_data(as_text=True)
    assert "申请人改日再来办理" in client.get(url).get_data(as_text=True)


def test_withdraw_a_submitted_application_but_not_a_decided_one(app, counter):
    client, version, _, approver = counter
    application, url = _start(client, version)
    _, digest = _to_letter(client, url)
    client.post(f"{url}/sign", data={"signer_name": "王五", "letter_digest": digest})
    client.post(f"{url}/withdraw", data={"reason": "不再经营"})
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == ApplicationStatus.withdrawn

    other, other_url = _start(client, version, seed=61)
    _, digest = _to_letter(client, other_url)
    client.post(f"{other_url}/sign", data={"signer_name": "王五", "letter_digest": digest})
    approver_client = app.test_client()
    login_as(approver_client, approver)
    approver_client.post(f"{other_url}/decision", data={"outcome": "approve"})
    response = client.post(f"{other_url}/withdraw", data={"reason": "不再经营"},
                           follow_redirects=True)
    assert "已作出决定的申请不能撤回" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Application, other.id).status == ApplicationStatus.approved


# --- the general track's three notices ----------------------------------------------------


def _to_general(client, url):
    client.post(f"{url}/notice")
    client.post(f"{url}/track", data={"track": "general"})


def test_acceptance_notice_is_issued_and_kept(counter):
    client, version, _, approver = counter
    application, url = _start(client, version)
    _to_general(client, url)
    client.post(f"{url}/accept", data={"received": ["M1", "M2", "M3", "M4"]})
    document = db.session.scalar(select(CaseDocument))
    assert document.kind == CaseDocumentKind.acceptance_notice
    assert document.facts["case_number"] == application.case_number
    assert hashlib.sha256(document.pdf).hexdigest() == document.sha256
    served = client.get(f"{url}/documents/{document.id}.pdf")
    assert served.status_code == 200 and served.data == document.pdf
    assert "受理通知书" in client.get(url).get_data(as_text=True)
    assert db.session.scalar(select(Notification).where(Notification.user_id == approver.id))


def test_correction_notice_lists_everything_missing_at_once(counter):
    client, version, _, _ = counter
    application, url = _start(client, version)
    _to_general(client, url)
    response = client.post(f"{url}/correction", data={"note": ""}, follow_redirects=True)
    assert "请勾选需要补正的全部材料" in response.get_data(as_text=True)
    client.post(f"{url}/correction", data={"missing": ["M2", "M3"], "note": "平面图须盖章"})
    document = db.session.scalar(select(CaseDocument))
    assert document.kind == CaseDocumentKind.correction_notice
    assert document.facts["missing"] == ["场所平面图", "从业人员健康证明"]
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == ApplicationStatus.draft
    # once complete, the same case is accepted
    client.post(f"{url}/accept", data={"received": ["M1", "M2", "M3", "M4"]})
    db.session.expire_all()
    assert db.session.get(Application, application.id).status == ApplicationStatus.accepted


def test_correction_notice_after_five_working_days_is_refused(app, counter):
    from licensing.cases import services
    from licensing.errors import ValidationFailed

    client, version, _, _ = counter
    application, url = _start(client, version)
    _to_general(client, url)
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    application.created_dt = datetime(2026, 11, 18, 2, 0, tzinfo=ZoneInfo("UTC"))
    db.session.flush()
    # received Wednesday 11-18: the five working days end on Wednesday 11-25
    with clock.freeze(datetime(2026, 11, 25, 17, 0, tzinfo=SHANGHAI)):
        assert services.issue_correction_notice(application, ["M2"]).kind == \
            CaseDocumentKind.correction_notice
    with clock.freeze(datetime(2026, 11, 26, 9, 0, tzinfo=SHANGHAI)), \
            pytest.raises(ValidationFailed) as refused:
        services.issue_correction_notice(application, ["M3"])
    assert refused.value.code == "correction_notice_late"
    assert "5 个工作日内（2026-11-25 前）" in refused.value.message


def test_not_accepted_with_reason_and_remedies(counter):
    client, version, _, _ = counter
    application, url = _start(client, version)
    _to_general(client, url)
    client.post(f"{url}/not-accept", data={"reason": "申请事项不属于本机关职权范围"})
    db.session.expire_all()
    application = db.session.get(Application, application.id)
    assert application.status == ApplicationStatus.not_accepted
    document = db.session.scalar(select(CaseDocument))
    assert document.kind == CaseDocumentKind.refusal_decision
    assert document.facts["reason"] == "申请事项不属于本机关职权范围"
    assert "application.not_accepted" in _actions(application.id)
    page = client.get(url).get_data(as_text=True)
    assert "不予受理决定书" in page and "不予受理" in page




# --- pages: ids unique, words for the applicant --------------------------------------------


class _Ids(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids = Counter()

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name == "id":
                self.ids[value] += 1


def _duplicate_ids(html: str) -> list[str]:
    parser = _Ids()
    parser.feed(html)
    return [i for i, n in parser.ids.items() if n > 1]


def test_no_duplicate_ids_on_the_case_pages(app, counter):
    client, version, _, approver = counter
    _, url = _start(client, version)
    _to_letter(client, url)
    assert _duplicate_ids(client.get(url).get_data(as_text=True)) == []
    _, general_url = _start(client, version, seed=71)
    _to_general(client, general_url)
    assert _duplicate_ids(client.get(general_url).get_data(as_text=True)) == []
    client.post(f"{general_url}/accept", data={"received": ["M1", "M2", "M3", "M4"]})
    approver_client = app.test_client()
    login_as(approver_client, approver)
    page = approver_client.get(general_url).get_data(as_text=True)
    assert 'for="reason"' in page and 'id="pause-reason"' in page
    assert _duplicate_ids(page) == []


def test_general_track_step_bar_never_shows_a_commitment(counter):
    client, version, _, _ = counter
    _, url = _start(client, version)
    _to_general(client, url)
    page = client.get(url).get_data(as_text=True)
    steps = page.split('<ol class="steps"')[1].split("</ol>")[0]
    assert "承诺" not in steps and "核收材料" in steps


def test_the_applicant_reads_words_written_for_them(app, counter):
    from tests.case_factories import applicant as make_applicant

    _, version, _, _ = counter
    user = create_test_user(Role.applicant)
    client = app.test_client()
    login_as(client, user)
    page = client.get("/").get_data(as_text=True)
    nav = page.split('id="mainnav"')[1].split("</nav>")[0]
    assert "网上申请" in nav and "我的申请" in nav and "受理申请" not in nav
    applicant = make_applicant(seed=81)
    applicant.user_id = user.id
    db.session.commit()
    response = client.post("/applications/new", data={
        "item_code": version.code, "applicant_kind": applicant.kind.value,
        "applicant_code": applicant.code, "applicant_name": applicant.name,
        "submission_token": "own-1"})
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "请您阅读以下全部内容" in page and "我已阅读，下一步" in page
    assert "请向申请人告知" not in page
