"""Statement budgets of the write path through the API: a submit, and its decision.

The on-the-spot journey's throughput over HTTP is bounded by the statements each request sends
(issue 18: 53 + 39 before, on SQLite), so each request has a budget here, the figure reached
(docs/decisions/0022-write-path-statements.md). A change that adds statements fails this test
and has to say why it needs them. The counts include every statement the request sends (the
bearer token's lookup, the answer, the audit entries), not the transaction control.
"""

from __future__ import annotations

import pytest

from licensing.auth.models import Role
from licensing.calendar.services import get_calendar
from licensing.extensions import db
from tests.factories import create_test_user
from tests.integration.test_api import api, commitment_body, key, world  # noqa: F401
from tests.statements import count_statements

#: A commitment-track submit through ``POST /api/v1/applications`` (SQLite sends the
#: application's material rows one by one; PostgreSQL in one INSERT). 23 / 20 before the
#: applicant's INSERT ... ON CONFLICT and the notices' INSERT ... SELECT (decision 0025);
#: 20 / 17 before the application's two UPDATEs became one (0025, third pass).
SUBMIT_BUDGET = {"sqlite": 19, "postgresql": 16}
#: An approval through ``POST /api/v1/applications/{id}/decision`` (SQLite sends the two
#: licence documents one by one; PostgreSQL in one INSERT). 16 / 16 before decision 0025;
#: 15 / 14 before the new licence went in with its real number (0025, third pass).
DECISION_BUDGET = {"sqlite": 14, "postgresql": 13}


def _tokens(api, world) -> tuple[str, str]:  # noqa: F811
    """Bearer tokens of the world's clerk and approver."""
    _, users = world
    return api.token(users[Role.clerk]), api.token(users[Role.approver])


@pytest.fixture
def department_of_approvers(world):  # noqa: F811
    """Four more approvers in the approval department: each is told of a case to decide."""
    return [create_test_user(Role.approver) for _ in range(4)]


def test_submit_and_decision_stay_within_their_statement_budgets(
        api, world, department_of_approvers, backend):  # noqa: F811
    clerk_token, approver_token = _tokens(api, world)
    # Two first cases warm what a running process has warm (the catalogue's cache, the
    # compiled statements); the first decision makes the year's licence counter row (a year's
    # first licence inserts it: one statement more, once a year per department).
    for seed in (1, 3):
        warm = api.post("/applications", token=clerk_token, json=commitment_body(seed=seed),
                        headers=key())
        assert api.post(f"/applications/{warm.json['id']}/decision", token=approver_token,
                        json={"outcome": "approve"}).status_code == 200
    get_calendar()  # and the working calendar, read once per process and version
    db.session.expire_all()

    with count_statements(db.engine) as submit:
        created = api.post("/applications", token=clerk_token, json=commitment_body(seed=2),
                           headers=key())
    assert created.status_code == 201, created.json
    assert created.json["status"] == "submitted"
    assert len(created.json["materials"]) == 4 and created.json["letter"]["sha256"]
    db.session.expire_all()

    with count_statements(db.engine) as decision:
        decided = api.post(f"/applications/{created.json['id']}/decision",
                           token=approver_token, json={"outcome": "approve"})
    assert decided.status_code == 200, decided.json
    assert decided.json["licence"]["number"] and decided.json["task"]["id"]
    assert [s["material_code"] for s in decided.json["supplements"]] == ["M2"]

    assert submit.count <= SUBMIT_BUDGET[backend], submit.text()
    assert decision.count <= DECISION_BUDGET[backend], decision.text()
    # Warm, nothing is compiled anew: ON CONFLICT statements are text (0025, third pass).
    assert submit.compiled == [] and decision.compiled == [], submit.compiled + decision.compiled
    # One INSERT of audit entries per request, and one of notices however many approvers.
    for statements in (submit, decision):
        audit = [s for s in statements.sql if s.startswith("INSERT INTO audit_entries")]
        assert len(audit) == 1, statements.text()
    notices = [s for s in submit.sql if s.startswith("INSERT INTO notifications")]
    assert len(notices) == 1, submit.text()


def test_the_answer_built_in_memory_is_the_answer_read_back(api, world):  # noqa: F811
    """What the submit and the decision answer equals what a later GET reads from the rows."""
    clerk_token, approver_token = _tokens(api, world)
    created = api.post("/applications", token=clerk_token, json=commitment_body(seed=3),
                       headers=key())
    assert created.status_code == 201
    db.session.expire_all()
    assert api.get(f"/applications/{created.json['id']}", token=clerk_token).json == created.json
    decided = api.post(f"/applications/{created.json['id']}/decision", token=approver_token,
                       json={"outcome": "approve"})
    assert decided.status_code == 200
    db.session.expire_all()
    assert api.get(f"/applications/{created.json['id']}",
                   token=approver_token).json == decided.json


#: ``GET /api/v1/applications/{id}`` of an approved case: the token, the application with
#: its one-to-one graph, the item's materials, the supplements, the task. 10 before the
#: answer's graph was read with loader options (one lazy load per relationship).
READ_BUDGET = 5


def test_reading_a_decided_application_is_one_statement_per_kind_of_row(api, world):  # noqa: F811
    clerk_token, approver_token = _tokens(api, world)
    created = api.post("/applications", token=clerk_token, json=commitment_body(seed=4),
                       headers=key())
    assert api.post(f"/applications/{created.json['id']}/decision", token=approver_token,
                    json={"outcome": "approve"}).status_code == 200
    db.session.expire_all()

    with count_statements(db.engine) as read:
        shown = api.get(f"/applications/{created.json['id']}", token=clerk_token)
    assert shown.status_code == 200, shown.json
    assert shown.json["licence"]["number"] and shown.json["task"]["id"]
    assert [s["material_code"] for s in shown.json["supplements"]] == ["M2"]
    assert len(shown.json["materials"]) == 4
    assert read.count <= READ_BUDGET, read.text()
