"""Promised materials: handed in online or at the counter, reviewed, missed -> revocation."""

from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import func, select

from licensing.applicants.services import link_user
from licensing.auth.models import Role
from licensing.cases.models import LicenceStatus
from licensing.enforcement import services as revocation
from licensing.enforcement.models import RevocationCase, RevocationOrigin, RevocationStatus
from licensing.extensions import db
from licensing.supervision.models import TaskStatus
from licensing.supplements import jobs as supplement_jobs
from licensing.supplements import services as supplements
from licensing.supplements.errors import (
    InvalidSupplementReview,
    NotYourSupplement,
    SupplementOverdue,
    SupplementTransitionRefused,
)
from licensing.supplements.models import (
    SupplementObligation,
    SupplementStatus,
    SupplementSubmission,
)
from tests.factories import create_test_user, login_as
from tests.integration.test_revocation import _notice_and_waiver, _revoke
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    TODAY,
    actions,
    freeze_on,
    licensed,
    notices,
    outbox,
    world_fixture,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
DUE = date(2026, 3, 30)  # 2026-03-02 + 20 working days


def _supplement(world, **kwargs):
    _, licence, task = licensed(world, **kwargs)
    obligation = db.session.scalar(select(SupplementObligation).where(
        SupplementObligation.licence_id == licence.id))
    return licence, task, obligation


@pytest.fixture
def online(world):
    """An applicant's online account, linked to the applicant of a licensed case."""
    user = create_test_user(Role.applicant)
    licence, _, obligation = _supplement(world)
    link_user(licence.applicant, user)
    db.session.commit()
    return user, licence, obligation


def test_applicant_hands_in_online_and_the_approver_accepts(world, online, client):
    user, _, obligation = online
    assert obligation.supplement_due_on == DUE
    login_as(client, user)
    assert "场所平面图" in client.get("/supplements").get_data(as_text=True)
    response = client.post(f"/supplements/{obligation.id}/hand-in", data={
        "file": (io.BytesIO(PDF), "平面图.pdf"), "note": ""},
        content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert obligation.status == SupplementStatus.submitted
    submission = db.session.scalar(select(SupplementSubmission))
    assert submission.channel == "online" and submission.content_type == "application/pdf"
    assert submission.original_name == "平面图.pdf" and len(submission.sha256) == 64
    # the applicant gets their own file back
    assert client.get(f"/supplements/{obligation.id}/files/{submission.id}").data == PDF
    assert notices(world.approver, supplement_jobs.NOTIFY_SUBMITTED)
    client.post("/logout")

    login_as(client, world.approver)
    assert "场所平面图" in client.get("/supplements").get_data(as_text=True)  # awaiting review
    client.post(f"/supplements/{obligation.id}/review", data={"outcome": "accept", "note": ""})
    db.session.expire_all()
    assert obligation.status == SupplementStatus.accepted
    assert obligation.reviewed_by_id == world.approver.id
    assert [m.idempotency_key for m in outbox("commitment_kept")] == [
        f"commitment_kept:supplement:{obligation.id}"]
    assert actions("supplement", obligation.id)[-2:] == ["supplement.hand_in",
                                                         "supplement.accept"]


def test_the_list_continues_by_key_each_obligation_once_earliest_date_first(world, client):
    made = [_supplement(world)[2] for _ in range(5)]  # one date: the id breaks the ties
    stmt = supplements.visible_supplements(world.approver)
    expected = [o.id for o in sorted(made, key=lambda o: (o.supplement_due_on, o.id))]
    seen, after, pages = [], None, 0
    while True:
        listed = supplements.supplement_page(stmt, after=after, size=2)
        seen += [o.id for o in listed.rows]
        pages += 1
        assert listed.first == (after is None)
        if listed.next_after is None:
            break
        after = listed.next_after
    assert seen == expected and pages == 3
    assert [o.id for o in supplements.supplement_page(stmt, page=2, size=2).rows] == \
        expected[2:4]

    login_as(client, world.approver)
    cursor = supplements.supplement_page(stmt, size=3).next_after
    html = client.get("/supplements", query_string={"status": "", "after": cursor}) \
        .get_data(as_text=True)
    shown = [i for i in expected if f"/supplements/{i}\"" in html]
    assert shown == expected[3:] and "回到第一页" in html and "下一页" not in html


def test_an_applicant_sees_only_their_own_supplements(world, online, client):
    _, _, obligation = online
    stranger = create_test_user(Role.applicant)
    login_as(client, stranger)
    assert client.get(f"/supplements/{obligation.id}").status_code == 404
    response = client.post(f"/supplements/{obligation.id}/hand-in", data={"note": "x"})
    assert response.status_code == 404
    assert "场所平面图" not in client.get("/supplements").get_data(as_text=True)
    with pytest.raises(NotYourSupplement):
        supplements.hand_in_supplement(obligation, actor=stranger, note="纸质材料")


def test_clerk_hands_in_paper_at_the_counter(world):
    _, _, obligation = _supplement(world)
    submission = supplements.hand_in_supplement(obligation, actor=world.clerk,
                                                note="已现场提交纸质平面图")
    assert submission.channel == "counter" and submission.stored_name is None
    assert obligation.status == SupplementStatus.submitted
    with pytest.raises(SupplementTransitionRefused):
        supplements.hand_in_supplement(obligation, actor=world.clerk, note="again")


def test_nothing_to_hand_in_is_refused(world):
    _, _, obligation = _supplement(world)
    with pytest.raises(InvalidSupplementReview):
        supplements.hand_in_supplement(obligation, actor=world.clerk, note=" ")


def test_the_due_date_itself_is_in_time_the_day_after_is_not(world):
    _, _, obligation = _supplement(world)
    with pytest.raises(SupplementOverdue):
        supplements.hand_in_supplement(obligation, actor=world.clerk, note="纸质",
                                       today=date(2026, 3, 31))
    supplements.hand_in_supplement(obligation, actor=world.clerk, note="纸质", today=DUE)
    assert obligation.status == SupplementStatus.submitted


def test_a_rejected_supplement_opens_a_revocation_case(world):
    _, _, obligation = _supplement(world)
    supplements.hand_in_supplement(obligation, actor=world.clerk, note="纸质平面图")
    with pytest.raises(InvalidSupplementReview):
        supplements.reject_supplement(obligation, " ", actor=world.approver)
    with pytest.raises(NotYourSupplement):
        supplements.accept_supplement(obligation, actor=world.clerk)
    freeze_on(DUE)  # on the due date a rejection is final (before it: hand in again)
    case_ = supplements.reject_supplement(obligation, "平面图与实际场所不符",
                                          actor=world.approver)
    db.session.commit()
    assert obligation.status == SupplementStatus.rejected
    assert case_.origin == RevocationOrigin.supplement_rejected
    assert case_.supplement_id == obligation.id and "平面图与实际场所不符" in case_.request_reason
    assert notices(world.inspector, revocation.NOTIFY_SUPPLEMENT)  # the supervisory dept
    assert notices(world.approver, revocation.NOTIFY_REQUESTED)
    assert case_.finding.value == "breach"
    assert outbox("commitment_broken") == []  # the credit record follows the service
    with pytest.raises(SupplementTransitionRefused):
        supplements.accept_supplement(obligation, actor=world.approver)


def test_a_missed_supplement_leads_to_revocation(world, client):
    licence, task, obligation = _supplement(world)
    # on the due date nothing is missed yet
    assert supplements.mark_missed_supplements(DUE) == 0
    assert obligation.status == SupplementStatus.pending

    assert supplements.mark_missed_supplements(date(2026, 3, 31)) == 1
    db.session.commit()
    db.session.refresh(obligation)
    assert obligation.status == SupplementStatus.missed
    case_ = db.session.scalar(select(RevocationCase))
    assert case_.origin == RevocationOrigin.supplement_missed
    assert case_.requested_by_id is None and "逾期未补交" in case_.request_reason
    assert notices(world.head, revocation.NOTIFY_SUPPLEMENT)
    assert actions("supplement", obligation.id)[-1] == "supplement.miss"

    # idempotent: a second run (or a run days later) changes nothing
    assert supplements.mark_missed_supplements(date(2026, 3, 31)) == 0
    assert supplements.mark_missed_supplements(date(2026, 4, 20)) == 0
    assert db.session.scalar(select(func.count(RevocationCase.id))) == 1
    assert outbox("commitment_broken") == []

    freeze_on(date(2026, 4, 1))
    login_as(client, world.approver)
    _notice_and_waiver(case_, world.approver)
    db.session.commit()
    response = client.post(f"/revocations/{case_.id}/decision", data={
        "outcome": "revoke", "reason": "未按承诺期限补交场所平面图",
        "lock_version": case_.lock_version})
    assert response.status_code == 302
    client.post(f"/revocations/{case_.id}/service", data={
        "method": "electronic", "served_on": "2026-04-01", "receipt": "电子送达回执"})
    db.session.expire_all()
    assert case_.status == RevocationStatus.revoked
    assert licence.status == LicenceStatus.revoked
    assert task.status == TaskStatus.revoked
    assert "已撤销" in client.get(f"/verify/{licence.verify_token}").get_data(as_text=True)
    # a late supplement is 违反承诺: a broken commitment, not a false one
    assert outbox("dishonesty") == [] and len(outbox("commitment_broken")) == 1
    assert notices(world.inspector, revocation.NOTIFY_DECIDED)


def test_the_sweep_can_commit_each_supplement(world):
    _, _, first = _supplement(world)
    _, _, second = _supplement(world)
    assert supplements.mark_missed_supplements(date(2026, 4, 1), commit_each=True) == 2
    db.session.rollback()  # nothing pending: both were committed
    assert {first.status, second.status} == {SupplementStatus.missed}


def test_a_missed_supplement_of_a_revoked_licence_opens_no_case(world):
    from licensing.enforcement.services import open_revocation_case

    licence, _, _ = _supplement(world)
    supplements.mark_missed_supplements(date(2026, 3, 31))
    _revoke(licence, "逾期未补交", world.approver)
    again = open_revocation_case(licence, RevocationOrigin.supplement_rejected,
                                 supplement=None, task=None, reason="x")
    assert again is None
    assert "revocation_case.not_opened" in actions("licence", licence.id)


def test_the_sweep_command(world, runner):
    _, _, obligation = _supplement(world)
    result = runner.invoke(args=["revocation", "sweep-supplements", "--today", "2026-03-31"])
    assert result.exit_code == 0, result.output
    assert "1 项" in result.output
    db.session.refresh(obligation)
    assert obligation.status == SupplementStatus.missed
    again = runner.invoke(args=["revocation", "sweep-supplements", "--today", "2026-03-31"])
    assert "0 项" in again.output


def test_the_applicant_online_is_told_of_the_revocation(world, online):
    user, licence, _ = online
    supplements.mark_missed_supplements(date(2026, 3, 31))
    _revoke(licence, "未按承诺期限补交材料", world.approver)
    told = notices(user, revocation.NOTIFY_DECIDED)
    assert len(told) == 1 and licence.number in told[0].title
    assert told[0].link == f"/applications/{licence.application.public_id}"
