"""The core journey through the services: both tracks, the credit gate, the decision."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from licensing.audit.models import AuditEntry
from licensing.auth.models import Role
from licensing.calendar.deadlines import DeadlineRule
from licensing.cases import services
from licensing.cases.errors import (
    AlreadyDecided,
    CreditIneligible,
    InvalidCommitment,
    LetterChanged,
    NoticeNotGiven,
)
from licensing.cases.models import (
    ApplicationStatus,
    Channel,
    CommitmentLetter,
    Decision,
    Licence,
    LicenceStatus,
    MaterialHandling,
    PauseReason,
    Track,
)
from licensing.catalogue.models import VerificationRule
from licensing.errors import InvalidTransition, ValidationFailed
from licensing.extensions import db
from licensing.supervision.models import TaskStatus, VerificationTask
from licensing.supplements.models import SupplementObligation
from tests.case_factories import applicant, calendar_loaded, published_item
from tests.catalogue_factories import answered
from tests.factories import create_test_user

COMMIT_MODES = {"M1": None, "M2": "supplement", "M3": "substitute", "M4": "exempt_review"}


@pytest.fixture
def world(session):
    calendar_loaded()
    clerk = create_test_user(Role.clerk)
    approver = create_test_user(Role.approver)
    return clerk, approver


def _signed_commitment_application(clerk, version=None, who=None, key=None):
    version = version or published_item()
    app = services.start_application(version, who or applicant(), Channel.counter, actor=clerk,
                                     idempotency_key=key)
    services.give_notice(app)
    choice = services.choose_track(app, Track.commitment)
    assert choice.eligible, choice.reasons
    services.set_commitments(app, COMMIT_MODES)
    text = services.letter_text(app)
    services.sign_letter(app, "张三", services.letter_digest(text), Channel.counter, actor=clerk)
    db.session.commit()
    return app


def _actions(object_type, object_id):
    return db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id)).all()


def test_commitment_track_approval_issues_licence_task_and_supplements(world):
    clerk, approver = world
    app = _signed_commitment_application(clerk)
    assert app.status == ApplicationStatus.submitted
    letter = app.letter
    assert letter.sha256 == services.letter_digest(letter.text)
    assert "场所平面图" in letter.text and "承诺限期补齐补全" in letter.text

    result = services.decide(app, Decision.approve, approver, decided_on=date(2026, 9, 30))
    db.session.commit()

    licence = result.licence
    assert licence.number == "XZSPJ-2026-000001"
    assert licence.status == LicenceStatus.valid
    task = db.session.scalar(select(VerificationTask).where(
        VerificationTask.licence_id == licence.id))
    assert task.status == TaskStatus.open
    deadline = task.verification_deadline
    assert deadline.rule == DeadlineRule.standard_60
    assert deadline.start_on == date(2026, 9, 30)
    assert deadline.working_days == 60
    assert task.moved_checks == ["site_survey"]
    supplements = db.session.scalars(select(SupplementObligation)).all()
    assert [s.material.code for s in supplements] == ["M2"]
    assert supplements[0].supplement_deadline.rule == DeadlineRule.supplement
    # 2026-09-30 + 20 working days, across National Day (10-01..10-07, make-up Saturday 10-10)
    assert supplements[0].supplement_due_on == date(2026, 11, 3)

    actions = _actions("application", app.id)
    assert actions[:6] == ["application.started", "application.notice_given",
                           "application.track_chosen", "application.commitments_set",
                           "application.letter_signed", "application.approved"]
    assert "licence.issued" in _actions("licence", licence.id)
    # the placeholder the licence row holds until its number is taken never leaks out
    for changes in db.session.scalars(select(AuditEntry.changes)):
        assert "pending-" not in str(changes)
    assert "verification_task.opened" in _actions("verification_task", task.id)


def test_public_interest_item_gets_seven_working_days(world):
    clerk, approver = world
    version = published_item(rule=VerificationRule.public_interest, working_days=7)
    app = _signed_commitment_application(clerk, version)
    result = services.decide(app, Decision.approve, approver, decided_on=date(2026, 2, 13))
    assert result.task.verification_due_on == date(2026, 3, 2)  # across Spring Festival 2026
    assert result.task.verification_deadline.rule == DeadlineRule.public_interest_7


def test_item_specific_limit(world):
    clerk, approver = world
    version = published_item(rule=VerificationRule.item_specific, working_days=15)
    app = _signed_commitment_application(clerk, version)
    result = services.decide(app, Decision.approve, approver, decided_on=date(2026, 5, 8))
    deadline = result.task.verification_deadline
    assert deadline.rule == DeadlineRule.item_specific and deadline.working_days == 15


def test_deadline_into_unannounced_year_is_provisional(world):
    clerk, approver = world
    app = _signed_commitment_application(clerk)
    result = services.decide(app, Decision.approve, approver, decided_on=date(2026, 11, 29))
    assert result.task.verification_due_on.year == 2027
    assert result.task.verification_provisional is True


def test_numbers_are_sequential_per_department_and_year(world):
    clerk, approver = world
    version = published_item()
    numbers = []
    for decided_on in (date(2026, 3, 2), date(2026, 3, 3), date(2027, 1, 4)):
        app = _signed_commitment_application(clerk, version)
        numbers.append(services.decide(app, Decision.approve, approver,
                                       decided_on=decided_on).licence.number)
        db.session.commit()
    assert numbers == ["XZSPJ-2026-000001", "XZSPJ-2026-000002", "XZSPJ-2027-000001"]


def test_second_decision_is_refused(world):
    clerk, approver = world
    app = _signed_commitment_application(clerk)
    services.decide(app, Decision.approve, approver)
    db.session.commit()
    with pytest.raises(AlreadyDecided):
        services.decide(app, Decision.approve, approver)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Licence.id))) == 1


def test_reject_needs_a_reason_and_issues_nothing(world):
    clerk, approver = world
    app = _signed_commitment_application(clerk)
    with pytest.raises(ValidationFailed):
        services.decide(app, Decision.reject, approver, reason="  ")
    db.session.rollback()
    result = services.decide(app, Decision.reject, approver, reason="经营场所不符合要求")
    db.session.commit()
    assert result.licence is None and app.status == ApplicationStatus.rejected
    assert db.session.scalar(select(func.count(VerificationTask.id))) == 0


def test_same_idempotency_key_makes_one_application(world):
    version = published_item()
    who = applicant()
    first = services.start_application(version, who, Channel.online, idempotency_key="k-1")
    second = services.start_application(version, who, Channel.online, idempotency_key="k-1")
    assert first.id == second.id


def test_track_needs_the_notice_first(world):
    app = services.start_application(published_item(), applicant(), Channel.counter)
    with pytest.raises(NoticeNotGiven):
        services.choose_track(app, Track.commitment)


def test_mode_not_allowed_is_refused(world):
    app = services.start_application(published_item(), applicant(), Channel.counter)
    services.give_notice(app)
    services.choose_track(app, Track.commitment)
    with pytest.raises(InvalidCommitment) as excinfo:
        services.set_commitments(app, {"M1": "substitute"})
    assert "申请书" in excinfo.value.message


def test_letter_changed_between_reading_and_signing_is_refused(world):
    app = services.start_application(published_item(), applicant(), Channel.counter)
    services.give_notice(app)
    services.choose_track(app, Track.commitment)
    services.set_commitments(app, COMMIT_MODES)
    shown = services.letter_digest(services.letter_text(app))
    services.set_commitments(app, {**COMMIT_MODES, "M4": "substitute"})
    with pytest.raises(LetterChanged):
        services.sign_letter(app, "张三", shown, Channel.counter)


def test_signed_letter_never_changes(world):
    clerk, _ = world
    _signed_commitment_application(clerk)
    letter = db.session.scalar(select(CommitmentLetter))
    letter.text = "篡改"
    with pytest.raises(ValueError):
        db.session.flush()
    db.session.rollback()


def test_general_track_statutory_clock_pauses_and_moves(world):
    clerk, approver = world
    version = published_item(statutory_limit_days=20)
    app = services.start_application(version, applicant(), Channel.counter, actor=clerk)
    services.give_notice(app)
    services.choose_track(app, Track.general)
    with pytest.raises(ValidationFailed) as excinfo:
        services.accept_general(app, ["M1", "M2"], accepted_on=date(2026, 3, 2))
    assert "从业人员健康证明" in excinfo.value.message
    services.accept_general(app, ["M1", "M2", "M3", "M4"], accepted_on=date(2026, 3, 2))
    assert app.statutory_deadline.rule == DeadlineRule.statutory
    assert app.statutory_due_on == date(2026, 3, 30)
    services.pause_clock(app, PauseReason.expert_review, date(2026, 3, 9))
    with pytest.raises(InvalidTransition):
        services.pause_clock(app, PauseReason.hearing, date(2026, 3, 10))
    services.resume_clock(app, date(2026, 3, 16))  # 03-09..03-13 not counted: 5 working days
    assert app.pauses[0].working_days_excluded == 5
    assert app.statutory_due_on == date(2026, 4, 7)  # 25 working days after 03-02 (清明 04-04..06)
    result = services.decide(app, Decision.approve, approver, decided_on=date(2026, 3, 20))
    db.session.commit()
    assert result.licence is not None and result.task is None
    assert db.session.scalar(select(func.count(VerificationTask.id))) == 0
    actions = _actions("application", app.id)
    assert "application.clock_paused" in actions and "application.clock_resumed" in actions


def test_credit_ineligible_applicant_is_told_why_and_goes_general(world):
    from licensing.credit.importer import import_file

    clerk, _ = world
    who = applicant(name="失信示例有限公司")
    csv = ("code,name,record_type,start_on,repaired_on\n"
           f"{who.code},{who.name},serious_dishonesty,2025-06-01,\n")
    import_file(csv.encode(), source_name="test.csv", progress=False)
    db.session.commit()
    app = services.start_application(published_item(), who, Channel.counter, actor=clerk)
    services.give_notice(app)
    choice = services.choose_track(app, Track.commitment)
    assert not choice.eligible
    assert any("严重失信" in r for r in choice.reasons)
    assert app.credit_ineligible and app.credit_check_id is not None
    with pytest.raises(CreditIneligible):
        services.require_eligible(choice)
    services.choose_track(app, Track.general)
    services.accept_general(app, ["M1", "M2", "M3", "M4"])
    db.session.commit()
    assert app.track == Track.general and app.credit_ineligible
    assert app.credit_check.eligible is False


def test_handling_recorded_per_material(world):
    clerk, _ = world
    app = _signed_commitment_application(clerk)
    handling = {row.material.code: row.handling for row in app.materials}
    assert handling == {"M1": MaterialHandling.submitted, "M2": MaterialHandling.supplement,
                        "M3": MaterialHandling.substitute, "M4": MaterialHandling.exempt_review}


def test_superseded_version_is_refused_and_filed_applications_keep_theirs(world):
    from licensing.cases.errors import ItemNotAvailable
    from licensing.catalogue.services import publish_version, start_draft
    from licensing.clock import local_today

    clerk, approver = world
    old = published_item(valid_from=date(2025, 1, 1))
    filed = _signed_commitment_application(clerk, old)
    new = start_draft(old.item)
    publish_version(new, local_today(), exclusion_check=answered(new))
    db.session.commit()
    with pytest.raises(ItemNotAvailable):
        services.start_application(old, applicant(), Channel.counter)
    db.session.rollback()
    assert services.start_application(new, applicant(), Channel.counter).item_version_id == new.id
    result = services.decide(filed, Decision.approve, approver)
    assert result.application.item_version_id == old.id
    assert result.task.item_version_id == old.id
