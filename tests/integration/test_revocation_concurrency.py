"""Concurrent acts on PostgreSQL: the conditional UPDATE lets exactly one actor win."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from licensing.auth.models import User
from licensing.cases.models import Licence, LicenceStatus
from licensing.credit.models import OutboxMessage
from licensing.enforcement import services as revocation
from licensing.enforcement.models import RevocationCase, RevocationStatus
from licensing.extensions import db
from licensing.supervision import services as supervision
from licensing.supervision.errors import NotYourTask
from licensing.supervision.models import Outcome, TaskStatus, VerificationTask
from licensing.supplements.services import mark_missed_supplements
from tests.concurrency import run_in_threads
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    freeze_on,
    licensed,
    world_fixture,
)


@pytest.fixture
def pg_only(backend):
    if backend != "postgresql":
        pytest.skip("row-lock concurrency is proven on PostgreSQL, the production database")

def test_ten_inspectors_record_one_result(app, world, pg_only):
    _, _, task = licensed(world)
    task_id, version = task.id, task.lock_version
    inspector_ids = [world.inspector.id, world.inspector_b.id, world.head.id] * 3 + [
        world.inspector.id]

    def record(user_id):
        def target():
            task_ = db.session.get(VerificationTask, task_id)
            user = db.session.get(User, user_id)
            try:
                supervision.record_result(task_, Outcome.conform, None, date(2026, 3, 9),
                                          actor=user, expected_version=version)
            except NotYourTask:
                # The winner took the unassigned task; another inspector whose thread reads
                # it afterwards is told it is now someone else's (a clear refusal too).
                return "refused"
            return "recorded"
        return target

    outcomes = run_in_threads(app, [record(i) for i in inspector_ids])
    assert outcomes.count("recorded") == 1 and outcomes.count("refused") == 9
    db.session.expire_all()
    assert db.session.get(VerificationTask, task_id).status == TaskStatus.closed
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "commitment_kept")) == 1


def test_ten_approvers_revoke_one_licence(app, world, pg_only):
    _, licence, task = licensed(world)
    supervision.record_result(task, Outcome.nonconform, "不符", date(2026, 3, 9),
                              actor=world.inspector, finding="false_commitment")
    supervision.order_rectification(task, date(2026, 3, 20), actor=world.inspector)
    freeze_on(date(2026, 3, 23))
    case_ = supervision.record_rectification_outcome(
        task, False, note="未整改", actor=world.inspector).revocation_case
    revocation.give_notice(case_, facts="事实", reasons="理由", legal_basis=None,
                           actor=world.approver)
    revocation.record_statement(case_, received_on=date(2026, 3, 23), waives_rights=True,
                                actor=world.approver)
    db.session.commit()
    case_id = case_.id
    licence_id, approver_id = licence.id, world.approver.id

    def decide():
        licence_ = db.session.get(Licence, licence_id)
        approver = db.session.get(User, approver_id)
        revocation.revoke(licence_, "承诺不实", actor=approver,
                          case=db.session.get(RevocationCase, case_id))
        return "revoked"

    def serve():
        approver = db.session.get(User, approver_id)
        revocation.serve(db.session.get(RevocationCase, case_id), method="direct",
                         served_on=date(2026, 3, 23), receipt="签收", actor=approver)
        return "served"

    outcomes = run_in_threads(app, [decide] * 10)
    assert outcomes.count("revoked") == 1 and outcomes.count("refused") == 9
    outcomes = run_in_threads(app, [serve] * 10)
    assert outcomes.count("served") == 1 and outcomes.count("refused") == 9
    db.session.expire_all()
    assert db.session.get(Licence, licence_id).status == LicenceStatus.revoked
    assert db.session.get(RevocationCase, case_id).status == RevocationStatus.revoked
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "dishonesty")) == 1


def test_parallel_sweeps_open_one_case_per_supplement(app, world, pg_only):
    for _ in range(3):
        licensed(world)

    def target():
        return str(mark_missed_supplements(date(2026, 4, 1), commit_each=True))

    outcomes = run_in_threads(app, [target] * 6)
    assert sum(int(o) for o in outcomes) == 3
    db.session.expire_all()
    assert db.session.scalar(select(func.count(RevocationCase.id))) == 3
    # the credit consequence follows the revocation's service, not the missed supplement
    assert db.session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.kind == "commitment_broken")) == 0
