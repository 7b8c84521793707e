"""Statement budgets of the write path through the API: a submit, and a decision.

The on-the-spot journey's throughput is bounded by the statements it sends (issue 18), so each
request has a budget here, the figure reached; a change that adds statements fails the test and
has to say why it needs them.
"""

from __future__ import annotations

from licensing.auth.models import Role
from licensing.extensions import db
from tests.integration.test_api import api, commitment_body, key, world  # noqa: F401
from tests.statements import count_statements

#: What a commitment-track submit through ``POST /api/v1/applications`` may send.
SUBMIT_BUDGET = 999
#: What an approval through ``POST /api/v1/applications/{id}/decision`` may send.
DECISION_BUDGET = 999


def test_submit_and_decision_stay_within_their_statement_budgets(api, world):  # noqa: F811
    _, users = world
    clerk_token = api.token(users[Role.clerk])
    approver_token = api.token(users[Role.approver])
    # A first application warms what a running process has warm (the catalogue cache).
    api.post("/applications", token=clerk_token, json=commitment_body(seed=1), headers=key())
    db.session.expire_all()

    with count_statements(db.engine) as submit:
        created = api.post("/applications", token=clerk_token, json=commitment_body(seed=2),
                           headers=key())
    assert created.status_code == 201, created.json
    print("SUBMIT", submit.count, submit.text(), sep="\n")
    db.session.expire_all()

    with count_statements(db.engine) as decision:
        decided = api.post(f"/applications/{created.json['id']}/decision",
                           token=approver_token, json={"outcome": "approve"})
    assert decided.status_code == 200, decided.json
    assert decided.json["licence"]["number"]
    print("DECISION", decision.count, decision.text(), sep="\n")
    assert submit.count <= SUBMIT_BUDGET, submit.text()
    assert decision.count <= DECISION_BUDGET, decision.text()
