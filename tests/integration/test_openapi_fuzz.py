"""Schemathesis over the OpenAPI document, against the Flask app in-process (WSGI).

Every operation is called with generated requests, valid by the schema (positive) and invalid
(negative), authenticated as a role the operation admits; then once more with path parameters
that name real objects (an application, a licence, a verification task, an applicant, an
item) so that generated bodies reach the services behind the 404; and then with the token of
every other role (positive data: the answer is the role's own, 403 included). Every check of
schemathesis runs (``--checks all``): no server error, documented statuses, content types and
headers, schemas fit, invalid data refused, valid data accepted, ``Allow`` on 405, auth not
ignored. Bounded (``MAX_EXAMPLES`` per run, ``ROLE_EXAMPLES`` per other role, derandomised).

Most of the time goes into generating the examples, not into the application. The everyday
run (``make test``, CI) draws 5 examples per strategy; a nightly run sets
``LICENSING_FUZZ_EXAMPLES`` higher (10 was the everyday figure until the suite had to fit
in four minutes).
"""

from __future__ import annotations

import base64
import dataclasses
import os
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

MAX_EXAMPLES = int(os.environ.get("LICENSING_FUZZ_EXAMPLES", "5"))
ROLE_EXAMPLES = 1

#: Error codes that say "the request does not fit the interface", not a business rule.
SCHEMA_REFUSALS = {"validation_failed", "invalid_date", "invalid_json", "json_required",
                   "bad_request"}


@schemathesis.check
def schema_states_every_refusal(ctx, response, case):
    """Data valid by the document is never refused as malformed (400, or 422 on the schema).

    Schemathesis's own ``positive_data_acceptance`` also counts business refusals (an unknown
    item, a credit code with a wrong check digit: 422 with their own codes) as failures; those
    are answers, not gaps in the document.
    """
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    code = (response.json() or {}).get("error", {}).get("code")
    if response.status_code == 400 or code in SCHEMA_REFUSALS:
        raise AssertionError(f"valid data refused as malformed: {response.status_code} "
                             f"{response.text[:300]}")
    return None


#: Every check of schemathesis, with ``schema_states_every_refusal`` for positive data.
EXCLUDED = [st_checks.positive_data_acceptance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
EXAMPLE_ITEM = "SP-001"  # the item of ApplicationIn's example in the document


def _bearer(api, user) -> dict:
    return {"Authorization": f"Bearer {api.token(user)}"}


def _credentials(api, users) -> dict[str, dict]:
    """An ``Authorization`` header per role, for the operations that admit it."""
    headers = {role.value: _bearer(api, users.get(role) or create_test_user(role))
               for role in Role}
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
        # the publish path names a version: the item's first, published (refused, not a 500)
        return {"code": EXAMPLE_ITEM, **({"number": 1} if "number" in names else {})}
    # no routine inspection is drawn here: an unknown one answers 404
    return {name: objects.get(name, 1) if name == "inspection_id" else objects[name]
            for name in names}


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(app, world):
    _, users = world
    # The login throttle stays on, with room for the many wrong credentials the checks send
    # (a 429 there is right, but the ``ignored_auth`` check wants to see the 401 itself).
    app.config["SETTINGS"] = dataclasses.replace(
        app.config["SETTINGS"], login_limits_per_account="1000 per minute",
        login_limits_per_address="1000 per minute", credit_lookup_limits="1000 per minute")
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
        if operation.method.upper() == "DELETE":
            continue  # revoking: the one token made for it
        for role in Role:
            other = credentials[role.value]
            if other is headers:
                continue
            strategy = (operation.as_strategy(path_parameters=fixed) if fixed is not None
                        else operation.as_strategy())
            _fuzz(strategy, other, examples=ROLE_EXAMPLES)()


def _fuzz(strategy, headers, examples=MAX_EXAMPLES):
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def run(case):
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED,
                               additional_checks=[schema_states_every_refusal])

    return run
