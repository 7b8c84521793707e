"""Revocation by the approval department: the full breach path, dismissal, refusals.

The procedure itself (notice, statement, hearing, service) is tested in test_enforcement*.py;
here ``_revoke`` runs it with a written waiver.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from licensing.cases.models import LicenceStatus
from licensing.credit.models import CreditRecord, CreditRecordType, OutboxStatus
from licensing.credit.services import check_eligibility
from licensing.enforcement import services as revocation
from licensing.enforcement.errors import (
    InvalidRevocation,
    LicenceAlreadyRevoked,
    NoOpenRevocationCase,
    NotDecider,
    NoticeRequired,
    RevocationTransitionRefused,
    StaleRevocation,
)
from licensing.enforcement.models import RevocationCase, RevocationOrigin, RevocationStatus
from licensing.extensions import db
from licensing.supervision import services as supervision
from licensing.supervision.models import Outcome, TaskStatus
from licensing.supplements.errors import SupplementTransitionRefused
from licensing.supplements.models import SupplementStatus
from licensing.supplements.services import hand_in_supplement, mark_missed_supplements
from tests.factories import login_as
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    TODAY,
    actions,
    freeze_on,
    licensed,
    notices,
    outbox,
    world_fixture,
)

CHECKED_ON = date(2026, 3, 9)


def _revocation_requested(world, **kwargs):
    application, licence, task = licensed(world, **kwargs)
    supervision.record_result(task, Outcome.nonconform, "从业人员无健康证明", CHECKED_ON,
                              actor=world.inspector)
    supervision.order_rectification(task, date(2026, 3, 20), requirements="办理健康证明",
                                    actor=world.inspector)
    freeze_on(date(2026, 3, 23))
    case_ = supervision.record_rectification_outcome(
        task, False, note="逾期未办理", actor=world.inspector).revocation_case
    db.session.commit()
    return application, licence, task, case_


def _notice_and_waiver(case_, approver):
    revocation.give_notice(case_, facts="事实", reasons="理由", legal_basis=None, actor=approver)
    revocation.record_statement(case_, received_on=case_.noticed_on, waives_rights=True,
                                actor=approver)


def _revoke(licence, reason, approver, case=None):
    """The procedure with a written waiver: notice, waiver, decision, service (today)."""
    case = case or revocation.open_cases_of(licence)[0]
    _notice_and_waiver(case, approver)
    revocation.revoke(licence, reason, actor=approver, case=case)
    revocation.serve(case, method="direct", served_on=case.decided_on, receipt="签收",
                     actor=approver)
    return case


def test_full_breach_path_ends_in_a_revoked_licence_and_a_broken_commitment_push(world, client):
    application, licence, task, case_ = _revocation_requested(world)
    assert licence.status == LicenceStatus.valid
    page = client.get(f"/verify/{licence.verify_token}").get_data(as_text=True)
    assert "有效" in page and "已撤销" not in page

    _revoke(licence, "承诺不实且逾期未整改", world.approver)
    db.session.commit()

    case_ = db.session.get(RevocationCase, case_.id)
    assert case_.status == RevocationStatus.revoked
    assert case_.decided_by_id == world.approver.id and case_.decided_on == date(2026, 3, 23)
    assert case_.legal_basis.startswith("《中华人民共和国行政许可法》第六十九条")
    assert re.fullmatch(r"XZSPJ-CX-2026-\d{6}", case_.letter_number)
    assert licence.status == LicenceStatus.revoked and licence.revoked_dt is not None
    assert task.status == TaskStatus.revoked
    # the public verification page says so at once
    page = client.get(f"/verify/{licence.verify_token}").get_data(as_text=True)
    assert "已撤销" in page
    # the credit platform: a broken-commitment push (违反承诺, the default classification)
    # and a revocation push, queued on service; no false-commitment record
    broken = outbox("commitment_broken")
    assert [m.idempotency_key for m in broken] == [f"commitment_broken:revocation:{case_.id}"]
    assert broken[0].status == OutboxStatus.pending
    assert broken[0].payload["details"]["letter_number"] == case_.letter_number
    assert outbox("dishonesty") == []
    assert [m.idempotency_key for m in outbox("revocation")] == [
        f"revocation:licence:{licence.number}"]
    types = set(db.session.scalars(select(CreditRecord.record_type).where(
        CreditRecord.applicant_id == licence.applicant_id)))
    assert {CreditRecordType.licence_revoked, CreditRecordType.commitment_broken} <= types
    assert CreditRecordType.false_commitment not in types
    # ... which does not bar the commitment track by itself
    assert check_eligibility(licence.applicant).eligible is True
    # the supervisory department is told
    assert notices(world.inspector, revocation.NOTIFY_DECIDED)
    assert notices(world.head, revocation.NOTIFY_DECIDED)
    assert not notices(world.other_inspector)
    # every step audited
    assert actions("revocation_case", case_.id) == [
        "revocation_case.requested", "revocation_case.notice", "revocation_case.statement",
        "revocation_case.revoke", "revocation_case.serve"]
    assert "licence.revoked" in actions("licence", licence.id)
    assert actions("verification_task", task.id)[-1] == "verification_task.licence_revoked"
    # the promised material is no longer owed, and can no longer be handed in
    supplement = application.supplements[0]
    db.session.refresh(supplement)
    assert supplement.status == SupplementStatus.lapsed
    assert actions("supplement", supplement.id)[-1] == "supplement.lapse"
    with pytest.raises(SupplementTransitionRefused):
        hand_in_supplement(supplement, actor=world.clerk, note="纸质")
    assert mark_missed_supplements(date(2026, 12, 31)) == 0


def test_revocation_letter_is_a_pdf_for_the_departments_only(world, client):
    _, licence, _, case_ = _revocation_requested(world)
    _notice_and_waiver(case_, world.approver)
    revocation.revoke(licence, "承诺不实", actor=world.approver, case=case_)
    db.session.commit()
    login_as(client, world.approver)
    response = client.get(f"/revocations/{case_.id}/letter.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert response.mimetype == "application/pdf"
    client.post("/logout")
    login_as(client, world.other_inspector)
    assert client.get(f"/revocations/{case_.id}/letter.pdf").status_code == 404
    assert client.get(f"/revocations/{case_.id}").status_code == 404


def test_breach_path_through_the_pages(world, client):
    _, licence, task = licensed(world)
    login_as(client, world.inspector)
    response = client.post(f"/supervision/tasks/{task.id}/result", data={
        "outcome": "nonconform", "findings": "无消毒设施", "checked_on": "2026-03-09",
        "push": "y", "checklist": ["核对经营场所"], "lock_version": task.lock_version})
    assert response.status_code == 302
    db.session.expire_all()
    assert task.status == TaskStatus.breach
    client.post(f"/supervision/tasks/{task.id}/rectification", data={
        "due_on": "2026-03-20", "requirements": "配齐消毒设施", "lock_version": task.lock_version})
    db.session.expire_all()
    assert task.status == TaskStatus.rectifying
    page = client.get(f"/supervision/tasks/{task.id}").get_data(as_text=True)
    assert "2026-03-20" in page and "限期整改中" in page
    client.post(f"/supervision/tasks/{task.id}/rectification/outcome", data={
        "rectified": "no", "note": "整改后仍不符合", "reinspected_on": "2026-03-10",
        "lock_version": task.lock_version})
    db.session.expire_all()
    assert task.status == TaskStatus.revocation_requested
    case_ = db.session.scalar(select(RevocationCase))
    client.post("/logout")

    login_as(client, world.approver)
    assert "待告知" in client.get("/revocations").get_data(as_text=True)
    assert licence.number in client.get("/approvals/results").get_data(as_text=True)
    client.post(f"/revocations/{case_.id}/notice", data={
        "facts": "整改后仍不符合", "reasons": "违反承诺", "legal_basis": "",
        "lock_version": case_.lock_version})
    client.post(f"/revocations/{case_.id}/statement", data={
        "received_on": "2026-03-10", "waives_rights": "y"})
    db.session.expire_all()
    response = client.post(f"/revocations/{case_.id}/decision", data={
        "outcome": "revoke", "reason": "整改后仍不符合许可条件", "legal_basis": "",
        "lock_version": case_.lock_version})
    assert response.status_code == 302
    db.session.expire_all()
    assert licence.status == LicenceStatus.valid  # decided, not yet served
    client.post(f"/revocations/{case_.id}/service", data={
        "method": "direct", "served_on": "2026-03-10", "receipt": "签收"})
    db.session.expire_all()
    assert licence.status == LicenceStatus.revoked
    assert "撤销行政许可决定书" in client.get(f"/revocations/{case_.id}").get_data(as_text=True)
    assert "已撤销" in client.get(f"/verify/{licence.verify_token}").get_data(as_text=True)


def test_a_stale_decision_form_is_refused(world, client):
    _, licence, _, case_ = _revocation_requested(world)
    _notice_and_waiver(case_, world.approver)
    db.session.commit()
    with pytest.raises(StaleRevocation):
        revocation.revoke(licence, "理由", actor=world.approver, case=case_,
                          expected_version=case_.lock_version - 1)
    db.session.rollback()
    login_as(client, world.approver)
    response = client.post(f"/revocations/{case_.id}/decision", data={
        "outcome": "revoke", "reason": "理由", "lock_version": case_.lock_version + 5},
        follow_redirects=True)
    assert "已被他人处理或修改" in response.get_data(as_text=True)
    db.session.expire_all()
    assert licence.status == LicenceStatus.valid


def test_dismissal_closes_the_task_and_keeps_the_licence(world):
    _, licence, task, case_ = _revocation_requested(world)
    revocation.dismiss(case_, "整改已于决定前完成，经复核符合条件", actor=world.approver)
    db.session.commit()
    assert case_.status == RevocationStatus.dismissed
    assert licence.status == LicenceStatus.valid and task.status == TaskStatus.closed
    assert outbox("dishonesty") == [] and outbox("commitment_broken") == []
    assert notices(world.inspector, revocation.NOTIFY_DECIDED)
    assert "verification_task.revocation_dismissed" in actions("verification_task", task.id)


def test_refused_revocation_steps(world):
    _, licence, _ = licensed(world)
    # no case: nothing to revoke on
    with pytest.raises(NoOpenRevocationCase):
        revocation.revoke(licence, "理由", actor=world.approver)
    _, licence, _, case_ = _revocation_requested(world)
    with pytest.raises(NotDecider):
        revocation.revoke(licence, "理由", actor=world.inspector)
    with pytest.raises(NotDecider):
        revocation.dismiss(case_, "理由", actor=world.head)
    with pytest.raises(NoticeRequired):
        revocation.revoke(licence, "理由", actor=world.approver)
    _notice_and_waiver(case_, world.approver)
    with pytest.raises(InvalidRevocation):
        revocation.revoke(licence, "  ", actor=world.approver)
    revocation.revoke(licence, "理由", actor=world.approver)
    revocation.serve(case_, method="direct", served_on=case_.decided_on, receipt="签收",
                     actor=world.approver)
    db.session.commit()
    # decided: neither revoked again nor dismissed
    with pytest.raises(RevocationTransitionRefused) as excinfo:
        revocation.revoke(licence, "理由", actor=world.approver, case=case_)
    assert excinfo.value.message == "撤销案件当前状态为“已撤销许可”，不能作出撤销决定。"
    with pytest.raises(LicenceAlreadyRevoked):
        revocation.revoke(licence, "理由", actor=world.approver)
    with pytest.raises(RevocationTransitionRefused):
        revocation.dismiss(case_, "理由", actor=world.approver)
    with pytest.raises(RevocationTransitionRefused):
        revocation._transition(case_, "merge", actor=world.approver)


def test_other_open_cases_of_the_licence_are_merged(world):
    from licensing.supplements.services import mark_missed_supplements

    _, licence, _, breach_case = _revocation_requested(world)
    freeze_on(date(2026, 4, 10))  # the M2 supplement (20 working days) is now missed
    assert mark_missed_supplements() == 1
    cases = revocation.open_cases_of(licence)
    assert {c.origin for c in cases} == {RevocationOrigin.supervision_breach,
                                         RevocationOrigin.supplement_missed}
    _revoke(licence, "违反承诺", world.approver, case=breach_case)
    db.session.commit()
    other = next(c for c in cases if c.id != breach_case.id)
    db.session.refresh(other)
    assert other.status == RevocationStatus.merged and other.merged_into_id == breach_case.id
    assert revocation.count_open_cases(world.approver) == 0
    assert len(outbox("commitment_broken")) == 1


def test_revocation_of_an_open_task_moves_it_to_revoked(world):
    """A licence revoked for a missed supplement ends its pending verification."""
    from licensing.supplements.services import mark_missed_supplements

    _, licence, task = licensed(world)
    freeze_on(date(2026, 4, 10))
    mark_missed_supplements()
    _revoke(licence, "逾期未补交材料", world.approver)
    db.session.commit()
    assert task.status == TaskStatus.revoked and task.outcome is None
    assert date(2026, 4, 10) > TODAY
