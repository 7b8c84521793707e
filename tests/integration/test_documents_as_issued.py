"""Refusal and enforcement documents are kept as issued (issue 16: frozen at issue).

Each is stored, as its PDF bytes, by the step that issues it; a later download serves those
bytes. A rename of the company or a change of a city setting after issue must not change a
document already handed out. Re-rendering any of them from current data would fail here.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import select

from licensing.applicants.services import get_or_create_applicant
from licensing.cases import services as cases
from licensing.cases.models import Channel, Decision, Track
from licensing.enforcement import services as enforcement
from licensing.enforcement.documents import revocation_letter_document
from licensing.extensions import db
from licensing.issued.models import IssuedDocument
from licensing.pdf import render
from licensing.supervision import services as supervision
from licensing.supervision.models import Outcome
from tests.case_factories import enterprise_code, published_item
from tests.factories import login_as
from tests.integration.test_catalogue_pages import pdf_strings
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    TODAY,
    freeze_on,
    licensed,
    world_fixture,
)

MISTYPED = "定州市润泽食品有限公司（打错了）"


def _change_city_settings(app, monkeypatch) -> None:
    """The city renames itself and moves review to another authority and court."""
    settings = app.config["SETTINGS"]
    monkeypatch.setitem(app.config, "SETTINGS", dataclasses.replace(
        settings, city_name="新城市",
        extra={**(settings.extra or {}), "review_authority": "新城市人民政府",
               "court": "新城市人民法院", "review_period_days": 15}))


def _rename(applicant) -> None:
    get_or_create_applicant(applicant.kind, applicant.code, MISTYPED, "13811112222")
    db.session.commit()
    db.session.expire_all()


def test_a_refusal_letter_is_served_as_issued(app, world, client, monkeypatch):
    version = published_item(valid_from=date(2026, 1, 1))
    who = get_or_create_applicant("enterprise", enterprise_code(8801), "定州市拒绝测试有限公司",
                                  "13930261234")
    application = cases.start_application(version, who, Channel.counter, actor=world.clerk)
    cases.give_notice(application)
    cases.choose_track(application, Track.general)
    cases.accept_general(application, [m.code for m in version.materials])
    cases.decide(application, Decision.reject, world.approver, reason="经营场所不符合要求")
    db.session.commit()
    [stored] = db.session.scalars(select(IssuedDocument).where(
        IssuedDocument.owner_type == "application", IssuedDocument.owner_id == application.id))
    assert stored.kind == "refusal_letter" and stored.title == "不予行政许可决定书"

    login_as(client, world.approver)
    url = f"/applications/{application.public_id}/decision.pdf"
    before = client.get(url).data
    assert before == stored.pdf
    text = "".join(pdf_strings(before))
    assert "定州市拒绝测试有限公司" in text and "定州市行政审批局" in text

    _rename(who)
    _change_city_settings(app, monkeypatch)
    after = client.get(url).data
    assert after == before
    assert "新城市" not in "".join(pdf_strings(after))


def _breach_to_service(world):
    """A nonconforming verification, rectification ordered, not rectified, revoked, served."""
    _, licence, task = licensed(world)
    supervision.record_result(task, Outcome.nonconform, "从业人员无健康证明", date(2026, 3, 9),
                              actor=world.inspector, finding="breach")
    supervision.order_rectification(task, date(2026, 3, 20), requirements="办理健康证明",
                                    actor=world.inspector)
    freeze_on(date(2026, 3, 23))
    case_ = supervision.record_rectification_outcome(
        task, False, note="逾期未办理", actor=world.inspector).revocation_case
    enforcement.give_notice(case_, facts="逾期未整改", reasons="违反承诺", legal_basis=None,
                            actor=world.approver)
    enforcement.record_statement(case_, received_on=case_.noticed_on, waives_rights=True,
                                 actor=world.approver)
    enforcement.decide(case_, "revoke", "当事人书面放弃陈述申辩权利", actor=world.approver)
    enforcement.serve(case_, method="direct", served_on=case_.decided_on, receipt="签收",
                      actor=world.approver)
    db.session.commit()
    return licence, enforcement.breach_case_of_task(task), case_


def test_enforcement_documents_are_served_as_issued(app, world, client, monkeypatch):
    licence, breach, case_ = _breach_to_service(world)
    holder = licence.applicant.name
    kinds = set(db.session.scalars(select(IssuedDocument.kind)))
    assert kinds == {"rectification_notice", "revocation_notice", "revocation_letter",
                     "service_receipt"}
    urls = [f"/breaches/{breach.id}/rectification-notice.pdf",
            f"/revocations/{case_.id}/notice.pdf", f"/revocations/{case_.id}/letter.pdf",
            f"/revocations/{case_.id}/service-receipt.pdf"]
    login_as(client, world.approver)
    before = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        before[url] = response.data
    letter = "".join(pdf_strings(before[urls[2]]))
    assert "定州市人民政府" in letter and "60日内" in letter and holder in letter

    _rename(licence.applicant)
    _change_city_settings(app, monkeypatch)
    for url in urls:
        after = client.get(url).data
        assert after == before[url], url
        text = "".join(pdf_strings(after))
        assert MISTYPED not in text and "新城市" not in text
    # a fresh rendering would say the new things: the stored copy is what keeps them out
    from_now = "".join(pdf_strings(render(revocation_letter_document(case_))))
    assert "新城市人民政府" in from_now


def test_an_issued_document_never_changes(world):
    _breach_to_service(world)
    stored = db.session.scalar(select(IssuedDocument).where(
        IssuedDocument.kind == "revocation_letter"))
    stored.pdf = b"%PDF-forged"
    with pytest.raises(ValueError, match="never changes"):
        db.session.flush()
    db.session.rollback()
