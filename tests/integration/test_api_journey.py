"""The commitment journey and the breach path, driven through the API alone.

Only the test data (users, the published item, the calendar) are made directly; every step of
the cases is an HTTP call to /api/v1, and every answer is checked against the OpenAPI document.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from licensing import clock
from licensing.auth.models import Role
from tests.integration import test_api
from tests.integration.test_api import ApiClient, commitment_body

world = test_api.world  # the fixture: users of both departments, the item, the calendar

DAY_1 = datetime(2026, 6, 1, 10, 0, tzinfo=clock.LOCAL_TZ)
#: After the rectification deadline of 2026-06-15 has passed.
DAY_17 = datetime(2026, 6, 17, 9, 30, tzinfo=clock.LOCAL_TZ)


def _key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


def test_commitment_journey_and_breach_path_through_the_api(app, world):
    _, users = world
    api = ApiClient(app)
    clerk, approver, inspector = users[Role.clerk], users[Role.approver], users[Role.inspector]
    clock.set_frozen(DAY_1)
    clerk_token, approver_token, inspector_token = (
        api.token(clerk), api.token(approver), api.token(inspector))

    # The one-time notice: the item's rules, public.
    rules = api.get("/items/API-1").json
    allowed = {m["code"]: [mode["code"] for mode in m["modes"]] for m in rules["materials"]}
    assert allowed["M2"] == ["supplement"]

    # --- a kept commitment: approve, verify on site, conform, closed -------------------------
    kept = api.post("/applications", token=clerk_token, json=commitment_body(seed=301),
                    headers=_key()).json
    assert kept["status"] == "submitted"
    decided = api.post(f"/applications/{kept['id']}/decision", token=approver_token,
                       json={"outcome": "approve"}).json
    kept_task = decided["task"]["id"]
    checked = api.post(f"/verification-tasks/{kept_task}/result", token=inspector_token,
                       json={"outcome": "conform", "findings": "与承诺一致",
                             "checked_on": "2026-06-01"}).json
    assert checked["status"] == "closed"
    assert checked["result_push_due_on"] == "2026-06-08"  # 5 working days after the check
    assert checked["pushed_late"] is False

    # --- a broken commitment: the breach path ---------------------------------------------
    created = api.post("/applications", token=clerk_token, json=commitment_body(seed=302),
                       headers=_key())
    assert created.status_code == 201
    application = created.json
    assert application["credit_check"]["eligible"] is True
    assert application["letter"]["channel"] == "online"

    decided = api.post(f"/applications/{application['id']}/decision", token=approver_token,
                       json={"outcome": "approve"})
    assert decided.status_code == 200
    licence = decided.json["licence"]
    task = decided.json["task"]
    assert licence["status"] == "valid"
    assert [s["material_code"] for s in decided.json["supplements"]] == ["M2"]
    number = licence["number"]
    assert api.get(f"/licences/{number}", token=approver_token).json["status"] == "valid"

    inbox = api.get("/verification-tasks?status=open", token=inspector_token).json["tasks"]
    assert [t["id"] for t in inbox] == [task["id"]]
    assert inbox[0]["licence_number"] == number

    result = api.post(f"/verification-tasks/{task['id']}/result", token=inspector_token,
                      json={"outcome": "nonconform", "findings": "经营场所与平面图不符",
                            "finding": "false_commitment", "checked_on": "2026-06-01"})
    assert result.status_code == 200, result.json
    assert result.json["status"] == "breach"
    assert result.json["breach_case_id"] is not None
    assert result.json["result_push_due_on"] == "2026-06-08"

    ordered = api.post(f"/verification-tasks/{task['id']}/rectification",
                       token=inspector_token,
                       json={"due_on": "2026-06-15", "requirements": "按平面图整改经营场所"})
    assert ordered.status_code == 200, ordered.json
    assert ordered.json["status"] == "rectifying"
    assert ordered.json["rectification"]["due_on"] == "2026-06-15"

    # Two weeks later the tokens of the morning have expired: new ones, through the API.
    clock.set_frozen(DAY_17)
    assert api.get(f"/verification-tasks/{task['id']}",
                   token=inspector_token).json["error"]["code"] == "token_expired"
    inspector_token, approver_token = api.token(inspector), api.token(approver)

    outcome = api.post(f"/verification-tasks/{task['id']}/rectification/outcome",
                       token=inspector_token,
                       json={"rectified": False, "note": "逾期未按要求整改"})
    assert outcome.status_code == 200, outcome.json
    assert outcome.json["status"] == "revocation_requested"
    assert outcome.json["rectification"]["status"] == "failed"
    case = outcome.json["revocation_case"]
    assert case["status"] == "requested" and case["origin"] == "supervision_breach"

    # the one-step revocation of the first version answers with the procedure's refusal
    refused = api.post(f"/licences/{number}/revocation", token=approver_token,
                       json={"reason": "违反告知承诺，逾期未整改"})
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "notice_required"
    noticed = api.post(f"/revocation-cases/{case['id']}/notice", token=approver_token,
                       json={"facts": "经营场所与平面图不符，逾期未整改", "reasons": "违反承诺"})
    assert noticed.status_code == 200, noticed.json
    waived = api.post(f"/revocation-cases/{case['id']}/statement", token=approver_token,
                      json={"received_on": "2026-06-17", "waives_rights": True})
    assert waived.status_code == 200, waived.json
    revoked = api.post(f"/licences/{number}/revocation", token=approver_token,
                       json={"reason": "违反告知承诺，逾期未整改"})
    assert revoked.status_code == 200, revoked.json
    assert revoked.json["status"] == "valid"  # decided: in force until service
    served = api.post(f"/revocation-cases/{case['id']}/service", token=approver_token,
                      json={"method": "direct", "served_on": "2026-06-17", "receipt": "签收"})
    assert served.status_code == 200, served.json
    revoked = api.get(f"/licences/{number}", token=approver_token)
    assert revoked.json["status"] == "revoked"
    assert revoked.json["revocation"]["case_id"] == case["id"]
    assert revoked.json["revocation"]["letter_number"].startswith("XZSPJ-CX-2026-")
    assert revoked.json["revocation"]["served_on"] == "2026-06-17"

    after = api.get(f"/licences/{number}", token=approver_token).json
    assert after["status"] == "revoked" and after["revoked_at"] is not None
    assert api.get(f"/verification-tasks/{task['id']}",
                   token=inspector_token).json["status"] == "revoked"
    again = api.post(f"/licences/{number}/revocation", token=approver_token,
                     json={"reason": "重复"})
    assert again.status_code == 409

    # The false commitment (不实承诺) is in the credit record, served, and bars the
    # commitment track from now on.
    code = commitment_body(seed=302)["applicant"]["code"]
    credit = api.get(f"/applicants/{code}/credit", token=approver_token).json
    types = {r["record_type"] for r in credit["records"]}
    assert {"commitment_made", "licence_revoked", "false_commitment"} <= types
    assert credit["eligible"] is False
    clerk_token = api.token(clerk)
    refused = api.post("/applications", token=clerk_token, json=commitment_body(seed=302),
                       headers=_key())
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "credit_ineligible"
    assert refused.json["error"]["reasons"]
