"""Security properties of every response: headers, CSRF, cookies, error pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from licensing import create_app
from licensing.auth.access import public
from licensing.auth.models import Role
from tests.conftest import make_settings
from tests.factories import PASSWORD, create_test_user, login_as


def _assert_security_headers(response):
    csp = response.headers["Content-Security-Policy"]
    for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                      "script-src 'self'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


@pytest.mark.parametrize("path", ["/login", "/", "/no-such-page", "/api/v1/no-such",
                                  "/verify/unknown"])
def test_headers_on_every_response_error_pages_included(client, path):
    response = client.get(path)
    _assert_security_headers(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_with_personal_data_are_not_cached(client, session):
    login_as(client, create_test_user(Role.clerk))
    response = client.get("/applications")
    assert response.headers["Cache-Control"] == "no-store"


def test_api_errors_are_json(client):
    response = client.get("/api/v1/no-such")
    assert response.status_code == 404 and response.is_json
    assert response.json["error"]["code"] == "not_found"


def test_internal_error_page_is_generic(app, tmp_path):
    application = create_app(make_settings(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path))

    @application.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret internal detail")

    response = application.test_client().get("/boom")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "secret internal detail" not in body and "Traceback" not in body
    assert "系统内部错误" in body
    _assert_security_headers(response)


def test_csrf_is_required_on_forms(app, session, tmp_path):
    user = create_test_user(Role.clerk)
    application = create_app(make_settings(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                                           csrf_enabled=True))
    client = application.test_client()
    refused = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert refused.status_code == 400
    assert "表单已失效" in refused.get_data(as_text=True)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    accepted = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                           "csrf_token": token})
    assert accepted.status_code == 302


def test_session_cookie_flags(client, session):
    user = create_test_user(Role.clerk)
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development over http


def test_production_cookie_is_secure_and_hsts_sent(app, session, tmp_path):
    user = create_test_user(Role.clerk)
    application = create_app(make_settings(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                                           env="production", session_cookie_secure=True))
    client = application.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert "Secure" in response.headers["Set-Cookie"]
    assert "max-age=" in response.headers["Strict-Transport-Security"]


STRONG_KEY = "3f9a6c1e8b2d47f0a5c9e1b7d3f60a2c4e8b1d5f9a3c7e0b2d6f4a8c1e5b9d3f"


def test_production_refuses_a_secret_key_with_too_little_entropy():
    from config.settings import ConfigurationError, Settings

    env = {"LICENSING_ENV": "production", "DATABASE_URL": "sqlite://",
           "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    for weak in ("a" * 32, "ab" * 16, "abcd" * 10, "0123456789" * 4):
        with pytest.raises(ConfigurationError, match="entropy"):
            Settings.from_env({**env, "SECRET_KEY": weak})
    assert Settings.from_env({**env, "SECRET_KEY": STRONG_KEY}).secret_key == STRONG_KEY


def test_production_refuses_to_serve_while_a_demo_password_works(app, session, tmp_path,
                                                                  monkeypatch):
    from config.settings import ConfigurationError
    from licensing.auth.demo import load_departments_and_users
    from licensing.auth.models import User
    from licensing.auth.services import set_active, set_password

    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    load_departments_and_users()
    session.commit()
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with pytest.raises(ConfigurationError, match="admin"):
        create_app(make_settings(url, tmp_path, env="production"))
    for user in session.scalars(select(User)).all():
        if user.username == "applicant":
            set_active(user, False)
        else:
            set_password(user, f"a-fresh-passphrase-{user.id}-9")
    session.commit()
    assert create_app(make_settings(url, tmp_path, env="production")) is not None
    # a command still runs on such a database, so that the accounts can be fixed
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    create_app(make_settings(url, tmp_path, env="production"))


def test_production_refuses_to_start_without_secret_key():
    from config.settings import ConfigurationError, Settings

    with pytest.raises(ConfigurationError):
        Settings.from_env({"LICENSING_ENV": "production", "DATABASE_URL": "sqlite://"})
    with pytest.raises(ConfigurationError, match="DATABASE_URL"):
        Settings.from_env({"LICENSING_ENV": "production", "SECRET_KEY": STRONG_KEY})


def test_demo_load_refused_in_production(app, tmp_path):
    application = create_app(make_settings(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                                           env="production"))
    with application.app_context():
        result = application.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 2 and "生产环境" in result.output


@pytest.mark.parametrize(("path", "status"), [
    ("/guide/%00", 404), ("/guide/%00/notice", 404), ("/verify/%00", 404),
    ("/api/v1/items/%00", 404), ("/guide?q=%00", 400), ("/api/v1/items?x=%00", 422)])
def test_nul_bytes_are_refused_not_a_server_error(client, path, status):
    assert client.get(path).status_code == status


def test_database_outage_answers_503_in_chinese(app, tmp_path):
    from sqlalchemy.exc import OperationalError

    application = create_app(make_settings(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path))

    @application.route("/db-down")
    @public
    def db_down():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    @application.route("/api/v1/db-down")
    @public
    def api_db_down():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    page = application.test_client().get("/db-down")
    assert page.status_code == 503 and "本次操作未保存" in page.get_data(as_text=True)
    api = application.test_client().get("/api/v1/db-down")
    assert api.status_code == 503 and api.json["error"]["code"] == "database_unavailable"


def test_database_outage_at_commit_answers_503(app, tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    # not in testing mode: there Flask re-raises errors of after-request functions
    application = create_app(make_settings(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path,
                                           testing=False))

    def broken_commit():
        raise OperationalError("COMMIT", {}, Exception("terminating connection"))

    @application.route("/commit-fails")
    @public
    def commit_fails():
        from licensing.extensions import db

        monkeypatch.setattr(db.session, "commit", broken_commit)
        return "ok"

    response = application.test_client().get("/commit-fails")
    assert response.status_code == 503


def test_production_needs_a_redis_rate_limit_storage():
    from config.settings import ConfigurationError, Settings

    env = {"LICENSING_ENV": "production", "SECRET_KEY": STRONG_KEY, "DATABASE_URL": "sqlite://"}
    with pytest.raises(ConfigurationError, match="RATELIMIT_STORAGE_URI"):
        Settings.from_env(env)
    settings = Settings.from_env({**env, "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})
    assert settings.ratelimit_storage_uri == "redis://127.0.0.1:6379/0"
