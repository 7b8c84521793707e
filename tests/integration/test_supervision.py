"""Verification tasks through the services: result, push, rectification, assignment, refusals."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from licensing.calendar.deadlines import DeadlineRule
from licensing.calendar.registry import deadline_providers
from licensing.credit.models import OutboxStatus
from licensing.enforcement.models import RevocationCase, RevocationOrigin, RevocationStatus
from licensing.errors import Forbidden
from licensing.extensions import db
from licensing.supervision import services
from licensing.supervision.errors import (
    InvalidAssignee,
    InvalidRectification,
    InvalidResult,
    JudicialTransferInvalid,
    NotYourTask,
    RectificationTransitionRefused,
    StaleTask,
    TaskTransitionRefused,
)
from licensing.supervision.models import (
    Outcome,
    RectificationOrder,
    RectificationStatus,
    TaskStatus,
)
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    TODAY,
    actions,
    freeze_on,
    licensed,
    notices,
    outbox,
    world_fixture,
)

CHECKED_ON = date(2026, 3, 9)  # a Monday; +5 working days = Monday 16 March


def _breach(world, **kwargs):
    _, licence, task = licensed(world, **kwargs)
    services.record_result(task, Outcome.nonconform, "经营场所与承诺不符", CHECKED_ON,
                           actor=world.inspector)
    db.session.commit()
    return licence, task


def test_conform_result_is_pushed_closes_the_task_and_queues_commitment_kept(world):
    _, _, task = licensed(world)
    deadline = services.record_result(
        task, "conform", "", CHECKED_ON, actor=world.inspector,
        checklist={"核对经营场所": "conform", "核对从业人员": "conform",
                   "现场勘验（审批后实施）": "not_applicable"})
    db.session.commit()

    assert deadline.rule == DeadlineRule.result_push_5
    assert deadline.start_on == CHECKED_ON and deadline.start_event == "verification_checked"
    assert deadline.due_on == date(2026, 3, 16) and not deadline.provisional
    assert task.result_push_deadline == deadline
    assert task.status == TaskStatus.closed
    assert task.pushed_dt is not None and task.pushed_late is False
    assert task.assigned_to_id == world.inspector.id  # taken by the one who recorded it
    assert task.checklist == [
        {"item": "核对经营场所", "verdict": "conform", "ok": True},
        {"item": "核对从业人员", "verdict": "conform", "ok": True},
        {"item": "现场勘验（审批后实施）", "verdict": "not_applicable", "ok": False}]
    assert actions("verification_task", task.id)[-2:] == [
        "verification_task.record_result", "verification_task.push_conform"]
    kept = outbox("commitment_kept")
    assert [m.idempotency_key for m in kept] == [f"commitment_kept:task:{task.id}"]
    assert kept[0].status == OutboxStatus.pending
    # the approval department sees it, and its approvers are told
    pushed = db.session.scalars(services.results_for_approval(world.approver)).all()
    assert [t.id for t in pushed] == [task.id]
    assert notices(world.approver, services.NOTIFY_RESULT_PUSHED)
    assert db.session.scalars(services.results_for_approval(world.other_inspector)).all() == []


def test_result_kept_back_then_pushed_late_is_marked_late(world):
    _, _, task = licensed(world)
    services.record_result(task, Outcome.conform, None, CHECKED_ON, actor=world.inspector,
                           push=False)
    db.session.commit()
    assert task.status == TaskStatus.checked and task.pushed_dt is None
    counts = services.task_counts(world.head, TODAY)
    assert counts.active == 1
    freeze_on(date(2026, 3, 17))  # the day after the push deadline
    services.push_result(task, actor=world.head)
    db.session.commit()
    assert task.pushed_late is True and task.status == TaskStatus.closed
    assert [t.id for t in db.session.scalars(services.results_for_approval(world.approver))] \
        == [task.id]


def test_pushed_on_the_due_date_is_in_time(world):
    _, _, task = licensed(world)
    services.record_result(task, Outcome.conform, None, CHECKED_ON, actor=world.inspector,
                           push=False)
    freeze_on(date(2026, 3, 16))
    services.push_result(task, actor=world.inspector)
    assert task.pushed_late is False


@pytest.mark.parametrize(("outcome", "findings", "checked_on", "code"), [
    ("nonconform", "  ", CHECKED_ON, "findings_required"),
    ("maybe", "x", CHECKED_ON, "outcome_required"),
    ("conform", "", date(2026, 3, 11), "checked_on_future"),
    ("conform", "", date(2026, 3, 1), "checked_on_before_licence"),
])
def test_bad_results_are_refused(world, outcome, findings, checked_on, code):
    _, _, task = licensed(world)
    with pytest.raises(InvalidResult) as excinfo:
        services.record_result(task, outcome, findings, checked_on, actor=world.inspector)
    assert excinfo.value.code == code
    db.session.rollback()
    assert task.status == TaskStatus.open


def test_nonconform_breach_is_pushed_and_opens_the_breach_case(world):
    from licensing.enforcement.services import breach_case_of_task

    licence, task = _breach(world)
    assert task.status == TaskStatus.breach
    assert task.outcome == Outcome.nonconform and task.findings == "经营场所与承诺不符"
    breach = breach_case_of_task(task)
    assert breach.licence_id == licence.id and breach.finding.value == "breach"
    # the credit consequence follows the revocation's service, never the finding alone
    assert outbox("commitment_broken") == []
    assert outbox("commitment_kept") == []


def test_rectified_in_time_closes_the_task(world):
    _, task = _breach(world)
    order = services.order_rectification(task, date(2026, 3, 20), requirements="补齐消毒设施",
                                         actor=world.inspector)
    db.session.commit()
    assert task.status == TaskStatus.rectifying
    deadline = order.rectification_deadline
    assert deadline.rule == DeadlineRule.rectification
    assert deadline.start_on == TODAY and deadline.due_on == date(2026, 3, 20)
    assert deadline.working_days == 8
    assert task.current_due_on == date(2026, 3, 20)
    result = services.record_rectification_outcome(task, True, actor=world.inspector)
    db.session.commit()
    assert result.revocation_case is None
    assert order.status == RectificationStatus.rectified
    assert task.status == TaskStatus.closed and task.closed_dt is not None
    assert actions("rectification", order.id) == ["rectification.ordered",
                                                  "rectification.rectified"]
    assert "verification_task.rectified" in actions("verification_task", task.id)


def test_not_rectified_asks_the_approval_department_to_revoke(world):
    _, task = _breach(world)
    services.order_rectification(task, date(2026, 3, 20), actor=world.inspector)
    freeze_on(date(2026, 3, 23))
    result = services.record_rectification_outcome(task, False, note="逾期仍未配备消毒设施",
                                                   actor=world.inspector)
    db.session.commit()
    case_ = result.revocation_case
    assert case_.origin == RevocationOrigin.supervision_breach
    assert case_.status == RevocationStatus.requested and case_.task_id == task.id
    assert "逾期未整改" in case_.request_reason and "经营场所与承诺不符" in case_.request_reason
    assert task.status == TaskStatus.revocation_requested
    assert task.rectification.status == RectificationStatus.failed
    assert notices(world.approver, "revocation.requested")
    assert actions("revocation_case", case_.id) == ["revocation_case.requested"]


def test_still_short_after_rectification_needs_a_note(world):
    _, task = _breach(world)
    services.order_rectification(task, date(2026, 3, 20), actor=world.inspector)
    with pytest.raises(InvalidResult):
        services.record_rectification_outcome(task, False, note=" ", actor=world.inspector)


def test_rectification_due_on_a_holiday_carries_over(world):
    freeze_on(date(2026, 9, 28))
    _, _, task = licensed(world, decided_on=date(2026, 9, 21))
    services.record_result(task, Outcome.nonconform, "不符", date(2026, 9, 25),
                           actor=world.inspector)
    order = services.order_rectification(task, date(2026, 10, 3), actor=world.inspector)
    # 3 October 2026 is in the National Day holiday: the period ends on the next working day.
    assert order.rectification_due_on == date(2026, 10, 8)
    assert order.rectification_working_days == 3
    with pytest.raises(InvalidRectification):
        services.order_rectification(task, date(2026, 9, 28), actor=world.inspector)


def test_judicial_transfer_is_recorded_once_and_only_for_a_breach(world):
    _, conform_task = licensed(world)[1:]
    services.record_result(conform_task, Outcome.conform, None, CHECKED_ON,
                           actor=world.inspector)
    with pytest.raises(TaskTransitionRefused):
        services.record_judicial_transfer(conform_task, "定公移〔2026〕1号", TODAY,
                                          actor=world.inspector)
    _, task = _breach(world)
    with pytest.raises(JudicialTransferInvalid):
        services.record_judicial_transfer(task, " ", TODAY, actor=world.inspector)
    services.record_judicial_transfer(task, "定公移〔2026〕1号", TODAY, note="涉嫌伪造证明",
                                      actor=world.head)
    db.session.commit()
    assert task.judicial_transfer_ref == "定公移〔2026〕1号"
    assert task.judicial_transferred_on == TODAY
    assert "verification_task.judicial_transfer" in actions("verification_task", task.id)
    with pytest.raises(TaskTransitionRefused):
        services.record_judicial_transfer(task, "again", TODAY, actor=world.head)


# --- assignment and who may work a task -------------------------------------------------------


def test_head_assigns_and_reassigns_within_the_department(world):
    _, _, task = licensed(world)
    services.assign_task(task, world.inspector, actor=world.head)
    db.session.commit()
    assert task.assigned_to_id == world.inspector.id
    services.assign_task(task, world.inspector_b, actor=world.head,
                         expected_version=task.lock_version)
    db.session.commit()
    assert task.assigned_to_id == world.inspector_b.id
    entries = [a for a in actions("verification_task", task.id) if a.endswith("assigned")]
    assert entries == ["verification_task.assigned", "verification_task.assigned"]
    assert notices(world.inspector_b, services.NOTIFY_ASSIGNED)


def test_assignment_is_refused_outside_the_rules(world):
    _, _, task = licensed(world)
    with pytest.raises(Forbidden):
        services.assign_task(task, world.inspector, actor=world.inspector)
    with pytest.raises(Forbidden):
        services.assign_task(task, world.inspector, actor=world.other_head)
    with pytest.raises(InvalidAssignee):
        services.assign_task(task, world.other_inspector, actor=world.head)
    with pytest.raises(InvalidAssignee):
        services.assign_task(task, world.head, actor=world.head)
    services.record_result(task, Outcome.conform, None, CHECKED_ON, actor=world.inspector)
    with pytest.raises(TaskTransitionRefused):
        services.assign_task(task, world.inspector_b, actor=world.head)


def test_only_the_assigned_inspector_or_the_head_works_the_task(world):
    _, _, task = licensed(world)
    services.assign_task(task, world.inspector, actor=world.head)
    with pytest.raises(NotYourTask):
        services.record_result(task, Outcome.conform, None, CHECKED_ON, actor=world.inspector_b)
    with pytest.raises(NotYourTask):
        services.record_result(task, Outcome.conform, None, CHECKED_ON,
                               actor=world.other_inspector)
    with pytest.raises(NotYourTask):
        services.record_result(task, Outcome.conform, None, CHECKED_ON, actor=world.approver)
    services.record_result(task, Outcome.conform, None, CHECKED_ON, actor=world.head)
    assert task.checked_by_id == world.head.id


def test_a_stale_form_is_refused_with_a_clear_message(world):
    _, _, task = licensed(world)
    shown = task.lock_version
    services.assign_task(task, world.inspector, actor=world.head)
    db.session.commit()
    with pytest.raises(StaleTask) as excinfo:
        services.record_result(task, Outcome.conform, None, CHECKED_ON, actor=world.inspector,
                               expected_version=shown)
    assert "刷新页面" in excinfo.value.message
    db.session.rollback()
    assert task.status == TaskStatus.open


def test_a_concurrent_change_loses_the_conditional_update(world):
    """The UPDATE matches the state read; if another worker moved the row, nothing changes."""
    from sqlalchemy import update

    from licensing.supervision.models import VerificationTask

    _, _, task = licensed(world)
    # Another process records the result between our read and our write.
    db.session.execute(update(VerificationTask).where(VerificationTask.id == task.id)
                       .values(lock_version=VerificationTask.lock_version + 1)
                       .execution_options(synchronize_session=False))
    with pytest.raises(StaleTask):
        services.record_result(task, Outcome.conform, None, CHECKED_ON, actor=world.inspector,
                               expected_version=task.lock_version)


# --- refused transitions through the services ---------------------------------------------------


def test_every_refused_step_through_the_services(world):
    _, _, task = licensed(world)
    # open: nothing to push, no order, no outcome
    with pytest.raises(TaskTransitionRefused):
        services.push_result(task, actor=world.inspector)
    with pytest.raises(TaskTransitionRefused):
        services.order_rectification(task, date(2026, 3, 20), actor=world.inspector)
    with pytest.raises(TaskTransitionRefused):
        services.record_rectification_outcome(task, True, actor=world.inspector)
    services.record_result(task, Outcome.nonconform, "不符", CHECKED_ON, actor=world.inspector,
                           push=False)
    # checked: a second result, an order before the push
    with pytest.raises(TaskTransitionRefused):
        services.record_result(task, Outcome.conform, None, CHECKED_ON, actor=world.inspector)
    with pytest.raises(TaskTransitionRefused):
        services.order_rectification(task, date(2026, 3, 20), actor=world.inspector)
    services.push_result(task, actor=world.inspector)
    # breach: no second push, no outcome without an order
    with pytest.raises(TaskTransitionRefused):
        services.push_result(task, actor=world.inspector)
    with pytest.raises(TaskTransitionRefused):
        services.record_rectification_outcome(task, True, actor=world.inspector)
    order = services.order_rectification(task, date(2026, 3, 20), actor=world.inspector)
    # rectifying: no second order
    with pytest.raises(TaskTransitionRefused):
        services.order_rectification(task, date(2026, 3, 27), actor=world.inspector)
    services.record_rectification_outcome(task, True, actor=world.inspector)
    # closed: the order cannot be decided twice; nothing more happens to the task
    with pytest.raises(TaskTransitionRefused):
        services.record_rectification_outcome(task, False, note="x", actor=world.inspector)
    with pytest.raises(RectificationTransitionRefused):
        services._transition_rectification(order, "not_rectified", actor=world.inspector,
                                           values={})
    assert services.revocation_dismissed(task, actor=world.approver) is False
    assert services.licence_revoked(task, actor=world.approver) is False
    with pytest.raises(TaskTransitionRefused) as excinfo:
        services.add_evidence(task, None, "x.jpg", actor=world.inspector)
    assert "已办结" in excinfo.value.message


def test_refusal_message_names_the_state_in_chinese(world):
    _, _, task = licensed(world)
    with pytest.raises(TaskTransitionRefused) as excinfo:
        services.push_result(task, actor=world.inspector)
    assert excinfo.value.message == "核查任务当前状态为“待核查”，不能推送核查结果。"
    assert excinfo.value.code == "task_transition_refused" and excinfo.value.http_status == 409


# --- the inbox ------------------------------------------------------------------------------


def test_inbox_orders_by_due_date_and_marks_due_soon_and_overdue(world):
    # The 7-working-day rule gives deadlines around TODAY; the 60-day one a later one.
    from licensing.catalogue.models import VerificationRule
    from tests.case_factories import published_item

    seven = published_item(rule=VerificationRule.public_interest, working_days=7,
                           valid_from=date(2026, 1, 1))
    _, _, overdue = licensed(world, version=seven, decided_on=date(2026, 2, 24))  # due 03-05
    _, _, soon = licensed(world, version=seven, decided_on=date(2026, 3, 6))  # due 03-17
    _, _, later = licensed(world, decided_on=date(2026, 3, 2))  # due in May
    assert overdue.verification_due_on < TODAY
    limit = services.due_soon_limit(TODAY)
    assert limit == date(2026, 3, 17)
    ordered = db.session.scalars(services.task_inbox(world.inspector)).all()
    assert [t.id for t in ordered] == [overdue.id, soon.id, later.id]
    flags = [services.deadline_flag(t.current_due_on, TODAY, limit) for t in ordered]
    assert flags == ["overdue", "due_soon", None]
    counts = services.task_counts(world.head, TODAY)
    assert (counts.active, counts.due_soon, counts.overdue, counts.unassigned) == (3, 1, 1, 3)
    due_soon = services.InboxFilters(due="due_soon")
    assert [t.id for t in db.session.scalars(services.task_inbox(world.head, due_soon))] == [
        soon.id]
    services.assign_task(later, world.inspector, actor=world.head)
    mine = services.InboxFilters(inspector="mine")
    assert [t.id for t in db.session.scalars(services.task_inbox(world.inspector, mine))] == [
        later.id]
    # the other supervisory department sees none of them
    assert db.session.scalars(services.task_inbox(world.other_inspector)).all() == []
    assert services.task_counts(world.other_head, TODAY).active == 0


def test_deadlines_are_registered_for_calendar_recompute(world):
    providers = deadline_providers()
    for name in ("verification_tasks.verification", "verification_tasks.result_push",
                 "rectification_orders.rectification"):
        assert name in providers


def test_revocation_request_is_unique_per_task(world):
    from licensing.enforcement.services import open_revocation_case

    licence, task = _breach(world)
    services.order_rectification(task, date(2026, 3, 20), actor=world.inspector)
    first = services.record_rectification_outcome(task, False, note="复查仍未整改",
                                                  reinspected_on=date(2026, 3, 10),
                                                  actor=world.inspector).revocation_case
    again = open_revocation_case(licence, RevocationOrigin.supervision_breach, task=task,
                                 reason="x", requested_by=world.inspector)
    assert again.id == first.id
    assert len(db.session.scalars(select(RevocationCase)).all()) == 1
    assert db.session.scalar(select(RectificationOrder.status)) == RectificationStatus.failed
