"""A licence's life through the API: change, renewal, reissue, cancellation, service, expiry."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import pytest
from sqlalchemy import select

from licensing import clock
from licensing.auth.models import Role
from licensing.cases import licences
from licensing.cases.jobs import cancel_expired, send_renewal_reminders
from licensing.cases.models import Licence, LicenceEvent
from licensing.extensions import db
from licensing.notifications.models import Notification
from tests.case_factories import calendar_loaded, enterprise_code, published_item
from tests.factories import create_test_user
from tests.integration.test_api import ApiClient

ISSUE_DAY = datetime(2026, 11, 18, 10, 0, tzinfo=clock.LOCAL_TZ)
MATERIALS = ["M1", "M2", "M3", "M4"]


def _key() -> dict:
    return {"Idempotency-Key": str(uuid.uuid4())}


@pytest.fixture
def world(app, session):
    calendar_loaded()
    clock.set_frozen(ISSUE_DAY)
    published_item("LIFE-1", valid_from=date(2026, 1, 1), validity_years=1)
    users = {role: create_test_user(role) for role in (Role.clerk, Role.approver)}
    api = ApiClient(app)
    tokens = {role: api.token(user) for role, user in users.items()}
    return api, tokens, users


def _issue(api, tokens, seed=501, track="general") -> str:
    body = {"item_code": "LIFE-1", "track": track,
            "applicant": {"kind": "enterprise", "name": f"定州市生命周期{seed}有限公司",
                          "code": enterprise_code(seed), "phone": "13812345678",
                          "legal_representative": "李四", "address": "定州市南城区建设路 1 号"},
            "licensed_scope": "热食类食品制售", "materials_received": MATERIALS}
    created = api.post("/applications", token=tokens[Role.clerk], json=body, headers=_key())
    assert created.status_code == 201, created.json
    decided = api.post(f"/applications/{created.json['id']}/decision",
                       token=tokens[Role.approver], json={"outcome": "approve"})
    assert decided.status_code == 200, decided.json
    return decided.json["licence"]["number"]


def _fresh(api, users) -> dict:
    """Tokens issued at the frozen clock's now (a token lives for hours, not months)."""
    return {role: api.token(user) for role, user in users.items()}


def _decide(api, tokens, application_id):
    answer = api.post(f"/applications/{application_id}/decision", token=tokens[Role.approver],
                      json={"outcome": "approve"})
    assert answer.status_code == 200, answer.json
    return answer.json


def test_licence_answer_shows_validity_status_and_history(world):
    api, tokens, _ = world
    number = _issue(api, tokens)
    licence = api.get(f"/licences/{number}", token=tokens[Role.approver]).json
    assert licence["status"] == "valid"
    assert licence["valid_from"] == "2026-11-18" and licence["valid_until"] == "2027-11-17"
    assert licence["legal_representative"] == "李四"
    assert licence["address"] == "定州市南城区建设路 1 号"
    assert licence["scope"] == "热食类食品制售"
    assert licence["authority_name"] == "定州市行政审批局"
    assert [h["event"] for h in licence["history"]] == ["issued"]
    assert licence["history"][0]["decision_number"] == licence["decision_number"]


def test_change_of_particulars_is_its_own_case_and_a_new_version(world):
    api, tokens, _ = world
    number = _issue(api, tokens)
    change = api.post(f"/licences/{number}/changes", token=tokens[Role.clerk], headers=_key(),
                      json={"track": "general", "changes": {"address": "定州市北城区新华路 8 号"},
                            "materials_received": MATERIALS})
    assert change.status_code == 201, change.json
    assert change.json["purpose"] == "change" and change.json["status"] == "accepted"
    assert change.json["licence"]["number"] == number
    # nothing changes before the decision
    assert api.get(f"/licences/{number}", token=tokens[Role.clerk]).json["address"] == \
        "定州市南城区建设路 1 号"
    _decide(api, tokens, change.json["id"])
    licence = api.get(f"/licences/{number}", token=tokens[Role.clerk]).json
    assert licence["address"] == "定州市北城区新华路 8 号"
    assert licence["version"] == 2
    assert [h["event"] for h in licence["history"]] == ["issued", "changed"]
    assert licence["history"][1]["application_id"] == change.json["id"]
    assert licence["history"][1]["decision_number"].endswith("-2号")
    # the first version keeps what the licence said before
    stored = db.session.scalar(select(Licence).where(Licence.number == number))
    first, second = licences.history(stored)
    assert first.facts["address"] == "定州市南城区建设路 1 号"
    assert second.facts["address"] == "定州市北城区新华路 8 号"
    certificate = licences.latest_document(stored, "certificate")
    assert dict(certificate.content["sections"][0]["pairs"])["住所（经营场所）"] == \
        "定州市北城区新华路 8 号"


def test_change_needs_something_to_change(world):
    api, tokens, _ = world
    number = _issue(api, tokens)
    refused = api.post(f"/licences/{number}/changes", token=tokens[Role.clerk], headers=_key(),
                       json={"track": "general", "changes": {"address": "门牌🏠号"}})
    assert refused.status_code == 422
    assert refused.json["error"]["code"] == "unprintable_character"


def test_renewal_extends_validity_and_is_refused_within_30_days(world):
    api, tokens, users = world
    number = _issue(api, tokens)
    with clock.freeze(datetime(2027, 9, 1, 10, 0, tzinfo=clock.LOCAL_TZ)):
        tokens = _fresh(api, users)
        renewal = api.post(f"/licences/{number}/renewals", token=tokens[Role.clerk],
                           headers=_key(), json={"track": "general",
                                                 "materials_received": MATERIALS})
        assert renewal.status_code == 201, renewal.json
        _decide(api, tokens, renewal.json["id"])
        licence = api.get(f"/licences/{number}", token=tokens[Role.clerk]).json
    assert licence["valid_until"] == "2028-11-17"
    assert [h["event"] for h in licence["history"]] == ["issued", "renewed"]
    # 2028-10-18 is the last day (30 days before 2028-11-17); the 19th is too late
    with clock.freeze(datetime(2028, 10, 19, 10, 0, tzinfo=clock.LOCAL_TZ)):
        tokens = _fresh(api, users)
        late = api.post(f"/licences/{number}/renewals", token=tokens[Role.clerk],
                        headers=_key(), json={"track": "general"})
    assert late.status_code == 422
    assert late.json["error"]["code"] == "renewal_too_late"


def test_reissue_issues_a_new_certificate_version(world):
    api, tokens, _ = world
    number = _issue(api, tokens)
    reissue = api.post(f"/licences/{number}/reissue", token=tokens[Role.clerk], headers=_key(),
                       json={"track": "general", "materials_received": MATERIALS})
    assert reissue.status_code == 201, reissue.json
    _decide(api, tokens, reissue.json["id"])
    licence = api.get(f"/licences/{number}", token=tokens[Role.clerk]).json
    assert [h["event"] for h in licence["history"]] == ["issued", "reissued"]
    stored = db.session.scalar(select(Licence).where(Licence.number == number))
    certificates = [d for d in licences.documents_of(stored) if d.kind == "certificate"]
    assert len(certificates) == 2
    assert "补发" in " ".join(certificates[-1].content["sections"][0]["paragraphs"])


@pytest.mark.parametrize("reason", ["surrender", "dissolved"])
def test_cancellation_ends_the_licence(world, reason, app):
    api, tokens, _ = world
    number = _issue(api, tokens)
    cancelled = api.post(f"/licences/{number}/cancellation", token=tokens[Role.approver],
                         json={"reason": reason, "note": "持证人书面申请"})
    assert cancelled.status_code == 200, cancelled.json
    assert cancelled.json["status"] == "cancelled"
    assert cancelled.json["cancel_reason"] == reason
    assert [h["event"] for h in cancelled.json["history"]] == ["issued", "cancelled"]
    again = api.post(f"/licences/{number}/cancellation", token=tokens[Role.approver],
                     json={"reason": reason})
    assert again.status_code == 409
    change = api.post(f"/licences/{number}/changes", token=tokens[Role.clerk], headers=_key(),
                      json={"track": "general", "changes": {"address": "别处"}})
    assert change.status_code == 409
    assert change.json["error"]["code"] == "licence_not_in_force"
    stored = db.session.scalar(select(Licence).where(Licence.number == number))
    page = app.test_client().get(f"/verify/{stored.verify_token}").get_data(as_text=True)
    assert "已注销" in page


def test_cancellation_for_expiry_needs_an_expired_licence(world):
    api, tokens, _ = world
    number = _issue(api, tokens)
    refused = api.post(f"/licences/{number}/cancellation", token=tokens[Role.approver],
                       json={"reason": "expired"})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "not_expired"
    refused = api.post(f"/licences/{number}/cancellation", token=tokens[Role.approver],
                       json={"reason": "lost"})
    assert refused.status_code == 422


def test_only_an_approver_cancels(world):
    api, tokens, _ = world
    number = _issue(api, tokens)
    refused = api.post(f"/licences/{number}/cancellation", token=tokens[Role.clerk],
                       json={"reason": "surrender"})
    assert refused.status_code == 403


def test_service_is_recorded_through_the_api(world):
    api, tokens, _ = world
    number = _issue(api, tokens)
    served = api.post(f"/licences/{number}/service", token=tokens[Role.clerk],
                      json={"document": "certificate", "method": "in_person",
                            "served_on": "2026-11-18", "served_to": "李四"})
    assert served.status_code == 200, served.json
    again = api.post(f"/licences/{number}/service", token=tokens[Role.clerk],
                     json={"document": "certificate", "method": "post",
                           "served_on": "2026-11-18", "served_to": "李四"})
    assert again.status_code == 422 and again.json["error"]["code"] == "already_served"


def test_scheduler_cancels_expired_licences_not_renewed(world):
    api, tokens, users = world
    expiring = _issue(api, tokens, seed=601)
    renewing = _issue(api, tokens, seed=602)
    with clock.freeze(datetime(2027, 10, 1, 10, 0, tzinfo=clock.LOCAL_TZ)):
        tokens = _fresh(api, users)
        renewal = api.post(f"/licences/{renewing}/renewals", token=tokens[Role.clerk],
                           headers=_key(), json={"track": "general",
                                                 "materials_received": MATERIALS})
        assert renewal.status_code == 201
    # the last valid day is 2027-11-17: nothing happens on it
    with clock.freeze(datetime(2027, 11, 17, 23, 0, tzinfo=clock.LOCAL_TZ)):
        tokens = _fresh(api, users)
        assert cancel_expired(clock.local_today()) == 0
        assert api.get(f"/licences/{expiring}", token=tokens[Role.clerk]).json["status"] == \
            "valid"
    with clock.freeze(datetime(2027, 11, 18, 0, 30, tzinfo=clock.LOCAL_TZ)):
        tokens = _fresh(api, users)
        assert api.get(f"/licences/{expiring}", token=tokens[Role.clerk]).json["status"] == \
            "expired"
        assert cancel_expired(clock.local_today()) == 1
        assert cancel_expired(clock.local_today()) == 0  # idempotent
        licence = api.get(f"/licences/{expiring}", token=tokens[Role.clerk]).json
        assert licence["status"] == "cancelled" and licence["cancel_reason"] == "expired"
        assert licence["cancelled_on"] == "2027-11-18"
        # the one with a renewal under way is left to the renewal's decision
        assert api.get(f"/licences/{renewing}", token=tokens[Role.clerk]).json["status"] == \
            "expired"
    stored = db.session.scalar(select(Licence).where(Licence.number == expiring))
    assert stored.versions[-1].event == LicenceEvent.cancelled


def test_holders_are_reminded_before_expiry(world):
    api, tokens, users = world
    number = _issue(api, tokens)
    # 90 days before 2027-11-17
    with clock.freeze(datetime(2027, 8, 19, 8, 5, tzinfo=clock.LOCAL_TZ)):
        assert send_renewal_reminders(clock.local_today()) == 1  # the clerk
        assert send_renewal_reminders(clock.local_today()) == 0
    with clock.freeze(datetime(2027, 8, 20, 8, 5, tzinfo=clock.LOCAL_TZ)):
        assert send_renewal_reminders(clock.local_today()) == 0
    [notice] = db.session.scalars(select(Notification).where(
        Notification.user_id == users[Role.clerk].id)).all()
    assert number in notice.title and "2027年10月18日前申请延续" in notice.body


# --- the same procedures through the pages ------------------------------------------------------


def _licence_of(number):
    db.session.expire_all()
    return db.session.scalar(select(Licence).where(Licence.number == number))


def test_change_through_the_pages(world, app):
    from tests.factories import login_as

    api, tokens, users = world
    number = _issue(api, tokens)
    desk = app.test_client()
    login_as(desk, users[Role.approver])
    page = desk.get(f"/licences/{number}")
    assert page.status_code == 200 and "申请变更" in page.get_data(as_text=True)
    refused = desk.post(f"/licences/{number}/requests", data={"purpose": "change"})
    assert refused.status_code == 302
    assert "请填写要变更的事项" in desk.get(f"/licences/{number}").get_data(as_text=True)
    opened = desk.post(f"/licences/{number}/requests",
                       data={"purpose": "change", "address": "定州市北城区新华路 8 号"})
    assert opened.status_code == 302 and "/applications/" in opened.location
    url = opened.location
    case_page = desk.get(url).get_data(as_text=True)
    assert "变更" in case_page and number in case_page
    desk.post(f"{url}/notice")
    desk.post(f"{url}/track", data={"track": "general"})
    desk.post(f"{url}/accept", data={"received": MATERIALS})
    assert desk.post(f"{url}/decision", data={"outcome": "approve"}).status_code == 302
    assert _licence_of(number).address == "定州市北城区新华路 8 号"
    page = desk.get(f"/licences/{number}").get_data(as_text=True)
    assert "第2版" in page and "定州市北城区新华路 8 号" in page
    assert desk.get(f"{url}/licence.pdf").data.startswith(b"%PDF")
    assert desk.get(f"{url}/decision.pdf").data.startswith(b"%PDF")


def test_cancellation_and_service_through_the_pages(world, app):
    from tests.factories import login_as

    api, tokens, users = world
    number = _issue(api, tokens)
    desk = app.test_client()
    login_as(desk, users[Role.approver])
    document = licences.latest_document(_licence_of(number), "certificate")
    served = desk.post(f"/licences/{number}/documents/{document.id}/service",
                       data={"method": "in_person", "served_on": "2026-11-18",
                             "served_to": "李四"})
    assert served.status_code == 302
    assert "直接送达，2026-11-18" in desk.get(f"/licences/{number}").get_data(as_text=True)
    desk.post(f"/licences/{number}/cancel", data={"reason": "surrender", "note": "书面申请"})
    page = desk.get(f"/licences/{number}").get_data(as_text=True)
    assert "已注销" in page and "注销行政许可决定书" in page
    assert _licence_of(number).cancel_reason.value == "surrender"


def test_a_renewal_filed_in_time_may_be_decided_after_expiry(world):
    api, tokens, users = world
    number = _issue(api, tokens)
    with clock.freeze(datetime(2027, 10, 1, 10, 0, tzinfo=clock.LOCAL_TZ)):
        tokens = _fresh(api, users)
        renewal = api.post(f"/licences/{number}/renewals", token=tokens[Role.clerk],
                           headers=_key(), json={"track": "general",
                                                 "materials_received": MATERIALS})
        assert renewal.status_code == 201
    with clock.freeze(datetime(2027, 11, 20, 10, 0, tzinfo=clock.LOCAL_TZ)):
        tokens = _fresh(api, users)
        _decide(api, tokens, renewal.json["id"])
        licence = api.get(f"/licences/{number}", token=tokens[Role.clerk]).json
    assert licence["status"] == "valid" and licence["valid_until"] == "2028-11-17"
