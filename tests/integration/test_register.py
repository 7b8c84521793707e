"""The public register of licensing decisions: search, masking, statuses, paging by key."""

from __future__ import annotations

from datetime import datetime

import pytest

from licensing import clock
from licensing.applicants.services import get_or_create_applicant
from licensing.auth.models import Role
from licensing.cases import licences, services
from licensing.cases.models import Channel, Decision, LicenceStatus, Track
from licensing.extensions import db
from licensing.register.services import search
from tests.case_factories import calendar_loaded, enterprise_code, id_number, published_item
from tests.factories import create_test_user
from tests.integration.test_api import ApiClient

WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=clock.LOCAL_TZ)


@pytest.fixture
def register(app, session):
    """Five licences: four enterprises (one revoked, one cancelled) and one person."""
    calendar_loaded()
    clock.set_frozen(WEDNESDAY)
    clerk = create_test_user(Role.clerk)
    approver = create_test_user(Role.approver)
    version = published_item("REG-1", validity_years=5)
    issued = {}
    holders = [("enterprise", "定州市润泽食品有限公司", enterprise_code(11)),
               ("enterprise", "定州市润泽餐饮管理有限公司", enterprise_code(12)),
               ("enterprise", "定州市恒通建材有限公司", enterprise_code(13)),
               ("enterprise", "定州市鑫达运输有限公司", enterprise_code(14)),
               ("individual", "张三丰", id_number(15))]
    for kind, name, code in holders:
        who = get_or_create_applicant(kind, code, name, "13812345678")
        app_ = services.start_application(version, who, Channel.counter, actor=clerk)
        services.give_notice(app_)
        services.choose_track(app_, Track.general)
        services.accept_general(app_, ["M1", "M2", "M3", "M4"])
        issued[name] = services.decide(app_, Decision.approve, approver).licence
    revoked = issued["定州市恒通建材有限公司"]
    revoked.status = LicenceStatus.revoked
    revoked.revoked_dt = clock.utcnow()
    licences.cancel(issued["定州市鑫达运输有限公司"], "surrender", actor=approver)
    db.session.commit()
    return issued


def test_search_by_number_code_and_name(register):
    runze = register["定州市润泽食品有限公司"]
    [hit] = search(runze.number).items
    assert hit.number == runze.number
    [hit] = search(runze.holder_code).items
    assert hit.holder_name == "定州市润泽食品有限公司"
    # a name as typed, or without the city's name in front
    assert {e.holder_name for e in search("润泽").items} == {
        "定州市润泽食品有限公司", "定州市润泽餐饮管理有限公司"}
    assert [e.holder_name for e in search("定州市润泽食品").items] == ["定州市润泽食品有限公司"]
    assert search("不存在的公司").items == []


def test_persons_are_masked_and_ended_licences_shown(register):
    person = register["张三丰"]
    [hit] = search(person.holder_code).items
    assert hit.holder_name == "张**"
    assert person.holder_code not in hit.holder_code and "*" in hit.holder_code
    statuses = {e.holder_name: e.status for e in search("").items}
    assert statuses["定州市恒通建材有限公司"] == LicenceStatus.revoked
    assert statuses["定州市鑫达运输有限公司"] == LicenceStatus.cancelled
    assert statuses["定州市润泽食品有限公司"] == LicenceStatus.valid


def test_paging_by_key_visits_every_licence_once(register):
    seen, after = [], None
    while True:
        page = search("", after=after, limit=2)
        seen += [e.number for e in page.items]
        if page.next is None:
            break
        after = page.next
    assert sorted(seen) == sorted(licence.number for licence in register.values())
    assert len(seen) == len(set(seen))
    first = search("润泽", limit=1)
    second = search("润泽", after=first.next, limit=1)
    assert second.next is None
    assert {first.items[0].holder_name, second.items[0].holder_name} == {
        "定州市润泽食品有限公司", "定州市润泽餐饮管理有限公司"}


def test_api_answers_without_login_and_checks_its_cursor(register, app):
    api = ApiClient(app)
    answer = api.get("/register?q=润泽&limit=1")
    assert answer.status_code == 200
    body = answer.json
    assert len(body["items"]) == 1 and body["next"]
    entry = body["items"][0]
    assert set(entry) >= {"number", "holder_name", "item_name", "status", "issued_on",
                          "valid_from", "valid_until", "decision_number"}
    person = api.get(f"/register?q={register['张三丰'].holder_code}").json["items"][0]
    assert person["holder_name"] == "张**"
    assert register["张三丰"].holder_code not in str(person)
    bad = api.get("/register?q=润泽&after=bm90LWEtY3Vyc29y")
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_cursor"
    # a cursor of another kind of search is refused too
    other = api.get(f"/register?after={body['next']}")
    assert other.status_code == 422


def test_register_page_is_public(register, client):
    page = client.get("/register?q=恒通").get_data(as_text=True)
    assert "定州市恒通建材有限公司" in page and "已撤销" in page
    page = client.get("/register?q=张三丰").get_data(as_text=True)
    assert "没有找到" in page  # a person's name is not searchable in full: masked
