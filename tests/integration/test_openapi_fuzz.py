"""Schemathesis over the OpenAPI document, against the Flask app in-process (WSGI).

Every operation is called with generated requests, valid by the schema (positive) and invalid
(negative), authenticated as a role the operation admits; then once more with path parameters
that name real objects (an application, a licence, a verification task, an applicant, an
item) so that generated bodies reach the services behind the 404. The answers must never be a
server error, must use a documented status and content type, and must fit the documented
schema. Bounded (``MAX_EXAMPLES`` per run, derandomised) so the run stays well under a minute
per database.
"""

from __future__ import annotations

import base64
import uuid
from datetime import date, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis import checks as st_checks

from licensing import clock
from licensing.auth.models import Role
from licensing.extensions import db
from tests.case_factories import published_item
from tests.factories import PASSWORD, create_test_user
from tests.integration import test_api
from tests.integration.test_api import ApiClient, commitment_body

world = test_api.world

MAX_EXAMPLES = 10

#: Not ``negative_data_rejection``: unknown query parameters are ignored on purpose, and the
#: negative cases that drop the Authorization header get it back from ``_auth_for``.
CHECKS = [st_checks.not_a_server_error, st_checks.status_code_conformance,
          st_checks.content_type_conformance, st_checks.response_schema_conformance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
EXAMPLE_ITEM = "SP-001"  # the item of ApplicationIn's example in the document


def _bearer(api, user) -> dict:
    return {"Authorization": f"Bearer {api.token(user)}"}


def _credentials(api, users) -> dict[str, dict]:
    """An ``Authorization`` header per role, for the operations that admit it."""
    headers = {role.value: _bearer(api, users[role]) for role in
               (Role.clerk, Role.approver, Role.inspector, Role.reform_office, Role.admin)}
    clerk = users[Role.clerk]
    raw = base64.b64encode(f"{clerk.username}:{PASSWORD}".encode()).decode()
    headers["basic"] = {"Authorization": f"Basic {raw}"}
    # DELETE /tokens/current revokes the token it is called with: its own account.
    headers["revocable"] = _bearer(api, create_test_user(Role.clerk))
    return headers


def _auth_for(operation, credentials) -> dict:
    definition = operation.definition.raw
    if definition.get("security") == [{"basicAuth": []}]:
        return credentials["basic"]
    if operation.method.upper() == "DELETE" and operation.path == "/tokens/current":
        return credentials["revocable"]
    for role in definition.get("x-roles", []):
        if role in credentials:
            return credentials[role]
    return {}


def _real_objects(api, users) -> dict[str, str | int]:
    """Objects for the path parameters, made through the API itself."""
    clerk = _bearer(api, users[Role.clerk])
    approver = _bearer(api, users[Role.approver])

    def submit(seed):
        response = api.post("/applications", json=commitment_body(seed=seed),
                            headers={**clerk, "Idempotency-Key": str(uuid.uuid4())})
        assert response.status_code == 201, response.json
        return response.json

    waiting = submit(401)
    approved = api.post(f"/applications/{submit(402)['id']}/decision", headers=approver,
                        json={"outcome": "approve"}).json
    # a breach case referred for revocation (re-inspected the day of the order)
    inspector = _bearer(api, users[Role.inspector])
    number = approved["licence"]["number"]
    today = clock.local_today().isoformat()
    breach = api.post(f"/licences/{number}/breaches", headers=inspector,
                      json={"origin": "complaint", "finding": "breach", "facts": "举报",
                            "found_on": today}).json
    due = (clock.local_today() + timedelta(days=14)).isoformat()
    api.post(f"/breaches/{breach['id']}/rectification", headers=inspector,
             json={"due_on": due, "requirements": "整改"})
    referred = api.post(f"/breaches/{breach['id']}/rectification/outcome", headers=inspector,
                        json={"rectified": False, "note": "复查仍不符合",
                              "reinspected_on": today}).json
    return {"application_id": waiting["id"], "task_id": approved["task"]["id"],
            "number": number, "code": commitment_body(seed=402)["applicant"]["code"],
            "breach_id": breach["id"], "case_id": referred["revocation_case_id"]}


def _fixed_parameters(operation, objects) -> dict | None:
    names = [p.name for p in operation.path_parameters]
    if not names:
        return None
    if operation.path.startswith("/items/"):
        return {"code": EXAMPLE_ITEM}
    return {name: objects[name] for name in names}


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(app, world):
    _, users = world
    published_item(EXAMPLE_ITEM, valid_from=date(2026, 1, 1))
    api = ApiClient(app)
    credentials = _credentials(api, users)
    objects = _real_objects(api, users)
    db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    example = schema.raw_schema["components"]["schemas"]["ApplicationIn"]["examples"][0]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16
    # revoking the token last keeps it usable for everything before
    operations.sort(key=lambda op: op.method.upper() == "DELETE")

    for operation in operations:
        headers = _auth_for(operation, credentials)
        for mode in MODES:
            _fuzz(operation.as_strategy(generation_mode=mode), headers)()
        fixed = _fixed_parameters(operation, objects)
        if fixed is not None:
            _fuzz(operation.as_strategy(path_parameters=fixed), headers)()
        if operation.method.upper() == "POST" and operation.path == "/applications":
            _fuzz(operation.as_strategy(body=example), headers)()


def _fuzz(strategy, headers):
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    return run
