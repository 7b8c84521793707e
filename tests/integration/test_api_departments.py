"""Department scoping of the API: another department's object answers 404 on every endpoint.

One commitment case is built through the API (approval 市行政审批局, supervision 市卫生健康局)
up to a rectification order. Then every API operation that takes an application, a task or a
licence in its path is called by each staff role it admits, from departments that have nothing
to do with the case (a second approval department, 市市场监督管理局): each must answer 404, as
the pages do, so the object's existence is not revealed. The case's own departments reach the
same objects (the positive control).
"""

from __future__ import annotations

import uuid

import pytest

from licensing.auth.models import DepartmentKind, Role
from licensing.auth.services import ensure_department
from licensing.extensions import db
from tests.factories import create_test_user
from tests.integration import test_api
from tests.integration.test_api import ApiClient, commitment_body

world = test_api.world

STAFF = (Role.clerk, Role.approver, Role.inspector, Role.head)
#: A valid body per operation, so that only the scoping can refuse.
BODIES = {
    ("post", "/applications/{application_id}/decision"): {"outcome": "approve"},
    ("post", "/verification-tasks/{task_id}/result"): {"outcome": "conform",
                                                       "checked_on": "2026-06-01"},
    ("post", "/verification-tasks/{task_id}/rectification"): {"due_on": "2026-06-30"},
    ("post", "/verification-tasks/{task_id}/rectification/outcome"): {"rectified": True},
    ("post", "/licences/{number}/revocation"): {"reason": "违反承诺"},
    ("post", "/licences/{number}/breaches"): {
        "origin": "complaint", "finding": "breach", "facts": "投诉举报：未按承诺经营",
        "found_on": "2026-06-01"},
    ("post", "/licences/{number}/changes"): {"track": "general", "changes": {"address": "别处"}},
    ("post", "/licences/{number}/renewals"): {"track": "general"},
    ("post", "/licences/{number}/reissue"): {"track": "general"},
    ("post", "/licences/{number}/cancellation"): {"reason": "surrender"},
    ("post", "/licences/{number}/service"): {"document": "certificate", "method": "post",
                                             "served_on": "2026-06-01", "served_to": "张三"},
}
SCOPED_PARAMETERS = ("application_id", "task_id", "number")


@pytest.fixture
def case(app, world):
    """A licensed case whose task is under a rectification order, built through the API."""
    _, users = world
    api = ApiClient(app)
    clerk, approver, inspector = (api.token(users[r]) for r in
                                  (Role.clerk, Role.approver, Role.inspector))
    created = api.post("/applications", token=clerk, json=commitment_body(seed=611),
                       headers={"Idempotency-Key": str(uuid.uuid4())}).json
    decided = api.post(f"/applications/{created['id']}/decision", token=approver,
                       json={"outcome": "approve"}).json
    task_id = decided["task"]["id"]
    api.post(f"/verification-tasks/{task_id}/result", token=inspector,
             json={"outcome": "nonconform", "findings": "不符", "checked_on": "2026-06-01"})
    api.post(f"/verification-tasks/{task_id}/rectification", token=inspector,
             json={"due_on": "2026-06-15"})
    return {"application_id": created["id"], "task_id": task_id,
            "number": decided["licence"]["number"]}


def _outsiders() -> dict[Role, object]:
    ensure_department("qtspj", "其他行政审批局", DepartmentKind.approval)
    db.session.commit()
    return {Role.clerk: create_test_user(Role.clerk, "qtspj"),
            Role.approver: create_test_user(Role.approver, "qtspj"),
            Role.inspector: create_test_user(Role.inspector, "scjgj"),
            Role.head: create_test_user(Role.head, "scjgj")}


def test_other_departments_get_404_on_every_object_operation(app, world, case):
    api = ApiClient(app)
    outsiders = {role: api.token(user) for role, user in _outsiders().items()}
    checked = []
    for path, item in api.doc["paths"].items():
        if not any("{" + name + "}" in path for name in SCOPED_PARAMETERS):
            continue
        for method, operation in item.items():
            url = path
            for name in SCOPED_PARAMETERS:
                url = url.replace("{" + name + "}", str(case[name]))
            for role in (Role(r) for r in operation["x-roles"] if r in {s.value for s in STAFF}):
                response = api.call(method, url, token=outsiders[role],
                                    json=BODIES.get((method, path)))
                assert response.status_code == 404, (method, path, role, response.json)
                checked.append((method, path, role))
    assert len({(m, p) for m, p, _ in checked}) == 14


def test_own_departments_reach_the_same_objects(app, world, case):
    _, users = world
    api = ApiClient(app)
    approver, inspector, head = (api.token(users[r]) for r in
                                 (Role.approver, Role.inspector, Role.head))
    assert api.get(f"/applications/{case['application_id']}", token=approver).status_code == 200
    assert api.get(f"/applications/{case['application_id']}", token=inspector).status_code == 200
    assert api.get(f"/licences/{case['number']}", token=inspector).status_code == 200
    assert api.get(f"/verification-tasks/{case['task_id']}", token=approver).status_code == 200
    outcome = api.post(f"/verification-tasks/{case['task_id']}/rectification/outcome",
                       token=head, json={"rectified": True})
    assert outcome.status_code == 200 and outcome.json["status"] == "closed"
