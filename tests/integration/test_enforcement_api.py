"""Enforcement through the API alone: breach cases from any origin, rectification, the
revocation procedure (notice, statement, hearing, decision, service) and its refusals.

Every answer is checked against the OpenAPI document by ``ApiClient``.
"""

from __future__ import annotations

from datetime import datetime

from licensing import clock
from licensing.auth.models import Role
from tests.integration import test_api
from tests.integration.test_api import ApiClient, commitment_body, key

world = test_api.world  # the fixture: users of both departments, the item, the calendar

DAY_1 = datetime(2026, 6, 1, 10, 0, tzinfo=clock.LOCAL_TZ)  # a Monday
DAY_3 = datetime(2026, 6, 3, 10, 0, tzinfo=clock.LOCAL_TZ)
DAY_17 = datetime(2026, 6, 17, 9, 30, tzinfo=clock.LOCAL_TZ)  # after a due date of 06-15
DAY_18 = datetime(2026, 6, 18, 9, 30, tzinfo=clock.LOCAL_TZ)
DAY_26 = datetime(2026, 6, 26, 9, 30, tzinfo=clock.LOCAL_TZ)  # after a statement period


def _tokens(api, users):
    return {role: api.token(users[role]) for role in
            (Role.clerk, Role.approver, Role.inspector, Role.head)}


def _error(response, status, code):
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code, response.json
    assert response.json["error"]["message"]  # Chinese, for users


def _credit(api, token, seed):
    code = commitment_body(seed=seed)["applicant"]["code"]
    return api.get(f"/applicants/{code}/credit", token=token).json


def test_verification_breach_false_commitment_full_procedure(app, world):
    _, users = world
    api = ApiClient(app)
    clock.set_frozen(DAY_1)
    t = _tokens(api, users)
    application = api.post("/applications", token=t[Role.clerk],
                           json=commitment_body(seed=401), headers=key()).json
    decided = api.post(f"/applications/{application['id']}/decision", token=t[Role.approver],
                       json={"outcome": "approve"}).json
    # the contract's name for the task, with the old one kept beside it
    assert decided["verification_task"]["id"] == decided["task"]["id"]
    task_id, number = decided["task"]["id"], decided["licence"]["number"]

    result = api.post(f"/verification-tasks/{task_id}/result", token=t[Role.inspector],
                      json={"outcome": "nonconform", "finding": "false_commitment",
                            "findings": "承诺的经营场所并不存在", "checked_on": "2026-06-01"})
    assert result.status_code == 200, result.json
    breach_id = result.json["breach_case_id"]
    breach = api.get(f"/breaches/{breach_id}", token=t[Role.inspector]).json
    assert breach["origin"] == "verification" and breach["finding"] == "false_commitment"
    assert breach["status"] == "open" and breach["task_id"] == task_id

    # rectification through the task path acts on the task's breach case
    ordered = api.post(f"/verification-tasks/{task_id}/rectification", token=t[Role.inspector],
                       json={"due_on": "2026-06-15", "requirements": "取得真实经营场所"})
    assert ordered.status_code == 200, ordered.json
    breach = api.get(f"/breaches/{breach_id}", token=t[Role.inspector]).json
    assert breach["status"] == "rectifying" and breach["rectification_due_on"] == "2026-06-15"

    # "not rectified" on the day of the order, the due date weeks away: refused
    clock.set_frozen(DAY_3)
    t = _tokens(api, users)
    early = api.post(f"/verification-tasks/{task_id}/rectification/outcome",
                     token=t[Role.inspector], json={"rectified": False, "note": "未整改"})
    _error(early, 409, "rectification_not_due")
    future = api.post(f"/breaches/{breach_id}/rectification/outcome", token=t[Role.inspector],
                      json={"rectified": False, "note": "复查仍不符合",
                            "reinspected_on": "2026-06-04"})
    _error(future, 422, "date_in_future")
    # a re-inspection that found the breach still there allows it before the due date
    failed = api.post(f"/breaches/{breach_id}/rectification/outcome", token=t[Role.inspector],
                      json={"rectified": False, "note": "复查仍无经营场所",
                            "reinspected_on": "2026-06-03", "penalty_ref": "定监罚〔2026〕7号"})
    assert failed.status_code == 200, failed.json
    assert failed.json["status"] == "referred"
    assert failed.json["penalty_ref"] == "定监罚〔2026〕7号"
    case_id = failed.json["revocation_case_id"]
    task = api.get(f"/verification-tasks/{task_id}", token=t[Role.inspector]).json
    assert task["status"] == "revocation_requested"
    assert task["revocation_case"]["id"] == case_id

    # no decision, and no one-step revocation, before the notice
    _error(api.post(f"/revocation-cases/{case_id}/decision", token=t[Role.approver],
                    json={"outcome": "revoke", "reason": "不实承诺"}), 409, "notice_required")
    _error(api.post(f"/licences/{number}/revocation", token=t[Role.approver],
                    json={"reason": "不实承诺"}), 409, "notice_required")
    _error(api.post(f"/revocation-cases/{case_id}/statement", token=t[Role.approver],
                    json={"received_on": "2026-06-03", "text": "无"}), 409, "notice_required")

    notice = api.post(f"/revocation-cases/{case_id}/notice", token=t[Role.approver],
                      json={"facts": "承诺的经营场所并不存在", "reasons": "不实承诺",
                            "legal_basis": "《中华人民共和国行政许可法》第六十九条"})
    assert notice.status_code == 200, notice.json
    # 5 working days after Wednesday 2026-06-03
    assert notice.json["statement_due_on"] == "2026-06-10"
    assert notice.json["statement_deadline"]["rule"] == "statement_period"
    assert notice.json["statement_deadline"]["working_days"] == 5
    assert notice.json["notice_url"] == f"/revocations/{case_id}/notice.pdf"
    _error(api.post(f"/revocation-cases/{case_id}/decision", token=t[Role.approver],
                    json={"outcome": "revoke", "reason": "不实承诺"}), 409,
           "statement_period_open")
    _error(api.post(f"/revocation-cases/{case_id}/statement", token=t[Role.approver],
                    json={"received_on": "2026-06-02", "text": "场所正在装修"}), 422,
           "date_before_case")
    stated = api.post(f"/revocation-cases/{case_id}/statement", token=t[Role.approver],
                      json={"received_on": "2026-06-03", "text": "场所正在装修",
                            "hearing_requested": True})
    assert stated.status_code == 200, stated.json
    assert stated.json["decision_blocked_by"] == "hearing_pending"
    _error(api.post(f"/revocation-cases/{case_id}/decision", token=t[Role.approver],
                    json={"outcome": "revoke", "reason": "不实承诺"}), 409, "hearing_pending")
    # the host must not be one who investigated the case
    inspector_name = users[Role.inspector].display_name
    _error(api.post(f"/revocation-cases/{case_id}/hearing", token=t[Role.approver],
                    json={"held_on": "2026-06-03", "host": inspector_name,
                          "place": "第一听证室", "minutes": "当事人称场所正在装修"}), 422,
           "host_investigated")
    heard = api.post(f"/revocation-cases/{case_id}/hearing", token=t[Role.approver],
                     json={"held_on": "2026-06-03", "host": "王法制", "place": "第一听证室",
                           "minutes": "当事人称场所正在装修，未能提供证据"})
    assert heard.status_code == 200, heard.json
    decided = api.post(f"/revocation-cases/{case_id}/decision", token=t[Role.approver],
                       json={"outcome": "revoke",
                             "reason": "当事人称场所装修，未提供证据，不予采纳"})
    assert decided.status_code == 200, decided.json
    assert decided.json["status"] == "decided" and decided.json["decision"] == "revoke"
    assert decided.json["letter_number"].startswith("XZSPJ-CX-2026-")
    # decided, not served: the licence is still in force and nothing went to the credit record
    licence = api.get(f"/licences/{number}", token=t[Role.approver]).json
    assert licence["status"] == "valid" and licence["revocation"] is None
    assert _credit(api, t[Role.approver], 401)["eligible"] is True

    _error(api.post(f"/revocation-cases/{case_id}/service", token=t[Role.approver],
                    json={"method": "direct", "served_on": "2026-06-04", "receipt": "签收"}),
           422, "date_in_future")
    served = api.post(f"/revocation-cases/{case_id}/service", token=t[Role.approver],
                      json={"method": "direct", "served_on": "2026-06-03",
                            "receipt": "法定代表人张三签收"})
    assert served.status_code == 200, served.json
    assert served.json["status"] == "revoked" and served.json["licence_status"] == "revoked"
    licence = api.get(f"/licences/{number}", token=t[Role.approver]).json
    assert licence["status"] == "revoked"
    assert licence["revocation"]["served_on"] == "2026-06-03"
    assert licence["revocation"]["decided_on"] == "2026-06-03"
    assert api.get(f"/verification-tasks/{task_id}",
                   token=t[Role.inspector]).json["status"] == "revoked"
    # 不实承诺: a false-commitment record that bars the commitment track
    credit = _credit(api, t[Role.approver], 401)
    types = {r["record_type"] for r in credit["records"]}
    assert {"false_commitment", "licence_revoked"} <= types
    assert "commitment_broken" not in types
    assert credit["eligible"] is False

    every = api.get(f"/revocation-cases/{case_id}", token=t[Role.approver]).json
    assert every["noticed_on"] == "2026-06-03" and every["hearing_host"] == "王法制"
    assert every["statement_text"] == "场所正在装修" and every["service_method"] == "direct"
    assert every["service_receipt_url"] == f"/revocations/{case_id}/service-receipt.pdf"

    # withdrawn on review: the licence is back in force and the records are withdrawn
    reversed_ = api.post(f"/revocation-cases/{case_id}/reversal", token=t[Role.approver],
                         json={"reason": "定州市人民政府行政复议决定撤销",
                               "reversed_on": "2026-06-03"})
    assert reversed_.status_code == 200, reversed_.json
    assert api.get(f"/licences/{number}", token=t[Role.approver]).json["status"] == "valid"
    assert _credit(api, t[Role.approver], 401)["eligible"] is True


def test_routine_inspection_breach_on_a_general_track_licence_ends_revoked(app, world):
    _, users = world
    api = ApiClient(app)
    clock.set_frozen(DAY_1)
    t = _tokens(api, users)
    body = {"item_code": "API-1", "track": "general",
            "applicant": commitment_body(seed=402)["applicant"],
            "materials_received": ["M1", "M2", "M3", "M4"]}
    accepted = api.post("/applications", token=t[Role.clerk], json=body, headers=key()).json
    decided = api.post(f"/applications/{accepted['id']}/decision", token=t[Role.approver],
                       json={"outcome": "approve"}).json
    assert decided["verification_task"] is None
    number = decided["licence"]["number"]

    # another department's inspector cannot see the licence
    other = api.token(users["other_inspector"])
    _error(api.post(f"/licences/{number}/breaches", token=other,
                    json={"origin": "routine_inspection", "finding": "breach",
                          "facts": "x", "found_on": "2026-06-01"}), 404, "licence_not_found")
    _error(api.post(f"/licences/{number}/breaches", token=t[Role.inspector],
                    json={"origin": "routine_inspection", "finding": "breach",
                          "facts": "未按规定公示许可证", "found_on": "2026-06-02"}), 422,
           "date_in_future")
    opened = api.post(f"/licences/{number}/breaches", token=t[Role.inspector],
                      json={"origin": "routine_inspection", "finding": "breach",
                            "facts": "日常检查发现未按规定公示许可证", "found_on": "2026-06-01"})
    assert opened.status_code == 201, opened.json
    assert opened.json["status"] == "open" and opened.json["task_id"] is None
    breach_id = opened.json["id"]
    _error(api.post(f"/breaches/{breach_id}/rectification", token=t[Role.inspector],
                    json={"due_on": "2026-06-01", "requirements": "公示许可证"}), 422,
           "due_on_not_after")
    ordered = api.post(f"/breaches/{breach_id}/rectification", token=t[Role.inspector],
                       json={"due_on": "2026-06-15",
                             "requirements": "在经营场所显著位置公示许可证"})
    assert ordered.status_code == 200, ordered.json
    assert ordered.json["rectification_notice_url"] == \
        f"/breaches/{breach_id}/rectification-notice.pdf"
    _error(api.post(f"/breaches/{breach_id}/rectification/outcome", token=t[Role.inspector],
                    json={"rectified": False, "note": "未公示"}), 409, "rectification_not_due")

    clock.set_frozen(DAY_17)
    t = _tokens(api, users)
    failed = api.post(f"/breaches/{breach_id}/rectification/outcome", token=t[Role.inspector],
                      json={"rectified": False, "note": "逾期仍未公示"})
    assert failed.status_code == 200, failed.json
    case_id = failed.json["revocation_case_id"]
    assert case_id is not None
    notice = api.post(f"/revocation-cases/{case_id}/notice", token=t[Role.approver],
                      json={"facts": "逾期仍未公示许可证", "reasons": "违反承诺，逾期不整改"})
    assert notice.status_code == 200, notice.json
    waived = api.post(f"/revocation-cases/{case_id}/statement", token=t[Role.approver],
                      json={"received_on": "2026-06-17", "waives_rights": True})
    assert waived.status_code == 200, waived.json
    assert waived.json["decision_blocked_by"] is None  # the rights were waived in writing
    decided = api.post(f"/revocation-cases/{case_id}/decision", token=t[Role.approver],
                       json={"outcome": "revoke", "reason": "当事人书面放弃陈述申辩权利"})
    assert decided.status_code == 200, decided.json
    clock.set_frozen(DAY_18)
    t = _tokens(api, users)
    served = api.post(f"/revocation-cases/{case_id}/service", token=t[Role.approver],
                      json={"method": "post", "served_on": "2026-06-18",
                            "receipt": "EMS 1100000000001 已签收"})
    assert served.status_code == 200, served.json
    assert api.get(f"/licences/{number}", token=t[Role.approver]).json["status"] == "revoked"
    # 违反承诺: a broken-commitment record, which does not bar the commitment track
    credit = _credit(api, t[Role.approver], 402)
    types = {r["record_type"] for r in credit["records"]}
    assert {"commitment_broken", "licence_revoked"} <= types
    assert "false_commitment" not in types
    assert credit["eligible"] is True


def test_decision_waits_for_the_statement_period(app, world):
    _, users = world
    api = ApiClient(app)
    clock.set_frozen(DAY_1)
    t = _tokens(api, users)
    body = {"item_code": "API-1", "track": "general",
            "applicant": commitment_body(seed=403)["applicant"],
            "materials_received": ["M1", "M2", "M3", "M4"]}
    accepted = api.post("/applications", token=t[Role.clerk], json=body, headers=key()).json
    number = api.post(f"/applications/{accepted['id']}/decision", token=t[Role.approver],
                      json={"outcome": "approve"}).json["licence"]["number"]
    breach_id = api.post(f"/licences/{number}/breaches", token=t[Role.head],
                         json={"origin": "complaint", "finding": "breach",
                               "facts": "群众举报超范围经营", "found_on": "2026-06-01"}).json["id"]
    api.post(f"/breaches/{breach_id}/rectification", token=t[Role.head],
             json={"due_on": "2026-06-15", "requirements": "停止超范围经营"})
    clock.set_frozen(DAY_17)
    t = _tokens(api, users)
    case_id = api.post(f"/breaches/{breach_id}/rectification/outcome", token=t[Role.head],
                       json={"rectified": False, "note": "仍超范围经营"}).json["revocation_case_id"]
    notice = api.post(f"/revocation-cases/{case_id}/notice", token=t[Role.approver],
                      json={"facts": "超范围经营", "reasons": "逾期不整改"}).json
    assert notice["statement_due_on"] == "2026-06-25"  # 5 working days: 06-19 is 端午节
    _error(api.post(f"/revocation-cases/{case_id}/decision", token=t[Role.approver],
                    json={"outcome": "revoke", "reason": "逾期不整改"}), 409,
           "statement_period_open")
    clock.set_frozen(DAY_26)
    t = _tokens(api, users)
    # the period is over without a statement: the decision may be made
    decided = api.post(f"/revocation-cases/{case_id}/decision", token=t[Role.approver],
                       json={"outcome": "revoke", "reason": "期限内未陈述申辩"})
    assert decided.status_code == 200, decided.json


def test_not_revoke_for_the_public_interest(app, world):
    _, users = world
    api = ApiClient(app)
    clock.set_frozen(DAY_1)
    t = _tokens(api, users)
    body = {"item_code": "API-1", "track": "general",
            "applicant": commitment_body(seed=404)["applicant"],
            "materials_received": ["M1", "M2", "M3", "M4"]}
    accepted = api.post("/applications", token=t[Role.clerk], json=body, headers=key()).json
    number = api.post(f"/applications/{accepted['id']}/decision", token=t[Role.approver],
                      json={"outcome": "approve"}).json["licence"]["number"]
    breach_id = api.post(f"/licences/{number}/breaches", token=t[Role.inspector],
                         json={"origin": "referral", "finding": "breach",
                               "facts": "消防部门移送", "found_on": "2026-06-01"}).json["id"]
    api.post(f"/breaches/{breach_id}/rectification", token=t[Role.inspector],
             json={"due_on": "2026-06-15", "requirements": "整改消防通道"})
    clock.set_frozen(DAY_17)
    t = _tokens(api, users)
    case_id = api.post(f"/breaches/{breach_id}/rectification/outcome", token=t[Role.inspector],
                       json={"rectified": False, "note": "未整改"}).json["revocation_case_id"]
    kept = api.post(f"/revocation-cases/{case_id}/decision", token=t[Role.approver],
                    json={"outcome": "not_revoke", "public_interest": True,
                          "reason": "该企业为区域唯一供热单位，撤销将严重损害公共利益"})
    assert kept.status_code == 200, kept.json
    assert kept.json["status"] == "dismissed" and kept.json["public_interest"] is True
    assert kept.json["decision"] == "not_revoke"
    assert api.get(f"/licences/{number}", token=t[Role.approver]).json["status"] == "valid"
