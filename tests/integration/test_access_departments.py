"""The other half of the access matrix: another department's object answers 404.

One licensed commitment case is built (approval 市行政审批局, supervision 市卫生健康局) with its
verification task, supplement and revocation case. Then, for every page endpoint that takes one of
those objects, every declared staff role is tried from departments that have nothing to do with
the case (a second approval department and 市市场监督管理局): each must get 404, so the object's
existence is not revealed. The case's own departments reach the same URLs (the positive control).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from licensing.auth.access import ROLES_ATTR
from licensing.auth.models import DepartmentKind, Role
from licensing.auth.services import ensure_department
from licensing.enforcement.models import BreachCase, RevocationCase
from licensing.extensions import db
from licensing.supervision import services as supervision
from licensing.supervision.models import Outcome
from licensing.supplements.models import SupplementObligation
from tests.factories import create_test_user, login_as
from tests.integration.test_supervision_support import TODAY, licensed, world_fixture  # noqa: F401

#: URL argument → how to find its value in the built case.
ARGUMENTS = {
    "public_id": lambda c: c["application"].public_id,
    "task_id": lambda c: c["task"].id,
    "supplement_id": lambda c: c["supplement"].id,
    "case_id": lambda c: c["revocation"].id,
    "breach_id": lambda c: c["breach"].id,
}
STAFF_ROLES = (Role.clerk, Role.approver, Role.inspector, Role.head)


def _object_rules(app):
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or not rule.arguments:
            continue
        if not set(rule.arguments) <= set(ARGUMENTS):
            continue
        view = app.view_functions[rule.endpoint]
        roles = [r for r in getattr(view, ROLES_ATTR, ()) if r in STAFF_ROLES]
        method = "GET" if "GET" in rule.methods else "POST"
        rules.append((rule, method, roles))
    return rules


@pytest.fixture
def built(world):
    application, _licence, task = licensed(world, decided_on=date(2026, 3, 2))
    supervision.record_result(task, Outcome.nonconform, "场所与承诺不符", TODAY,
                              actor=world.inspector)
    supervision.order_rectification(task, date(2026, 3, 20), requirements="整改",
                                    actor=world.inspector)
    supervision.record_rectification_outcome(task, False, note="复查仍不符合",
                                             reinspected_on=TODAY, actor=world.inspector)
    db.session.commit()
    return {
        "application": application,
        "task": task,
        "supplement": db.session.scalar(select(SupplementObligation)),
        "revocation": db.session.scalar(select(RevocationCase)),
        "breach": db.session.scalar(select(BreachCase)),
        "world": world,
    }


def test_other_departments_get_404_on_every_object_page(app, built):
    other_approval = ensure_department("qtsp", "外县行政审批局", DepartmentKind.approval)
    db.session.commit()
    outsiders = {
        Role.clerk: create_test_user(Role.clerk, other_approval.code),
        Role.approver: create_test_user(Role.approver, other_approval.code),
        Role.inspector: create_test_user(Role.inspector, "scjgj"),
        Role.head: create_test_user(Role.head, "scjgj"),
    }
    clients = {}
    for role, user in outsiders.items():
        clients[role] = app.test_client()
        login_as(clients[role], user)
    checked = 0
    for rule, method, roles in _object_rules(app):
        path = rule.build({name: ARGUMENTS[name](built) for name in rule.arguments},
                          append_unknown=False)[1]
        for role in roles:
            response = clients[role].open(path, method=method)
            assert response.status_code == 404, (rule.endpoint, role.value,
                                                  response.status_code)
            checked += 1
    assert checked >= 20  # the case, task, supplement and revocation pages were all tried


def test_own_departments_reach_the_same_objects(app, built):
    world = built["world"]
    insiders = {"cases.show": world.clerk, "supervision.show": world.inspector,
                "revocation.show": world.approver, "supplements.supplement": world.clerk,
                "revocation.breach": world.inspector}
    for rule, method, _ in _object_rules(app):
        user = insiders.get(rule.endpoint)
        if user is None:
            continue
        client = app.test_client()
        login_as(client, user)
        path = rule.build({name: ARGUMENTS[name](built) for name in rule.arguments},
                          append_unknown=False)[1]
        assert client.open(path, method=method).status_code == 200, rule.endpoint
