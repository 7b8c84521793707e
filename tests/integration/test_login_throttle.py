"""Point 1 of issue 19: a stranger can slow and refuse only their own address, never lock out
staff; unknown usernames do not grow the audit log; the unlock and set-password commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from licensing import clock
from licensing.audit.models import AuditEntry
from licensing.auth.errors import LoginFailed
from licensing.auth.models import LoginFailureTally, Role
from licensing.auth.services import authenticate
from licensing.extensions import db
from tests.factories import PASSWORD, create_test_user
from tests.integration.test_api import basic

ATTACKER = {"REMOTE_ADDR": "203.0.113.66"}
VICTIM = {"REMOTE_ADDR": "198.51.100.7"}


def _login(client, username, password, environ):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base=environ)


def test_fifty_wrong_attempts_from_one_address_leave_the_victim_able_to_log_in(app, session):
    victim = create_test_user(Role.approver, username="victim")
    client = app.test_client()
    answers = [_login(client, "victim", f"wrong-guess-{n}", ATTACKER).status_code
               for n in range(50)]
    assert answers[:5] == [200] * 5  # the first failures are answered normally
    assert answers[-1] == 429 and answers.count(429) >= 40
    # the attacking address is refused even with the right password
    assert _login(client, "victim", PASSWORD, ATTACKER).status_code == 429
    # the victim, from their own address, gets in at once
    response = _login(app.test_client(), "victim", PASSWORD, VICTIM)
    assert response.status_code == 302
    session.refresh(victim)
    assert victim.locked_until_dt is None


def test_fifty_wrong_token_requests_leave_the_victim_able_to_get_a_token(app, session):
    victim = create_test_user(Role.clerk, username="victim2")
    client = app.test_client()
    answers = [client.post("/api/v1/tokens", headers=basic("victim2", f"wrong-{n}"),
                           environ_base=ATTACKER) for n in range(50)]
    codes = [r.status_code for r in answers]
    assert codes[:5] == [401] * 5 and codes[-1] == 429
    assert answers[-1].json["error"]["code"] == "too_many_requests"
    assert int(answers[-1].headers["Retry-After"]) > 0
    ok = app.test_client().post("/api/v1/tokens", headers=basic(victim.username, PASSWORD),
                                environ_base=VICTIM)
    assert ok.status_code == 201


def test_the_page_and_the_api_share_one_budget_per_address_and_username(app, session):
    create_test_user(Role.clerk, username="shared")
    client = app.test_client()
    for n in range(3):
        assert _login(client, "shared", f"wrong-{n}", ATTACKER).status_code == 200
    for n in range(2):
        assert client.post("/api/v1/tokens", headers=basic("shared", f"wrong-{n}"),
                           environ_base=ATTACKER).status_code == 401
    assert _login(client, "shared", "wrong-again", ATTACKER).status_code == 429


def test_spraying_many_usernames_from_one_address_is_refused(app, session):
    client = app.test_client()
    codes = [_login(client, f"guess{n}", "wrong-password", ATTACKER).status_code
             for n in range(40)]
    assert 429 in codes  # 40 attempts from one address get a 429
    assert codes.index(429) <= 10


def test_successful_logins_from_one_address_are_never_throttled(app, session):
    users = [create_test_user(Role.clerk) for _ in range(25)]
    for user in users:
        assert _login(app.test_client(), user.username, PASSWORD, ATTACKER).status_code == 302


def test_the_limits_are_settings(app, tmp_path, database_url):
    from licensing import create_app
    from tests.conftest import make_settings

    strict = create_app(make_settings(database_url, tmp_path,
                                      login_limits_per_account="2 per minute"))
    with strict.app_context():
        create_test_user(Role.clerk, username="strict")
        client = strict.test_client()
        codes = [_login(client, "strict", "wrong", ATTACKER).status_code for _ in range(3)]
        assert codes == [200, 200, 429]


def test_unknown_usernames_are_tallied_not_audited_one_by_one(app, session):
    for n in range(25):
        with pytest.raises(LoginFailed):
            authenticate(f"nobody{n}", "wrong-password", address="203.0.113.9")
    session.commit()
    tally = session.scalar(select(LoginFailureTally))
    assert tally.attempts == 25 and tally.address == "203.0.113.9"
    entries = session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "user.login_failed_unknown"))
    assert entries == 1
    # the usernames tried are not kept anywhere in the audit log
    assert not any("nobody" in str(e.changes) for e in session.scalars(select(AuditEntry)))


def test_users_unlock_command(app, session, runner):
    user = create_test_user(Role.admin, username="boss")
    user.failed_logins = 7

    user.locked_until_dt = clock.utcnow() + timedelta(minutes=10)
    session.commit()
    result = runner.invoke(args=["users", "unlock", "boss"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert user.failed_logins == 0 and user.locked_until_dt is None
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "user.unlocked"))
    assert runner.invoke(args=["users", "unlock", "ghost"]).exit_code == 2


def test_users_set_password_command(app, session, runner):
    user = create_test_user(Role.admin, username="boss2")
    token_before = user.session_token
    result = runner.invoke(args=["users", "set-password", "boss2", "--password-stdin"],
                           input="a-brand-new-passphrase-9\n")
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert user.session_token != token_before  # every session ended
    assert _login(app.test_client(), "boss2", "a-brand-new-passphrase-9", VICTIM
                  ).status_code == 302
    weak = runner.invoke(args=["users", "set-password", "boss2", "--password-stdin"],
                         input="short\n")
    assert weak.exit_code == 2 and "错误" in weak.output


def test_users_unlock_with_address_forgets_that_address_failures(app, session, runner):
    create_test_user(Role.admin, username="typo")
    client = app.test_client()
    for n in range(6):
        _login(client, "typo", f"wrong-{n}", ATTACKER)
    assert _login(client, "typo", PASSWORD, ATTACKER).status_code == 429
    result = runner.invoke(args=["users", "unlock", "typo", "--address", "203.0.113.66"])
    assert result.exit_code == 0, result.output
    assert _login(client, "typo", PASSWORD, ATTACKER).status_code == 302


def test_behind_a_trusted_proxy_the_throttle_counts_the_forwarded_address(app, tmp_path,
                                                                           database_url):
    from licensing import create_app
    from tests.conftest import make_settings

    proxied = create_app(make_settings(database_url, tmp_path, trusted_proxies=1))
    with proxied.app_context():
        create_test_user(Role.clerk, username="behind")
        client = proxied.test_client()
        nginx = {"REMOTE_ADDR": "127.0.0.1"}
        for n in range(6):
            client.post("/login", data={"username": "behind", "password": f"x{n}"},
                        environ_base=nginx, headers={"X-Forwarded-For": "203.0.113.5"})
        ok = client.post("/login", data={"username": "behind", "password": PASSWORD},
                         environ_base=nginx, headers={"X-Forwarded-For": "198.51.100.9"})
        assert ok.status_code == 302


def test_the_counters_can_live_in_redis(app, tmp_path, database_url):
    import uuid

    import redis

    from licensing import create_app
    from tests.conftest import make_settings

    url = "redis://127.0.0.1:6379/15"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    shared = create_app(make_settings(database_url, tmp_path, ratelimit_storage_uri=url))
    address = {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.1"}
    with shared.app_context():
        create_test_user(Role.clerk, username="redisuser")
        client = shared.test_client()
        codes = [_login(client, "redisuser", f"wrong-{n}", address).status_code for n in range(6)]
        assert codes == [200] * 5 + [429]
        # a second worker (another app on the same storage) sees the same counters
        worker2 = create_app(make_settings(database_url, tmp_path, ratelimit_storage_uri=url))
        assert _login(worker2.test_client(), "redisuser", "wrong", address).status_code == 429
