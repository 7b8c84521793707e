"""Licences as legal records: what a licence states is frozen when it is issued."""

from __future__ import annotations

import os
from datetime import date, datetime

import pytest
from reportlab import rl_config
from sqlalchemy import select

from licensing import clock
from licensing.applicants.models import ApplicantVersion
from licensing.applicants.services import applicant_history, get_or_create_applicant
from licensing.auth.models import Department, Role
from licensing.cases import licences, services
from licensing.cases.models import (
    Channel,
    Decision,
    LicenceDocument,
    LicenceEvent,
    LicenceVersion,
    ServiceMethod,
    Track,
)
from licensing.errors import ValidationFailed
from licensing.extensions import db
from licensing.printable import UnprintableCharacter, unprintable_characters
from tests.case_factories import calendar_loaded, enterprise_code, published_item
from tests.factories import create_test_user, login_as

RUNZE = "定州市润泽食品有限公司"
MISTYPED = "定州市润泽食品有限公司（打错了）"
COMMIT_MODES = {"M1": None, "M2": "supplement", "M3": "substitute", "M4": "exempt_review"}


WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=clock.LOCAL_TZ)


@pytest.fixture(autouse=True)
def _frozen():
    with clock.freeze(WEDNESDAY):
        yield


@pytest.fixture
def world(session):
    calendar_loaded()
    clerk = create_test_user(Role.clerk)
    approver = create_test_user(Role.approver)
    return clerk, approver


def _holder(name=RUNZE, phone="13930261234", seed=4242):
    return get_or_create_applicant("enterprise", enterprise_code(seed), name, phone,
                                   legal_representative="王建国",
                                   address="定州市北城区中山东路 18 号")


def issue(clerk, approver, *, version=None, who=None, track=Track.commitment,
          scope="预包装食品销售（含冷藏冷冻食品）", decided_on=None):
    """Take an application through its track and approve it; return the licence."""
    version = version or published_item(validity_years=5)
    app = services.start_application(version, who or _holder(), Channel.counter, actor=clerk,
                                     licensed_scope=scope)
    services.give_notice(app)
    services.choose_track(app, track)
    if track == Track.commitment:
        services.set_commitments(app, COMMIT_MODES)
        text = services.letter_text(app)
        services.sign_letter(app, "王建国", services.letter_digest(text), Channel.counter,
                             actor=clerk)
    else:
        services.accept_general(app, ["M1", "M2", "M3", "M4"])
    result = services.decide(app, Decision.approve, approver, decided_on=decided_on)
    db.session.commit()
    return result.licence


def test_licence_states_its_own_copy_of_every_fact(world):
    clerk, approver = world
    licence = issue(clerk, approver)
    assert licence.holder_name == RUNZE
    assert licence.legal_representative == "王建国"
    assert licence.address == "定州市北城区中山东路 18 号"
    assert licence.scope == "预包装食品销售（含冷藏冷冻食品）"
    assert licence.item_code == licence.item_version.code
    assert licence.item_version_number == licence.item_version.number
    # the frozen clock says 2026-11-18; a five-year licence ends the day before the anniversary
    assert licence.valid_from == date(2026, 11, 18)
    assert licence.valid_until == date(2031, 11, 17)
    assert licence.decision_number == "XZSPJ许准字〔2026〕第000001号"
    # the city's name completes the department's short name 「市行政审批局」
    assert licence.authority_name == "定州市行政审批局"
    [version] = licences.history(licence)
    assert version.event == LicenceEvent.issued
    assert version.facts["holder_name"] == RUNZE
    kinds = sorted(d.kind for d in licences.documents_of(licence))
    assert kinds == ["certificate", "decision"]


def test_rename_of_the_applicant_leaves_the_issued_licence_alone(world, app, monkeypatch):
    """The scenario of the issue: a new draft with a mistyped name renames nothing issued."""
    monkeypatch.setattr(rl_config, "invariant", 1)  # the same document gives the same bytes
    clerk, approver = world
    licence = issue(clerk, approver)
    viewer = app.test_client()
    login_as(viewer, approver)
    url = f"/applications/{licence.application.public_id}"
    pdf_before = viewer.get(f"{url}/licence.pdf").data
    decision_before = viewer.get(f"{url}/decision.pdf").data
    assert pdf_before.startswith(b"%PDF")

    # a clerk opens a new draft for the same company and mistypes its name and phone
    renamed = _holder(MISTYPED, phone="13811112222")
    services.start_application(licence.item_version, renamed, Channel.counter, actor=clerk)
    db.session.commit()
    db.session.expire_all()

    assert renamed.name == MISTYPED  # the applicant itself changed, as a new version
    history = applicant_history(renamed)
    assert [v.name for v in history] == [RUNZE, MISTYPED]
    assert history[0].phone == "13930261234"

    assert licence.holder_name == RUNZE
    page = app.test_client().get(f"/verify/{licence.verify_token}").get_data(as_text=True)
    assert RUNZE in page and MISTYPED not in page
    assert viewer.get(f"{url}/licence.pdf").data == pdf_before
    assert viewer.get(f"{url}/decision.pdf").data == decision_before
    certificate = licences.latest_document(licence, "certificate")
    assert dict(certificate.content["sections"][0]["pairs"])["持证人"] == RUNZE
    answer = viewer.get(f"/api/v1/licences/{licence.number}").get_json()
    assert answer["holder_name"] == RUNZE


def test_an_older_draft_keeps_the_applicant_data_it_was_filed_with(world):
    clerk, approver = world
    version = published_item(validity_years=5)
    holder = _holder()
    app = services.start_application(version, holder, Channel.counter, actor=clerk)
    _holder(MISTYPED)  # renamed before the first application is decided
    services.give_notice(app)
    services.choose_track(app, Track.general)
    services.accept_general(app, ["M1", "M2", "M3", "M4"])
    licence = services.decide(app, Decision.approve, approver).licence
    assert licence.holder_name == RUNZE


def test_commitment_decision_does_not_claim_a_review(world):
    clerk, approver = world
    licence = issue(clerk, approver, track=Track.commitment)
    text = " ".join(licences.latest_document(licence, "decision").content["sections"][0]
                    ["paragraphs"])
    assert "经审查" not in text
    assert "告知承诺书" in text and "依据你（单位）作出的承诺" in text
    assert "未经实质审查" in text


def test_general_decision_says_it_was_reviewed(world):
    clerk, approver = world
    licence = issue(clerk, approver, track=Track.general, who=_holder(seed=77))
    text = " ".join(licences.latest_document(licence, "decision").content["sections"][0]
                    ["paragraphs"])
    assert "经审查，符合法定条件、标准" in text
    assert "承诺" not in text


def test_department_full_name_and_city_are_settings_and_data(world, app):
    clerk, approver = world
    department = db.session.scalar(select(Department).where(Department.code == "xzspj"))
    department.full_name = "定州市行政审批局（市政务服务管理办公室）"
    db.session.commit()
    licence = issue(clerk, approver)
    assert licence.authority_name == "定州市行政审批局（市政务服务管理办公室）"
    department.full_name = None
    app.config["SETTINGS"] = app.config["SETTINGS"].__class__(
        **{**app.config["SETTINGS"].__dict__, "city_name": "保定市"})
    assert licences.authority_full_name(department) == "保定市行政审批局"


def test_issued_records_never_change(world):
    clerk, approver = world
    licence = issue(clerk, approver)
    version = db.session.scalar(select(LicenceVersion).where(
        LicenceVersion.licence_id == licence.id))
    version.reason = "改一下"
    with pytest.raises(ValueError):
        db.session.flush()
    db.session.rollback()
    document = licences.latest_document(licence, "certificate")
    document.title = "另一个标题"
    with pytest.raises(ValueError):
        db.session.flush()
    db.session.rollback()
    history = db.session.scalar(select(ApplicantVersion))
    history.name = "改名"
    with pytest.raises(ValueError):
        db.session.flush()
    db.session.rollback()


def test_service_of_the_licence_is_recorded_once(world):
    clerk, approver = world
    licence = issue(clerk, approver)
    certificate = licences.latest_document(licence, "certificate")
    licences.record_service(certificate, ServiceMethod.in_person, date(2026, 11, 18),
                            "王建国", actor=approver)
    db.session.commit()
    stored = db.session.get(LicenceDocument, certificate.id)
    assert (stored.service_method, stored.served_on) == (ServiceMethod.in_person,
                                                         date(2026, 11, 18))
    with pytest.raises(ValidationFailed) as refused:
        licences.record_service(certificate, "post", date(2026, 11, 18), "王建国")
    assert refused.value.code == "already_served"
    decision = licences.latest_document(licence, "decision")
    with pytest.raises(ValidationFailed) as refused:
        licences.record_service(decision, "pigeon", date(2026, 11, 18), "王建国")
    assert refused.value.code == "invalid_service_method"
    with clock.freeze(clock.utcnow()), pytest.raises(ValidationFailed) as refused:
        licences.record_service(decision, "post", date(2026, 12, 30), "王建国")
    assert refused.value.code == "invalid_served_on"


@pytest.mark.parametrize("text", ["润泽食品😀有限公司", "润泽\u200d食品", "润泽\ue000食品"])
def test_unprintable_characters_are_refused_at_input(session, text):
    with pytest.raises(UnprintableCharacter) as refused:
        get_or_create_applicant("enterprise", enterprise_code(9), text)
    assert refused.value.code == "unprintable_character"
    assert "申请人名称" in refused.value.message


def test_ordinary_names_and_punctuation_are_printable():
    assert unprintable_characters("定州市·润泽（食品）有限公司 No.1 №2 ℃ 〇") == []
    assert unprintable_characters("张三😀") == ["😀"]


def test_counter_form_refuses_an_emoji_with_a_message(world, client):
    clerk, _ = world
    version = published_item()
    login_as(client, clerk)
    response = client.post("/applications/new", data={
        "item_code": version.code, "applicant_kind": "enterprise",
        "applicant_code": enterprise_code(31), "applicant_name": "润泽食品🍔有限公司",
        "submission_token": "t1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "无法打印的字符" in page and "U+1F354" in page


def test_pdfs_embed_their_font_and_print_the_middle_dot(world):
    """「·」 printed as a box in viewers without the CID font; the subset is embedded now."""
    from licensing import pdf

    if not pdf.EMBEDDED:
        if os.environ.get("CI"):
            pytest.fail("CI needs the PDF font: make fonts (fonts-wqy-microhei)")
        pytest.skip("the PDF font is not installed (make fonts): embedding not tested")
    assert pdf.covers("·") and pdf.covers("定")
    clerk, approver = world
    licence = issue(clerk, approver, who=_holder("定州市润泽·食品有限公司", seed=88))
    data = licences.render_document(licences.latest_document(licence, "certificate"))
    assert b"/FontFile2" in data  # an embedded TrueType font program
    assert b"STSong-Light" not in data


def test_a_rare_ideograph_the_font_lacks_is_refused(session):
    from licensing import pdf

    if not pdf.EMBEDDED:
        pytest.skip("no embedded font to ask")
    with pytest.raises(UnprintableCharacter) as refused:
        get_or_create_applicant("enterprise", enterprise_code(10), "定州市\U00020000食品有限公司")
    assert "U+20000" in refused.value.message
