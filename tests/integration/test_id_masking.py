"""Point 2 of issue 19: full ID numbers only through the audited reveal; credit look-ups of
people go through an audited, rate-limited POST."""

from __future__ import annotations

from sqlalchemy import select

from licensing.audit.models import AuditEntry
from licensing.auth.models import Role
from licensing.extensions import db
from tests.case_factories import applicant, id_number
from tests.factories import create_test_user, login_as
from tests.integration.test_api import ApiClient
from tests.integration.test_supervision_support import (  # noqa: F401 (fixtures)
    licensed,
    world_fixture,
)

FULL = id_number(777)


def _person_case(world):
    person = applicant("individual", name="王五", seed=777)
    assert person.code == FULL
    application, _licence, task = licensed(world, who=person)
    assert FULL in application.letter.text  # the stored letter keeps the number whole
    return application, task


def _reveals(world) -> int:
    return len(db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "applicant.full_number_viewed")).all())


def test_the_inspector_task_page_shows_the_letter_masked(app, world):
    _application, task = _person_case(world)
    client = app.test_client()
    login_as(client, world.inspector)
    page = client.get(f"/supervision/tasks/{task.id}").get_data(as_text=True)
    assert FULL not in page
    assert FULL[:6] + "********" + FULL[-4:] in page


def test_letter_txt_is_masked_for_every_reader_and_has_one_charset(app, world):
    application, _ = _person_case(world)
    for user in (world.approver, world.inspector, create_test_user(Role.reform_office),
                 create_test_user(Role.admin)):
        client = app.test_client()
        login_as(client, user)
        response = client.get(f"/applications/{application.public_id}/letter.txt")
        assert response.status_code == 200, user.role
        assert FULL not in response.get_data(as_text=True)
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.headers["X-Letter-SHA256"] == application.letter.sha256
    assert _reveals(world) == 0


def test_the_api_shows_the_letter_masked(app, world):
    application, _ = _person_case(world)
    api = ApiClient(app)
    body = api.get(f"/applications/{application.public_id}",
                   token=api.token(world.approver)).json
    assert FULL not in body["letter"]["text"]
    assert body["letter"]["sha256"] == application.letter.sha256


def test_the_audited_reveal_shows_the_full_letter(app, world):
    application, _ = _person_case(world)
    client = app.test_client()
    login_as(client, world.approver)
    page = client.post(f"/applications/{application.public_id}/reveal")
    assert page.status_code == 200
    assert FULL in page.get_data(as_text=True)
    assert _reveals(world) == 1
    office = app.test_client()
    login_as(office, create_test_user(Role.reform_office))
    assert office.post(f"/applications/{application.public_id}/reveal").status_code == 403


def test_a_person_is_looked_up_by_post_audited_never_by_get(app, world):
    _person_case(world)
    api = ApiClient(app)
    token = api.token(world.inspector)
    assert api.get(f"/applicants/{FULL}/credit", token=token).status_code == 404
    found = api.post("/credit-lookups", json={"code": FULL}, token=token)
    assert found.status_code == 200, found.json
    missing = api.post("/credit-lookups", json={"code": id_number(778)}, token=token)
    assert missing.status_code == 404
    entries = db.session.scalars(select(AuditEntry).where(
        AuditEntry.action == "credit.looked_up").order_by(AuditEntry.id)).all()
    assert [e.changes["found"] for e in entries] == [True, False]
    assert all(FULL not in str(e.changes) for e in entries)
    assert entries[0].actor_id == world.inspector.id


def test_enterprises_keep_the_get(app, world):
    company = applicant("enterprise", seed=779)
    api = ApiClient(app)
    token = api.token(world.approver)
    assert api.get(f"/applicants/{company.code}/credit", token=token).status_code == 200


def test_credit_lookups_are_rate_limited_per_user(tmp_path, app, database_url, world):
    from licensing import create_app
    from tests.conftest import make_settings

    strict = create_app(make_settings(database_url, tmp_path, credit_lookup_limits="3 per day"))
    api = ApiClient(strict)
    token = api.token(world.clerk)
    codes = [api.post("/credit-lookups", json={"code": FULL}, token=token).status_code
             for _ in range(4)]
    assert codes == [404, 404, 404, 429]
    other = api.post("/credit-lookups", json={"code": FULL}, token=api.token(world.approver))
    assert other.status_code == 404  # another user has their own allowance
