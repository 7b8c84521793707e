"""Point 7 of issue 19: a state-changing API call authenticated by the session cookie needs a
same-origin ``Origin`` or the CSRF token; a bearer token needs neither."""

from __future__ import annotations

from itsdangerous import URLSafeTimedSerializer

from licensing.auth.models import Role
from tests.factories import create_test_user, login_as
from tests.integration.test_api import ApiClient

URL = "/api/v1/applications"


def _clerk_client(app):
    client = app.test_client()
    login_as(client, create_test_user(Role.clerk))
    return client


def test_a_foreign_origin_with_only_the_cookie_is_refused(app, session):
    client = _clerk_client(app)
    for headers in ({"Origin": "https://evil.example"}, {}):
        response = client.post(URL, json={}, headers={"Idempotency-Key": "k1", **headers})
        assert response.status_code == 403, headers
        assert response.json["error"]["code"] == "csrf_failed"
        assert "访问令牌" in response.json["error"]["message"]


def test_the_same_origin_passes_on_to_the_endpoint(app, session):
    client = _clerk_client(app)
    response = client.post(URL, json={}, headers={"Idempotency-Key": "k1",
                                                  "Origin": "http://localhost"})
    assert response.status_code == 422  # judged by the endpoint: the body is incomplete


def test_the_csrf_token_passes_on_to_the_endpoint(app, session):
    client = _clerk_client(app)
    with client.session_transaction() as cookie_session:
        cookie_session["csrf_token"] = "raw-token-1"
    token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps("raw-token-1")
    ok = client.post(URL, json={}, headers={"Idempotency-Key": "k1", "X-CSRFToken": token})
    assert ok.status_code == 422
    bad = client.post(URL, json={}, headers={"Idempotency-Key": "k1", "X-CSRFToken": "forged"})
    assert bad.status_code == 403


def test_a_bearer_token_needs_no_origin(app, session):
    api = ApiClient(app)
    token = api.token(create_test_user(Role.clerk))
    response = app.test_client().post(URL, json={}, headers={
        "Authorization": f"Bearer {token}", "Idempotency-Key": "k1",
        "Origin": "https://evil.example"})
    assert response.status_code == 422
