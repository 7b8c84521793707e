"""Point 4 of issue 19: no number in a URL answers 5xx, on any route, for any role.

The test walks the application's whole URL map (routes added later are covered without
editing it), as an anonymous visitor and as each role, and sends every method of every route
with out-of-range integers in the path and in the usual query parameters.
"""

from __future__ import annotations

import pytest

from licensing.auth.models import Role
from tests.factories import create_test_user, login_as

HUGE = "99999999999999999999999"
JUST_OVER = "2147483648"
ODD = ("²", "-1", "0", "1e5", "%C2%B2")
QUERY_NAMES = ("page", "item", "inspector", "id", "task", "year", "month", "v", "from", "to",
               "period", "status", "q", "on", "start", "working_days")
#: Endpoints that end the session of the client sending them (tested elsewhere).
SKIP = {"auth.logout", "static"}


def _query(value: str) -> str:
    return "&".join(f"{name}={value}" for name in QUERY_NAMES)


def _paths(app, value: str):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIP:
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", value)
            for converter in ("", "string:", "path:"):
                path = path.replace(f"<{converter}{arg}>", value)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, path


def _clients(app):
    yield "anonymous", app.test_client()
    for role in Role:
        client = app.test_client()
        login_as(client, create_test_user(role))
        yield role.value, client


@pytest.mark.slow
def test_out_of_range_numbers_never_answer_a_server_error(app, session):
    failures = []
    for who, client in _clients(app):
        for method, path in _paths(app, HUGE):
            response = client.open(f"{path}?{_query(HUGE)}", method=method)
            if response.status_code >= 500:
                failures.append((who, method, path, response.status_code))
    assert not failures, failures[:20]


@pytest.mark.parametrize("value", (*ODD, HUGE, JUST_OVER))
def test_query_integers_out_of_range_fall_back_to_the_default(app, session, value):
    client = app.test_client()
    login_as(client, create_test_user(Role.inspector))
    for url in (f"/supervision/tasks?inspector={value}&item={value}&page={value}",
                f"/applications?page={value}", f"/notifications?page={value}"):
        assert client.get(url).status_code == 200, url


def test_path_integers_out_of_range_are_not_found(app, session):
    client = app.test_client()
    login_as(client, create_test_user(Role.inspector))
    for value in (HUGE, JUST_OVER, "0"):
        assert client.get(f"/supervision/tasks/{value}").status_code == 404
    assert client.post(f"/notifications/{HUGE}/read").status_code == 404


@pytest.mark.parametrize("target", ("/%0D%0AX-A:%20b", "/%0AX", "/\\evil.example", "//evil"))
def test_a_bad_next_is_dropped_and_the_login_kept(app, session, target):
    user = create_test_user(Role.clerk)
    client = app.test_client()
    from tests.factories import PASSWORD

    response = client.post(f"/login?next={target}",
                           data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response.location.endswith("/") and "X-A" not in str(response.headers)
    assert client.get("/").status_code == 200  # logged in
