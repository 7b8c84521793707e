"""The JSON API v1: tokens, intake, decisions, roles and scoping, errors.

Every answer of ``ApiClient`` is checked against the OpenAPI document (status documented,
body valid against its schema), so these tests also prove the document tells the truth.
"""

from __future__ import annotations

import base64
import re
import uuid
from datetime import UTC, date, datetime, timedelta

import jsonschema
import pytest
from sqlalchemy import func, select

from licensing import clock
from licensing.api.models import ApiToken, IdempotentResponse
from licensing.api.openapi import openapi_document
from licensing.applicants.services import link_user
from licensing.audit.models import AuditEntry
from licensing.auth.models import DepartmentKind, Role
from licensing.auth.services import ensure_department, set_active, set_password
from licensing.cases.models import Application, ApplicationStatus, Channel, Licence
from licensing.credit.models import CreditCheck
from licensing.extensions import db
from tests.case_factories import applicant, calendar_loaded, enterprise_code, published_item
from tests.factories import PASSWORD, create_test_user, login_as

API = "/api/v1"
#: A Monday well inside the loaded calendar.
TODAY = datetime(2026, 6, 1, 10, 0, tzinfo=clock.LOCAL_TZ)


# --- the client that checks every answer against the document ----------------------------------


class ApiClient:
    """A test client for /api/v1 that validates every answer against the OpenAPI document."""

    def __init__(self, app, client=None):
        self.app = app
        self.client = client or app.test_client()
        self.doc = openapi_document(app)
        self._templates = [
            (re.compile("^" + re.sub(r"\{[a-z_]+\}", "[^/]+", path) + "$"), path)
            for path in self.doc["paths"]
        ]

    def call(self, method: str, path: str, *, token: str | None = None, json=None,
             headers: dict | None = None, data=None, content_type=None, check: bool = True):
        headers = dict(headers or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        response = self.client.open(API + path, method=method.upper(), json=json, data=data,
                                    headers=headers, content_type=content_type)
        assert response.is_json or response.status_code == 204, (
            response.status_code, response.get_data(as_text=True)[:300])
        if check:
            validate_answer(self.doc, self._templates, method, path, response)
        return response

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

    def token(self, user, password: str = PASSWORD) -> str:
        response = self.post("/tokens", headers=basic(user.username, password))
        assert response.status_code == 201, response.json
        return response.json["token"]


def basic(username: str, password: str) -> dict:
    raw = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def validate_answer(doc, templates, method, path, response) -> None:
    """Assert that the status is documented for the operation and the body fits its schema."""
    bare = path.split("?", 1)[0]
    template = next((t for regex, t in templates if regex.match(bare)), None)
    assert template is not None, f"{bare} is not in the document"
    operation = doc["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {template} is not in the document"
    documented = operation["responses"].get(str(response.status_code))
    assert documented is not None, (
        f"{method} {template} answered {response.status_code}, not documented: "
        f"{response.get_data(as_text=True)[:300]}")
    if "content" not in documented:
        assert not response.get_data(), "an answer documented without a body has one"
        return
    schema = dict(documented["content"]["application/json"]["schema"])
    schema["components"] = doc["components"]
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(response.json)


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def api(app, session):
    return ApiClient(app)


@pytest.fixture
def world(app, session):
    """A loaded calendar, a published item, staff of both departments, a fixed today."""
    calendar_loaded()
    clock.set_frozen(TODAY)
    version = published_item("API-1", valid_from=date(2026, 1, 1))
    users = {role: create_test_user(role) for role in
             (Role.clerk, Role.approver, Role.inspector, Role.head, Role.reform_office,
              Role.admin)}
    users["other_inspector"] = create_test_user(Role.inspector, "scjgj")
    return version, users


def commitment_body(seed: int = 1, **overrides) -> dict:
    body = {
        "item_code": "API-1",
        "track": "commitment",
        "applicant": {"kind": "enterprise", "name": f"接口测试{seed}有限公司",
                      "code": enterprise_code(seed), "phone": "13812345678"},
        "commitments": [{"material_code": "M2", "mode": "supplement"},
                        {"material_code": "M3", "mode": "substitute"},
                        {"material_code": "M4", "mode": "exempt_review"}],
        "signature": {"signer_name": "张三"},
    }
    body.update(overrides)
    return body


def key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


def _count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


# --- tokens -----------------------------------------------------------------------------------


def test_token_from_basic_works_as_bearer_and_can_be_revoked(api, world):
    _, users = world
    clerk = users[Role.clerk]
    response = api.post("/tokens", headers=basic(clerk.username, PASSWORD))
    assert response.status_code == 201
    token = response.json["token"]
    assert token.startswith("lic_")
    assert response.json["token_type"] == "Bearer"
    expires = datetime.fromisoformat(response.json["expires_at"])
    assert expires - TODAY.astimezone(UTC) == timedelta(hours=12)
    assert "Set-Cookie" not in response.headers
    # only the hash is stored
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != token and len(stored.token_hash) == 64

    created = api.post("/applications", token=token, json=commitment_body(), headers=key())
    assert created.status_code == 201

    assert api.delete("/tokens/current", token=token).status_code == 204
    refused = api.get(f"/applications/{created.json['id']}", token=token)
    assert refused.status_code == 401
    assert refused.json["error"]["code"] == "invalid_token"
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "api_token").order_by(AuditEntry.id)).all()
    assert actions == ["api_token.issued", "api_token.revoked"]


def test_token_expires(api, world):
    _, users = world
    token = api.token(users[Role.clerk])
    clock.set_frozen(TODAY + timedelta(hours=12, seconds=1))
    response = api.post("/applications", token=token, json=commitment_body(), headers=key())
    assert response.status_code == 401
    assert response.json["error"]["code"] == "token_expired"


def test_disabled_user_and_ended_sessions_kill_tokens(api, world):
    _, users = world
    clerk, approver = users[Role.clerk], users[Role.approver]
    clerk_token, approver_token = api.token(clerk), api.token(approver)
    set_active(clerk, False)
    set_password(approver, "another-good-password-1")
    db.session.commit()
    for token in (clerk_token, approver_token):
        response = api.get("/verification-tasks", token=token)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "invalid_token"


def test_basic_failures_are_throttled_like_the_login(api, world):
    _, users = world
    clerk = users[Role.clerk]
    for _ in range(5):
        response = api.post("/tokens", headers=basic(clerk.username, "wrong-password-x"))
        assert response.status_code == 401
        assert response.json["error"]["code"] == "login_failed"
        assert response.headers["WWW-Authenticate"].startswith("Basic")
    throttled = api.post("/tokens", headers=basic(clerk.username, PASSWORD))
    assert throttled.status_code == 429
    assert throttled.json["error"]["code"] == "too_many_requests"
    assert int(throttled.headers["Retry-After"]) > 0
    db.session.expire_all()
    assert clerk.locked_until_dt is None  # the account itself is never locked


def test_bearer_never_falls_back_to_the_session_cookie(app, api, world):
    _, users = world
    login_as(api.client, users[Role.approver])  # the client now carries a valid session cookie
    assert api.get("/verification-tasks").status_code == 403  # cookie alone: approver's role
    bad = api.get("/verification-tasks", token="lic_not-a-real-token")
    assert bad.status_code == 401 and bad.json["error"]["code"] == "invalid_token"
    other_scheme = api.get("/verification-tasks", headers={"Authorization": "Digest abc"})
    assert other_scheme.status_code == 401
    inspector_token = api.token(users[Role.inspector])
    # the bearer's user decides, not the cookie's (approver would get 403)
    assert api.get("/verification-tasks", token=inspector_token).status_code == 200


def test_basic_only_on_the_token_endpoint_and_token_only_from_basic(api, world):
    _, users = world
    clerk = users[Role.clerk]
    response = api.post("/applications", json=commitment_body(), headers={
        **key(), **basic(clerk.username, PASSWORD)})
    assert response.status_code == 401
    token = api.token(clerk)
    chained = api.post("/tokens", token=token)
    assert chained.status_code == 401  # a token cannot extend itself
    assert api.delete("/tokens/current", headers=basic(clerk.username, PASSWORD)
                      ).status_code == 401


# --- the catalogue ----------------------------------------------------------------------------


def test_catalogue_is_public_with_departments_modes_and_notice(api, world):
    listed = api.get("/items")
    assert listed.status_code == 200
    (item,) = listed.json["items"]
    assert item["code"] == "API-1"
    assert item["approval_department"] == "xzspj"
    assert item["supervisory_department"] == "wsjkj"
    rules = api.get("/items/API-1").json
    modes = {m["code"]: [x["code"] for x in m["modes"]] for m in rules["materials"]}
    assert modes == {"M1": [], "M2": ["supplement"], "M3": ["substitute"],
                     "M4": ["substitute", "exempt_review"]}
    assert rules["verification"]["working_days"] == 60
    assert rules["approval_department"]["code"] == "xzspj"
    assert rules["notice_url"].startswith("/guide/API-1/notice")
    assert "告知承诺书" in rules["letter_specimen"]
    assert api.get("/items/NOPE").status_code == 404
    assert api.get("/items/%00").status_code == 404


# --- intake -----------------------------------------------------------------------------------


def test_commitment_application_in_one_request(api, world):
    _, users = world
    token = api.token(users[Role.clerk])
    response = api.post("/applications", token=token, json=commitment_body(), headers=key())
    assert response.status_code == 201, response.json
    body = response.json
    assert body["status"] == "submitted" and body["track"] == "commitment"
    assert body["channel"] == "online"
    assert body["credit_check"]["eligible"] is True
    assert body["letter"]["signer_name"] == "张三"
    assert "场所平面图" in body["letter"]["text"]
    handling = {m["material_code"]: m["handling"] for m in body["materials"]}
    assert handling == {"M1": "submitted", "M2": "supplement", "M3": "substitute",
                        "M4": "exempt_review"}
    application = db.session.scalar(select(Application))
    assert application.public_id == body["id"] and len(body["id"]) >= 22
    assert application.letter.channel == Channel.online
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "application").order_by(AuditEntry.id)).all()
    assert actions == ["application.started", "application.notice_given",
                       "application.track_chosen", "application.commitments_set",
                       "application.letter_signed"]


def test_same_key_same_answer_nothing_new(api, world):
    _, users = world
    token = api.token(users[Role.clerk])
    headers = key()
    first = api.post("/applications", token=token, json=commitment_body(), headers=headers)
    again = api.post("/applications", token=token, json=commitment_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert _count(Application) == 1 and _count(CreditCheck) == 1
    other_body = api.post("/applications", token=token, json=commitment_body(seed=2),
                          headers=headers)
    assert other_body.status_code == 422
    assert other_body.json["error"]["code"] == "idempotency_key_reused"
    # keys belong to an account: another clerk's same key is another application
    other_token = api.token(create_test_user(Role.clerk))
    assert api.post("/applications", token=other_token, json=commitment_body(),
                    headers=headers).status_code == 201
    assert _count(Application) == 2


def test_idempotency_key_is_required(api, world):
    _, users = world
    token = api.token(users[Role.clerk])
    missing = api.post("/applications", token=token, json=commitment_body())
    assert missing.status_code == 400
    assert missing.json["error"]["code"] == "idempotency_key_required"
    bad = api.post("/applications", token=token, json=commitment_body(),
                   headers={"Idempotency-Key": "spaces are not allowed"})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "idempotency_key_invalid"
    assert _count(Application) == 0


def _barred_applicant(seed: int):
    from licensing.credit.importer import import_file

    who = applicant(name=f"失信接口{seed}有限公司", seed=seed)
    csv = ("code,name,record_type,start_on,repaired_on\n"
           f"{who.code},{who.name},serious_dishonesty,2025-06-01,\n")
    import_file(csv.encode(), source_name="test.csv", progress=False)
    db.session.commit()
    return who


def test_credit_ineligible_is_told_why_and_the_evidence_is_kept(api, world):
    _, users = world
    who = _barred_applicant(77)
    token = api.token(users[Role.clerk])
    headers = key()
    body = commitment_body(seed=77, applicant={"kind": "enterprise", "name": who.name,
                                               "code": who.code})
    refused = api.post("/applications", token=token, json=body, headers=headers)
    assert refused.status_code == 422
    error = refused.json["error"]
    assert error["code"] == "credit_ineligible"
    assert any("严重失信" in reason for reason in error["reasons"])
    # the check was committed before the answer, with the draft it belongs to
    application = db.session.scalar(select(Application))
    assert application.credit_ineligible and application.status == ApplicationStatus.draft
    check = db.session.get(CreditCheck, application.credit_check_id)
    assert check is not None and check.eligible is False
    # the same key: the same refusal, no second check
    again = api.post("/applications", token=token, json=body, headers=headers)
    assert again.status_code == 422 and again.json == refused.json
    assert _count(CreditCheck) == 1
    # the general track stays open (a new key: a new request)
    general = {"item_code": "API-1", "track": "general", "applicant": body["applicant"],
               "materials_received": ["M1", "M2", "M3", "M4"]}
    accepted = api.post("/applications", token=token, json=general, headers=key())
    assert accepted.status_code == 201, accepted.json
    assert accepted.json["status"] == "accepted"
    assert accepted.json["statutory_due_on"] is not None


def test_general_track_needs_every_statutory_material(api, world):
    _, users = world
    token = api.token(users[Role.clerk])
    general = {"item_code": "API-1", "track": "general",
               "applicant": commitment_body()["applicant"], "materials_received": ["M1"]}
    response = api.post("/applications", token=token, json=general, headers=key())
    assert response.status_code == 422
    assert response.json["error"]["code"] == "materials_missing"
    assert _count(Application) == 0


def test_applicant_account_applies_only_for_its_own_identity(api, world):
    _, users = world
    account = create_test_user(Role.applicant)
    own = applicant(seed=5)
    link_user(own, account)
    db.session.commit()
    token = api.token(account)
    foreign = api.post("/applications", token=token, json=commitment_body(seed=6),
                       headers=key())
    assert foreign.status_code == 403
    assert foreign.json["error"]["code"] == "applicant_not_linked"
    mine = api.post("/applications", token=token, json=commitment_body(seed=5), headers=key())
    assert mine.status_code == 201
    assert api.get(f"/applications/{mine.json['id']}", token=token).status_code == 200
    # general track: an applicant cannot accept statutory materials themselves
    general = {"item_code": "API-1", "track": "general", "applicant": mine.json["applicant"]
               | {"code": own.code}, "materials_received": ["M1", "M2", "M3", "M4"]}
    assert api.post("/applications", token=token, json=general,
                    headers=key()).status_code == 403
    general.pop("materials_received")
    waiting = api.post("/applications", token=token, json=general, headers=key())
    assert waiting.status_code == 201 and waiting.json["status"] == "draft"
    # another applicant's case is invisible
    clerk_token = api.token(users[Role.clerk])
    theirs = api.post("/applications", token=clerk_token, json=commitment_body(seed=8),
                      headers=key())
    assert api.get(f"/applications/{theirs.json['id']}", token=token).status_code == 404


# --- decision ---------------------------------------------------------------------------------


def test_decision_issues_licence_task_and_supplements(api, world):
    _, users = world
    clerk_token = api.token(users[Role.clerk])
    approver_token = api.token(users[Role.approver])
    created = api.post("/applications", token=clerk_token, json=commitment_body(),
                       headers=key()).json
    # a clerk may not decide
    assert api.post(f"/applications/{created['id']}/decision", token=clerk_token,
                    json={"outcome": "approve"}).status_code == 403
    response = api.post(f"/applications/{created['id']}/decision", token=approver_token,
                        json={"outcome": "approve", "reason": None})
    assert response.status_code == 200, response.json
    body = response.json
    assert body["status"] == "approved"
    licence = body["licence"]
    assert licence["number"] == "XZSPJ-2026-000001" and licence["status"] == "valid"
    assert re.search(r"/verify/[A-Za-z0-9_-]+$", licence["verify_url"])
    # 60 working days after Monday 2026-06-01, across the Dragon Boat Festival (06-19)
    assert body["task"]["due_on"] == "2026-08-25"
    assert body["task"]["provisional"] is False
    assert body["supplements"] == [{"material_code": "M2", "status": "pending",
                                    "due_on": "2026-06-30", "provisional": False}]
    again = api.post(f"/applications/{created['id']}/decision", token=approver_token,
                     json={"outcome": "approve"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_decided"
    assert _count(Licence) == 1


def test_reject_needs_a_reason(api, world):
    _, users = world
    created = api.post("/applications", token=api.token(users[Role.clerk]),
                       json=commitment_body(), headers=key()).json
    approver_token = api.token(users[Role.approver])
    no_reason = api.post(f"/applications/{created['id']}/decision", token=approver_token,
                         json={"outcome": "reject"})
    assert no_reason.status_code == 422 and no_reason.json["error"]["code"] == "reason_required"
    rejected = api.post(f"/applications/{created['id']}/decision", token=approver_token,
                        json={"outcome": "reject", "reason": "场所不符合要求"})
    assert rejected.status_code == 200
    assert rejected.json["status"] == "rejected" and rejected.json["licence"] is None


# --- roles and department scoping -------------------------------------------------------------


def test_other_approval_department_sees_nothing(api, world):
    _, users = world
    ensure_department("qtspj", "其他审批局", DepartmentKind.approval)
    db.session.commit()
    stranger = create_test_user(Role.approver, "qtspj")
    created = api.post("/applications", token=api.token(users[Role.clerk]),
                       json=commitment_body(), headers=key()).json
    token = api.token(stranger)
    assert api.get(f"/applications/{created['id']}", token=token).status_code == 404
    decided = api.post(f"/applications/{created['id']}/decision", token=token,
                       json={"outcome": "approve"})
    assert decided.status_code == 404
    assert decided.json["error"]["code"] == "application_not_found"


def test_tasks_are_listed_for_the_callers_department_only(api, world):
    _, users = world
    created = api.post("/applications", token=api.token(users[Role.clerk]),
                       json=commitment_body(), headers=key()).json
    decided = api.post(f"/applications/{created['id']}/decision",
                       token=api.token(users[Role.approver]), json={"outcome": "approve"}).json
    task_id = decided["task"]["id"]
    own = api.get("/verification-tasks?status=open", token=api.token(users[Role.inspector]))
    assert [t["id"] for t in own.json["tasks"]] == [task_id]
    assert own.json["tasks"][0]["due_on"] == decided["task"]["due_on"]
    other_token = api.token(users["other_inspector"])
    assert api.get("/verification-tasks?status=open", token=other_token).json["tasks"] == []
    assert api.get(f"/verification-tasks/{task_id}", token=other_token).status_code == 404
    refused = api.post(f"/verification-tasks/{task_id}/result", token=other_token,
                       json={"outcome": "conform", "checked_on": "2026-06-01"})
    assert refused.status_code == 404
    city = api.get("/verification-tasks", token=api.token(users[Role.reform_office]))
    assert [t["id"] for t in city.json["tasks"]] == [task_id]
    assert api.get("/verification-tasks", token=api.token(users[Role.clerk])).status_code == 403


# --- credit and calendar ----------------------------------------------------------------------


def test_applicant_credit(api, world):
    _, users = world
    who = _barred_applicant(91)
    token = api.token(users[Role.clerk])
    response = api.get(f"/applicants/{who.code}/credit", token=token)
    assert response.status_code == 200
    body = response.json
    assert body["eligible"] is False
    assert body["barring_record_ids"] == [body["records"][0]["id"]]
    assert body["records"][0]["record_type"] == "serious_dishonesty"
    assert api.get(f"/applicants/{enterprise_code(4242)}/credit",
                   token=token).status_code == 404
    applicant_account = api.token(create_test_user(Role.applicant))
    assert api.get(f"/applicants/{who.code}/credit",
                   token=applicant_account).status_code == 403


def test_calendar_due(api, world):
    response = api.get("/calendar/due?start=2026-09-30&working_days=20")
    assert response.status_code == 200
    assert response.json == {"start": "2026-09-30", "working_days": 20,
                             "due_on": "2026-11-03", "provisional": False}
    assert api.get("/calendar/due?start=2026-9-30&working_days=20").status_code == 422
    assert api.get("/calendar/due?start=2026-09-30&working_days=0").status_code == 422
    far = api.get("/calendar/due?start=2026-09-30&working_days=1000")
    assert far.status_code in (200, 422)


# --- bad input never answers 500 or HTML --------------------------------------------------------


@pytest.mark.parametrize(("data", "content_type", "status", "code"), [
    ("{not json", "application/json", 400, "invalid_json"),
    ("", "application/json", 400, "invalid_json"),
    ('{"item_code": "API-1"}', "text/plain", 400, "json_required"),
    ("[]", "application/json", 422, "validation_failed"),
    ('"x"', "application/json", 422, "validation_failed"),
])
def test_unreadable_bodies(api, world, data, content_type, status, code):
    _, users = world
    token = api.token(users[Role.clerk])
    response = api.post("/applications", token=token, data=data, content_type=content_type,
                        headers=key())
    assert response.status_code == status
    assert response.json["error"]["code"] == code


@pytest.mark.parametrize(("change", "where"), [
    ({"unknown": 1}, ["body", "unknown"]),
    ({"track": "fast"}, ["body", "track"]),
    ({"item_code": 42}, ["body", "item_code"]),
    ({"commitments": {"M2": "supplement"}}, ["body", "commitments"]),
    ({"signature": None}, ["body"]),
    ({"applicant": {"kind": "enterprise", "name": "x\u0000y", "code": "1"}},
     ["body", "applicant", "name"]),
])
def test_schema_violations_are_422_with_locations(api, world, change, where):
    _, users = world
    token = api.token(users[Role.clerk])
    response = api.post("/applications", token=token, json=commitment_body(**change),
                        headers=key())
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "validation_failed"
    assert any(e["location"][:len(where)] == where for e in error["errors"]), error
    assert _count(Application) == 0


def test_wrong_dates_and_ids(api, world):
    _, users = world
    token = api.token(users[Role.inspector])
    for path in ("/verification-tasks/99999999999999999999/result",
                 "/verification-tasks/0/result", "/verification-tasks/abc/result"):
        response = api.post(path, token=token, json={"outcome": "conform",
                                                     "checked_on": "2026-06-01"}, check=False)
        assert response.status_code == 404, path
    bad_date = api.post("/verification-tasks/1/result", token=token,
                        json={"outcome": "conform", "checked_on": "01/06/2026"})
    assert bad_date.status_code == 422
    assert api.get("/applications/%00", token=token).status_code == 404
    assert api.get("/licences/" + "9" * 80, token=token).status_code == 404


def test_unknown_paths_and_methods_answer_json(api, world):
    response = api.client.get(f"{API}/nothing-here")
    assert response.status_code == 404 and response.is_json
    response = api.client.put(f"{API}/applications")
    assert response.status_code == 405 and response.is_json
    assert api.get("/verification-tasks").status_code == 401  # no token: JSON 401


def test_every_api_route_is_documented(app):
    doc = openapi_document(app)
    documented = {(method, "/api/v1" + path) for path, item in doc["paths"].items()
                  for method in item}
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint == "api.openapi":
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((method.lower(), path))
    assert routed == documented


def test_document_lists_roles_from_the_access_declarations(app):
    doc = openapi_document(app)
    decide = doc["paths"]["/applications/{application_id}/decision"]["post"]
    assert decide["x-roles"] == ["approver"]
    assert doc["paths"]["/items"]["get"]["security"] == []
    assert doc["paths"]["/tokens"]["post"]["security"] == [{"basicAuth": []}]
    assert doc["openapi"] == "3.1.0"
    for schema in doc["components"]["schemas"].values():
        jsonschema.Draft202012Validator.check_schema(schema)


def test_idempotent_answer_is_stored_once(api, world):
    _, users = world
    token = api.token(users[Role.clerk])
    headers = key()
    for _ in range(3):
        api.post("/applications", token=token, json=commitment_body(), headers=headers)
    assert _count(IdempotentResponse) == 1


@pytest.mark.parametrize("raw", [b"\xff\xfe{", b'{"item_code": 1e400}', b"[" * 5000 + b"]" * 5000,
                                 b'{"a":1,"a":2}'])
def test_hostile_bodies_are_refused_cleanly(api, world, raw):
    _, users = world
    token = api.token(users[Role.clerk])
    response = api.post("/applications", token=token, data=raw,
                        content_type="application/json", headers=key())
    assert response.status_code in (400, 422)
    assert response.json["error"]["code"] in ("invalid_json", "validation_failed")


@pytest.mark.parametrize("authorization", [
    "Bearer " + "x" * 10_000, "Bearer lic_" + "y" * 100, "Basic !!!", "Bearer", "bearer  ",
    "Basic " + base64.b64encode(b"no-colon").decode(),
])
def test_hostile_credentials_are_401(api, world, authorization):
    response = api.get("/verification-tasks", headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.json["error"]["code"] in ("invalid_token", "invalid_credentials")


@pytest.mark.parametrize("query", ["status=%00", "page=99999999999999999999", "per_page=0",
                                   "status=open&page=abc"])
def test_hostile_queries_are_422(api, world, query):
    _, users = world
    response = api.get(f"/verification-tasks?{query}", token=api.token(users[Role.inspector]))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_failed"
