"""Enforcement through services and pages: breach cases, the procedure, documents, credit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from licensing.cases import licences
from licensing.cases.models import LicenceEvent, LicenceStatus, Track
from licensing.credit.models import CreditRecord, CreditRecordType
from licensing.credit.services import check_eligibility
from licensing.enforcement import services as enforcement
from licensing.enforcement.errors import (
    HearingPending,
    InvalidBreach,
    InvalidProcedureStep,
    NotBreachWorker,
    NoticeRequired,
)
from licensing.enforcement.models import (
    BreachCase,
    BreachStatus,
    Finding,
    RevocationCase,
    RevocationOrigin,
    RevocationStatus,
)
from licensing.extensions import db
from licensing.publicity import services as publicity
from licensing.publicity.models import PublicityEvent, PublicityRecord
from licensing.supervision import services as supervision
from licensing.supervision.errors import InvalidResult, RectificationNotDue
from licensing.supervision.models import Outcome, TaskStatus
from licensing.supplements import services as supplements
from licensing.supplements.models import SupplementStatus
from tests.factories import login_as
from tests.integration.test_catalogue_pages import pdf_strings
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    TODAY,
    actions,
    freeze_on,
    licensed,
    outbox,
    world_fixture,
)


def _types(licence) -> set:
    return set(db.session.scalars(select(CreditRecord.record_type).where(
        CreditRecord.applicant_id == licence.applicant_id)))


def _procedure(case_, approver, *, served_on=None):
    """Notice, written waiver, revocation decision and service, today."""
    enforcement.give_notice(case_, facts="事实", reasons="理由", legal_basis=None,
                            actor=approver)
    enforcement.record_statement(case_, received_on=case_.noticed_on, waives_rights=True,
                                 actor=approver)
    enforcement.decide(case_, "revoke", "当事人书面放弃陈述申辩权利", actor=approver)
    enforcement.serve(case_, method="direct", served_on=served_on or case_.decided_on,
                      receipt="签收", actor=approver)
    db.session.commit()


def _task_breach(world, finding="breach"):
    application, licence, task = licensed(world)
    supervision.record_result(task, Outcome.nonconform, "从业人员无健康证明", date(2026, 3, 9),
                              actor=world.inspector, finding=finding)
    db.session.commit()
    return application, licence, task


def test_nonconform_result_opens_the_breach_case_with_its_finding(world):
    _, _licence, task = _task_breach(world, "false_commitment")
    breach = enforcement.breach_case_of_task(task)
    assert breach.origin.value == "verification" and breach.finding == Finding.false_commitment
    assert breach.facts == "从业人员无健康证明" and breach.found_on == date(2026, 3, 9)
    # the finding alone writes nothing adverse to the credit record
    assert outbox("commitment_broken") == [] and outbox("dishonesty") == []
    supervision.order_rectification(task, date(2026, 3, 20), requirements="办理健康证明",
                                    actor=world.inspector)
    assert breach.status == BreachStatus.rectifying
    assert breach.rectification_due_on == date(2026, 3, 20)
    # on the day of the order, the due date ahead: not rectified is refused ...
    with pytest.raises(RectificationNotDue):
        supervision.record_rectification_outcome(task, False, note="未整改",
                                                 actor=world.inspector)
    # ... unless a re-inspection found the breach still there
    with pytest.raises(InvalidResult):  # the re-inspection date is ahead
        supervision.record_rectification_outcome(task, False, note="复查仍不符合",
                                                 reinspected_on=date(2026, 3, 11),
                                                 actor=world.inspector)
    result = supervision.record_rectification_outcome(
        task, False, note="复查仍不符合", reinspected_on=TODAY, actor=world.inspector)
    db.session.commit()
    assert breach.status == BreachStatus.referred and breach.reinspected_on == TODAY
    case_ = result.revocation_case
    assert case_.breach_case_id == breach.id and case_.finding == Finding.false_commitment
    assert "经复查整改后仍不符合条件" in case_.request_reason


def test_the_procedure_refuses_steps_out_of_order_and_bad_dates(world):
    _, licence, task = _task_breach(world)
    supervision.order_rectification(task, date(2026, 3, 20), requirements="办理",
                                    actor=world.inspector)
    freeze_on(date(2026, 3, 23))
    case_ = supervision.record_rectification_outcome(
        task, False, note="逾期未办理", actor=world.inspector).revocation_case
    with pytest.raises(NoticeRequired):
        enforcement.revoke(licence, "理由", actor=world.approver)
    with pytest.raises(NoticeRequired):
        enforcement.record_statement(case_, received_on=date(2026, 3, 23), text="x",
                                     actor=world.approver)
    enforcement.give_notice(case_, facts="事实", reasons="理由", legal_basis="依据",
                            actor=world.approver)
    assert case_.statement_deadline.rule.value == "statement_period"
    assert case_.statement_due_on == date(2026, 3, 30)  # 5 working days after Mon 03-23
    with pytest.raises(InvalidProcedureStep) as excinfo:
        enforcement.record_statement(case_, received_on=date(2026, 3, 24), text="x",
                                     actor=world.approver)
    assert excinfo.value.code == "date_in_future"
    with pytest.raises(InvalidProcedureStep) as excinfo:
        enforcement.record_statement(case_, received_on=date(2026, 3, 20), text="x",
                                     actor=world.approver)
    assert excinfo.value.code == "date_before_case"
    with pytest.raises(InvalidProcedureStep) as excinfo:
        enforcement.record_statement(case_, received_on=date(2026, 3, 23), text="",
                                     waives_rights=True, hearing_requested=True,
                                     actor=world.approver)
    assert excinfo.value.code == "waiver_with_hearing"
    enforcement.record_statement(case_, received_on=date(2026, 3, 23), text="申辩",
                                 hearing_requested=True, actor=world.approver)
    with pytest.raises(HearingPending):
        enforcement.decide(case_, "revoke", "理由", actor=world.approver)
    with pytest.raises(InvalidProcedureStep) as excinfo:
        enforcement.record_hearing(case_, held_on=date(2026, 3, 23),
                                   host=world.inspector.display_name, place="听证室",
                                   minutes="笔录", actor=world.approver)
    assert excinfo.value.code == "host_investigated"
    enforcement.record_hearing(case_, held_on=date(2026, 3, 23), host="法制科李四",
                               place="听证室", minutes="笔录", actor=world.approver)
    enforcement.decide(case_, "revoke", "申辩理由不成立", actor=world.approver)
    assert licence.status == LicenceStatus.valid and case_.status == RevocationStatus.decided
    with pytest.raises(InvalidProcedureStep) as excinfo:
        enforcement.serve(case_, method="post", served_on=date(2026, 3, 22), receipt="x",
                          actor=world.approver)
    assert excinfo.value.code == "date_before_case"
    enforcement.serve(case_, method="post", served_on=date(2026, 3, 23), receipt="EMS",
                      actor=world.approver)
    db.session.commit()
    assert licence.status == LicenceStatus.revoked and task.status == TaskStatus.revoked
    assert actions("revocation_case", case_.id) == [
        "revocation_case.requested", "revocation_case.notice", "revocation_case.statement",
        "revocation_case.hearing", "revocation_case.revoke", "revocation_case.serve"]


def test_a_breach_is_opened_only_by_the_supervisory_department_on_a_valid_licence(world):
    _, licence, _ = licensed(world, track=Track.general)
    with pytest.raises(NotBreachWorker):
        enforcement.open_manual_breach(licence, origin="complaint", finding="breach",
                                       facts="举报", found_on=TODAY, actor=world.other_inspector)
    with pytest.raises(InvalidBreach) as excinfo:
        enforcement.open_manual_breach(licence, origin="verification", finding="breach",
                                       facts="举报", found_on=TODAY, actor=world.inspector)
    assert excinfo.value.code == "origin_invalid"
    # the service for other domains (e.g. a credit re-check) runs as the system
    case_ = enforcement.open_breach_case(licence, origin="credit_recheck",
                                         finding="false_commitment", facts="信用复核发现",
                                         found_on=TODAY)
    assert case_.opened_by_id is None and case_.status == BreachStatus.open
    assert actions("breach_case", case_.id) == ["breach_case.opened"]


def test_late_supplement_leaves_the_company_eligible_and_only_after_service(world):
    _application, licence, _ = licensed(world)
    freeze_on(date(2026, 4, 10))  # the M2 supplement (20 working days) is now missed
    assert supplements.mark_missed_supplements() == 1
    db.session.commit()
    case_ = db.session.scalar(select(RevocationCase).where(
        RevocationCase.origin == RevocationOrigin.supplement_missed))
    assert case_.finding == Finding.breach
    assert CreditRecordType.commitment_broken not in _types(licence)  # not before service
    _procedure(case_, world.approver)
    types = _types(licence)
    assert {CreditRecordType.commitment_broken, CreditRecordType.licence_revoked} <= types
    assert CreditRecordType.false_commitment not in types
    assert check_eligibility(licence.applicant).eligible is True


def _false_commitment_revoked_not_served(world):
    """A false commitment, not rectified, through notice, waiver and a decision to revoke."""
    _, licence, task = _task_breach(world, "false_commitment")
    supervision.order_rectification(task, date(2026, 3, 20), requirements="办理",
                                    actor=world.inspector)
    freeze_on(date(2026, 3, 23))
    case_ = supervision.record_rectification_outcome(
        task, False, note="逾期未办理", actor=world.inspector).revocation_case
    enforcement.give_notice(case_, facts="事实", reasons="理由", legal_basis=None,
                            actor=world.approver)
    enforcement.record_statement(case_, received_on=date(2026, 3, 23), waives_rights=True,
                                 actor=world.approver)
    enforcement.decide(case_, "revoke", "不实承诺", actor=world.approver)
    db.session.commit()
    return licence, case_


def test_a_false_commitment_bars_after_service_only(world):
    licence, case_ = _false_commitment_revoked_not_served(world)
    assert check_eligibility(licence.applicant).eligible is True  # decided, not served
    enforcement.serve(case_, method="direct", served_on=date(2026, 3, 23), receipt="签收",
                      actor=world.approver)
    db.session.commit()
    assert CreditRecordType.false_commitment in _types(licence)
    assert check_eligibility(licence.applicant).eligible is False
    assert [m.idempotency_key for m in outbox("dishonesty")] == [
        f"dishonesty:licence:{licence.number}"]


def test_a_rejected_hand_in_before_the_due_date_may_be_handed_in_again(world):
    application, _licence, _ = licensed(world)
    obligation = application.supplements[0]
    supplements.hand_in_supplement(obligation, actor=world.clerk, note="纸质材料")
    assert supplements.reject_supplement(obligation, "缺少公章", actor=world.approver) is None
    assert obligation.status == SupplementStatus.pending
    assert db.session.scalar(select(RevocationCase)) is None
    supplements.hand_in_supplement(obligation, actor=world.clerk, note="补盖公章后重交")
    assert obligation.status == SupplementStatus.submitted
    # on the due date a rejection is final and opens the case (classified 违反承诺)
    freeze_on(obligation.supplement_due_on)
    case_ = supplements.reject_supplement(obligation, "仍不符合", actor=world.approver)
    assert obligation.status == SupplementStatus.rejected
    assert case_.origin == RevocationOrigin.supplement_rejected
    assert case_.finding == Finding.breach


def test_the_procedure_through_the_pages_and_its_documents(world, client):
    _, licence, task = _task_breach(world)
    supervision.order_rectification(task, date(2026, 3, 20), requirements="办理健康证明",
                                    actor=world.inspector)
    freeze_on(date(2026, 3, 23))
    case_ = supervision.record_rectification_outcome(
        task, False, note="逾期未办理", actor=world.inspector).revocation_case
    breach = enforcement.breach_case_of_task(task)
    db.session.commit()
    login_as(client, world.inspector)
    order = client.get(f"/breaches/{breach.id}/rectification-notice.pdf")
    assert order.status_code == 200 and order.data.startswith(b"%PDF-")
    text = "".join(pdf_strings(order.data))
    assert "责令限期整改通知书" in text and licence.applicant.name in text
    assert "2026年03月20日" in text and "办理健康证明" in text
    client.post("/logout")

    login_as(client, world.approver)
    page = client.get(f"/revocations/{case_.id}").get_data(as_text=True)
    assert "拟撤销行政许可告知" in page and "撤销行政许可</button>" not in page
    # the decision is refused before the notice, with its message
    refused = client.post(f"/revocations/{case_.id}/decision", data={
        "outcome": "revoke", "reason": "理由", "lock_version": case_.lock_version},
        follow_redirects=True).get_data(as_text=True)
    assert "尚未送达拟撤销行政许可告知书" in refused
    client.post(f"/revocations/{case_.id}/notice", data={
        "facts": "从业人员无健康证明，逾期未整改", "reasons": "违反承诺",
        "legal_basis": "《中华人民共和国行政许可法》第六十九条",
        "lock_version": case_.lock_version})
    db.session.expire_all()
    assert case_.status == RevocationStatus.noticed
    notice = client.get(f"/revocations/{case_.id}/notice.pdf")
    text = "".join(pdf_strings(notice.data))
    assert "拟撤销行政许可告知书" in text and "2026年03月30日" in text
    assert licence.number in text and "陈述" in text
    assert licence.applicant.name in text and case_.notice_number in text
    assert "2026年03月23日" in text and "5个工作日" in text  # noticed on, the period
    client.post(f"/revocations/{case_.id}/statement", data={
        "received_on": "2026-03-23", "text": "已在办理健康证明"})
    db.session.expire_all()
    assert case_.statement_text == "已在办理健康证明"
    client.post(f"/revocations/{case_.id}/decision", data={
        "outcome": "revoke", "reason": "当事人称已在办理，但期限已过仍未取得",
        "legal_basis": "", "lock_version": case_.lock_version})
    db.session.expire_all()
    assert case_.status == RevocationStatus.decided and licence.status == LicenceStatus.valid
    assert "有效" in client.get(f"/verify/{licence.verify_token}").get_data(as_text=True)
    letter = "".join(pdf_strings(client.get(f"/revocations/{case_.id}/letter.pdf").data))
    assert "撤销行政许可决定书" in letter and "已在办理健康证明" in letter
    assert "定州市人民政府" in letter and "60日内" in letter and "6个月内" in letter
    assert case_.letter_number in letter and licence.applicant.name in letter
    assert licence.number in letter and "2026年03月23日" in letter  # decided on
    client.post(f"/revocations/{case_.id}/service", data={
        "method": "direct", "served_on": "2026-03-23", "receipt": "法定代表人签收"})
    db.session.expire_all()
    assert licence.status == LicenceStatus.revoked
    assert "已撤销" in client.get(f"/verify/{licence.verify_token}").get_data(as_text=True)
    receipt = "".join(pdf_strings(client.get(f"/revocations/{case_.id}/service-receipt.pdf").data))
    assert "送达回证" in receipt and "直接送达" in receipt and "2026年03月23日" in receipt
    assert licence.applicant.name in receipt and case_.letter_number in receipt
    assert "法定代表人签收" in receipt
    # the case page of the application shows the revocation, not 准予许可 with printing
    case_page = client.get(f"/applications/{licence.application.public_id}").get_data(
        as_text=True)
    assert 'id="licence-revoked"' in case_page and "打印许可证" not in case_page
    assert case_.letter_number in case_page


def test_routine_breach_through_the_pages(world, client):
    _, licence, _ = licensed(world, track=Track.general)
    login_as(client, world.inspector)
    response = client.post("/breaches/new", data={
        "licence_number": licence.number, "origin": "routine_inspection", "finding": "breach",
        "facts": "日常检查发现未公示许可证", "found_on": "2026-03-10"})
    assert response.status_code == 302
    breach = db.session.scalar(select(BreachCase))
    assert breach.origin.value == "routine_inspection" and breach.task_id is None
    client.post(f"/breaches/{breach.id}/rectification", data={
        "due_on": "2026-03-20", "requirements": "公示许可证"})
    db.session.expire_all()
    assert breach.status == BreachStatus.rectifying
    early = client.post(f"/breaches/{breach.id}/outcome", data={
        "rectified": "no", "note": "未公示"}, follow_redirects=True).get_data(as_text=True)
    assert "整改期限（2026-03-20）尚未届满" in early
    freeze_on(date(2026, 3, 23))
    client.post("/logout")
    login_as(client, world.inspector)  # a new day, a new session
    client.post(f"/breaches/{breach.id}/outcome", data={
        "rectified": "no", "note": "逾期未公示", "penalty_ref": "定卫罚〔2026〕3号"})
    db.session.expire_all()
    assert breach.status == BreachStatus.referred and breach.penalty_ref == "定卫罚〔2026〕3号"
    assert db.session.scalar(select(RevocationCase)).breach_case_id == breach.id
    # another department's inspector sees nothing of it
    client.post("/logout")
    login_as(client, world.other_inspector)
    assert client.get(f"/breaches/{breach.id}").status_code == 404


def test_revocation_and_its_reversal_are_versions_of_the_licence(world, client):
    licence, case_ = _false_commitment_revoked_not_served(world)
    assert [v.event.value for v in licences.history(licence)] == ["issued"]  # not before service
    enforcement.serve(case_, method="direct", served_on=date(2026, 3, 23), receipt="签收",
                      actor=world.approver)
    db.session.commit()
    revoked = licences.history(licence)[-1]
    assert (revoked.event, revoked.number) == (LicenceEvent.revoked, 2)
    assert revoked.effective_on == date(2026, 3, 23)
    assert revoked.decision_number == case_.letter_number and revoked.reason == "不实承诺"
    assert licence.version_number == 2
    # made public once, from the version, with the decision's number (双公示)
    assert publicity.collect() == 2 and publicity.collect() == 0  # the grant, the revocation
    (record,) = db.session.scalars(select(PublicityRecord).where(
        PublicityRecord.event == PublicityEvent.revoked)).all()
    assert record.licence_version_id == revoked.id
    assert record.facts["decision_number"] == case_.letter_number
    freeze_on(date(2026, 5, 6))
    enforcement.reverse_revocation(case_, reason="定州市人民政府定政复决〔2026〕8号撤销原决定",
                                   reversed_on=date(2026, 5, 6), actor=world.approver)
    db.session.commit()
    assert licence.status == LicenceStatus.valid
    reinstated = licences.history(licence)[-1]
    assert (reinstated.event, reinstated.number) == (LicenceEvent.reinstated, 3)
    assert reinstated.effective_on == date(2026, 5, 6)
    assert "定政复决〔2026〕8号" in reinstated.reason
    assert "licence.reinstated" in actions("licence", licence.id)
    # the public page and the API show both steps of the history
    page = client.get(f"/verify/{licence.verify_token}").get_data(as_text=True)
    assert "撤销决定撤回" in page and case_.letter_number in page
    login_as(client, world.approver)
    answer = client.get(f"/api/v1/licences/{licence.number}").json
    assert [v["event"] for v in answer["history"]] == ["issued", "revoked", "reinstated"]
    assert answer["status"] == "valid"
