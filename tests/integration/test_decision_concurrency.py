"""Concurrent decisions on PostgreSQL: no duplicate and no missing licence number."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from licensing.auth.models import Role, User
from licensing.cases import services
from licensing.cases.models import Application, Decision, Licence
from licensing.extensions import db
from licensing.supervision.models import VerificationTask
from tests.case_factories import calendar_loaded, published_item
from tests.concurrency import run_in_threads
from tests.factories import create_test_user
from tests.integration.test_journey import _signed_commitment_application


@pytest.fixture
def pg_only(backend):
    if backend != "postgresql":
        pytest.skip("row-lock concurrency is proven on PostgreSQL, the production database")

def test_parallel_decisions_number_without_gaps(app, session, pg_only):
    calendar_loaded()
    clerk = create_test_user(Role.clerk)
    approver_id = create_test_user(Role.approver).id
    version = published_item()
    ids = [_signed_commitment_application(clerk, version).id for _ in range(12)]

    def decide(application_id):
        def target():
            application = db.session.get(Application, application_id)
            approver = db.session.get(User, approver_id)
            result = services.decide(application, Decision.approve, approver,
                                     decided_on=date(2026, 6, 1))
            return result.licence.number
        return target

    numbers = run_in_threads(app, [decide(i) for i in ids])
    assert sorted(numbers) == [f"XZSPJ-2026-{n:06d}" for n in range(1, 13)]
    db.session.expire_all()
    assert len(db.session.scalars(select(VerificationTask)).all()) == 12


def test_twenty_parallel_approvals_of_one_application(app, session, pg_only):
    calendar_loaded()
    clerk = create_test_user(Role.clerk)
    approver_id = create_test_user(Role.approver).id
    application_id = _signed_commitment_application(clerk).id

    def target():
        application = db.session.get(Application, application_id)
        approver = db.session.get(User, approver_id)
        return services.decide(application, Decision.approve, approver).licence.number

    outcomes = run_in_threads(app, [target] * 20)
    assert outcomes.count("refused") == 19
    db.session.expire_all()
    assert len(db.session.scalars(select(Licence)).all()) == 1
    assert len(db.session.scalars(select(VerificationTask)).all()) == 1
