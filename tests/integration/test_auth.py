"""Login, sessions, roles and the user commands."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from licensing import clock
from licensing.audit.models import AuditEntry
from licensing.auth.models import Role, User
from tests.factories import PASSWORD, create_test_user, departments, login_as


def test_login_then_home_shows_role(client):
    user = create_test_user(Role.approver)
    login_as(client, user)
    page = client.get("/").get_data(as_text=True)
    assert "审批人员工作台" in page


def test_wrong_password_and_unknown_user_get_same_message(client, session):
    create_test_user(Role.clerk, username="known")
    known = client.post("/login", data={"username": "known", "password": "wrong-password-1"})
    unknown = client.post("/login", data={"username": "nobody", "password": "wrong-password-1"})
    assert known.status_code == unknown.status_code == 200
    message = "用户名或密码错误，或账号暂时被锁定。"
    assert message in known.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)


def test_failures_are_audited_and_a_legacy_lock_is_honoured_until_it_ends(client, session):
    user = create_test_user(Role.clerk, username="locky")
    for _ in range(3):
        client.post("/login", data={"username": "locky", "password": "wrong-password-1"})
    actions = session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "user", AuditEntry.object_id == str(user.id))).all()
    assert actions.count("user.login_failed") == 3
    session.refresh(user)
    assert user.failed_logins == 3 and user.locked_until_dt is None  # never locked by failures
    # a lock left by an earlier version still refuses the right password until it ends
    user.locked_until_dt = clock.utcnow() + timedelta(minutes=15)
    session.commit()
    response = client.post("/login", data={"username": "locky", "password": PASSWORD})
    assert response.status_code == 200
    with clock.freeze(clock.utcnow() + timedelta(minutes=16)):
        assert client.post("/login", data={"username": "locky", "password": PASSWORD}
                           ).status_code == 302


def test_logout_ends_session_on_server(app, session):
    user = create_test_user(Role.clerk)
    client = app.test_client()
    login_as(client, user)
    cookie = client.get_cookie("licensing_session").value
    client.post("/logout")
    replay = app.test_client()
    replay.set_cookie("licensing_session", cookie)
    response = replay.get("/")
    assert response.status_code == 302 and "/login" in response.location


def test_disabled_account_loses_its_session(app, session):
    from licensing.auth.services import set_active

    user = create_test_user(Role.clerk)
    client = app.test_client()
    login_as(client, user)
    set_active(session.get(User, user.id), False)
    session.commit()
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.location


def test_idle_timeout(app, session):
    user = create_test_user(Role.clerk)
    client = app.test_client()
    login_as(client, user)
    assert client.get("/").status_code == 200
    with clock.freeze(clock.utcnow() + timedelta(minutes=31)):
        response = client.get("/")
    assert response.status_code == 302 and "/login" in response.location


def test_open_redirect_refused(client):
    user = create_test_user(Role.clerk)
    response = client.post("/login?next=//evil.example/x",
                           data={"username": user.username, "password": PASSWORD})
    assert response.location == "/"


def test_users_create_command_reads_password_from_stdin(runner, session):
    departments()
    session.commit()
    result = runner.invoke(args=["users", "create", "zhang", "--role", "inspector",
                                 "--department", "scjgj", "--password-stdin"],
                           input="a-long-enough-pass\n")
    assert result.exit_code == 0, result.output
    user = session.scalar(select(User).where(User.username == "zhang"))
    assert user.role == Role.inspector and user.department.code == "scjgj"


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["--role", "inspector", "--department", "xzspj"], "a-long-enough-pass\n", "只能属于"),
        (["--role", "clerk", "--department", "nope"], "a-long-enough-pass\n", "不存在"),
        (["--role", "clerk", "--department", "xzspj"], "short\n", "至少需要"),
        (["--role", "clerk", "--department", "xzspj"], "password123\n", "过于常见"),
        (["--role", "clerk"], "a-long-enough-pass\n", "必须指定所属部门"),
    ],
)
def test_users_create_refuses_bad_input(runner, session, args, stdin, message):
    departments()
    session.commit()
    result = runner.invoke(args=["users", "create", "x-user", *args, "--password-stdin"],
                           input=stdin)
    assert result.exit_code == 2
    assert message in result.output
    assert session.scalar(select(User).where(User.username == "x-user")) is None


def test_demo_load_is_idempotent(runner, session):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    count = session.query(User).count()
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0, second.output
    assert session.query(User).count() == count
    roles = {u.role for u in session.scalars(select(User))}
    assert roles == set(Role)


def test_departments_list(runner, session):
    departments()
    session.commit()
    result = runner.invoke(args=["departments", "list"])
    assert "xzspj" in result.output and "市卫生健康局" in result.output


def test_admin_creates_disables_and_resets(app, session):
    admin = create_test_user(Role.admin)
    client = app.test_client()
    login_as(client, admin)
    departments()
    session.commit()
    response = client.post("/admin/users/new", data={
        "username": "newclerk", "display_name": "新窗口", "role": "clerk",
        "department": "xzspj", "password": "short"})
    assert "至少需要" in response.get_data(as_text=True)
    response = client.post("/admin/users/new", data={
        "username": "newclerk", "display_name": "新窗口", "role": "clerk",
        "department": "xzspj", "password": "a-good-long-password"})
    assert response.status_code == 302
    user = session.scalar(select(User).where(User.username == "newclerk"))
    worker = app.test_client()
    login_as(worker, user, "a-good-long-password")
    client.post(f"/admin/users/{user.id}/password", data={"new_password": "another-long-pass"})
    assert worker.get("/").status_code == 302  # the reset ended the old session
    login_as(worker, user, "another-long-pass")
    client.post(f"/admin/users/{user.id}/active")
    assert worker.get("/").status_code == 302  # disabled: session ended
    session.expire_all()
    assert session.get(User, user.id).active is False
