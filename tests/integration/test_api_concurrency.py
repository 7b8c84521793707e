"""Fifty parallel submissions with one Idempotency-Key make one application (PostgreSQL)."""

from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from licensing.api import intake
from licensing.api.models import IdempotentResponse
from licensing.applicants.models import Applicant
from licensing.auth.models import Role
from licensing.cases.models import Application, CommitmentLetter
from licensing.credit.models import CreditCheck
from licensing.extensions import db
from tests.case_factories import applicant
from tests.integration import test_api
from tests.integration.test_api import ApiClient, commitment_body

world = test_api.world

PARALLEL = 50


@pytest.fixture
def pg_only(backend):
    if backend != "postgresql":
        pytest.skip("the race on the unique key is proven on PostgreSQL, the production database")


@pytest.mark.parametrize("known_applicant", [False, True], ids=["new-applicant", "known"])
def test_fifty_parallel_submissions_with_one_key_make_one_application(
        app, world, pg_only, monkeypatch, known_applicant):
    """A new applicant makes the requests queue on the applicant's unique code first; a known
    one makes them race on the application's unique idempotency key itself."""
    _, users = world
    token = ApiClient(app).token(users[Role.clerk])
    body = commitment_body(seed=555)
    if known_applicant:
        applicant(seed=555, name=body["applicant"]["name"])
    lost_races = []
    replay = intake.replay_after_race
    monkeypatch.setattr(intake, "replay_after_race",
                        lambda *a, **k: lost_races.append(1) or replay(*a, **k))
    headers = {"Idempotency-Key": str(uuid.uuid4()), "Authorization": f"Bearer {token}"}
    db.session.commit()
    db.session.remove()

    barrier = threading.Barrier(PARALLEL)
    answers: list[tuple[int, dict, bool]] = []
    errors: list[BaseException] = []

    def submit():
        try:
            client = app.test_client()
            barrier.wait(timeout=30)
            response = client.post("/api/v1/applications", json=body, headers=headers)
            answers.append((response.status_code, response.json,
                            response.headers.get("Idempotent-Replayed") == "true"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=submit) for _ in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(answers) == PARALLEL

    statuses = {status for status, _, _ in answers}
    assert statuses == {201}, [a for a in answers if a[0] != 201][:3]
    bodies = {a[1]["id"] for a in answers}
    assert len(bodies) == 1
    assert all(a[1] == answers[0][1] for a in answers)
    assert sum(1 for a in answers if not a[2]) == 1  # one created, 49 replayed
    if known_applicant:
        assert lost_races, "no request lost the race on the unique key: nothing was proven"

    db.session.expire_all()

    def count(model):
        return db.session.scalar(select(func.count()).select_from(model))

    assert count(Application) == 1
    assert count(Applicant) == 1
    assert count(CreditCheck) == 1
    assert count(CommitmentLetter) == 1
    assert count(IdempotentResponse) == 1
