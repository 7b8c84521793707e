"""Users, departments and authentication."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from licensing.audit.services import record_audit
from licensing.auth.errors import (
    LoginFailed,
    RoleDepartmentMismatch,
    UnknownDepartment,
    UsernameTaken,
)
from licensing.auth.models import DEPARTMENT_ROLES, Department, DepartmentKind, Role, User
from licensing.auth.passwords import (
    hash_password,
    needs_rehash,
    validate_password,
    verify_dummy,
    verify_password,
)
from licensing.clock import utcnow
from licensing.errors import ValidationFailed
from licensing.extensions import db

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.-]{3,64}$")


def department_by_code(code: str) -> Department:
    """Return the department with this code, or raise ``UnknownDepartment``."""
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None:
        raise UnknownDepartment(f"部门代码“{code}”不存在。")
    return department


def list_departments() -> list[Department]:
    """Return every department, approval first, then supervisory, then the reform office."""
    order = {DepartmentKind.approval: 0, DepartmentKind.supervisory: 1,
             DepartmentKind.reform_office: 2}
    departments = db.session.scalars(select(Department)).all()
    return sorted(departments, key=lambda d: (order[d.kind], d.code))


def ensure_department(code: str, name: str, kind: DepartmentKind) -> Department:
    """Create a department, or update its name and kind; idempotent."""
    department = db.session.scalar(select(Department).where(Department.code == code))
    if department is None:
        department = Department(code=code, name=name, kind=kind)
        db.session.add(department)
        db.session.flush()
        record_audit("department.created", object_type="department", object_id=department.id,
                     changes={"code": code, "name": name, "kind": kind})
    elif (department.name, department.kind) != (name, kind):
        changes = {"name": [department.name, name], "kind": [department.kind, kind]}
        department.name, department.kind = name, kind
        record_audit("department.updated", object_type="department", object_id=department.id,
                     changes=changes)
    return department


def _check_role_department(role: Role, department: Department | None) -> None:
    allowed = DEPARTMENT_ROLES.get(role)
    if allowed is None:
        if department is not None and role == Role.applicant:
            raise RoleDepartmentMismatch("申请人账号不属于任何部门。")
        return
    if department is None:
        raise RoleDepartmentMismatch(f"角色“{role.label}”必须指定所属部门。")
    if department.kind not in allowed:
        kinds = "、".join(k.label for k in allowed)
        raise RoleDepartmentMismatch(f"角色“{role.label}”只能属于{kinds}。")


def create_user(
    username: str,
    password: str,
    role: Role,
    department: Department | None = None,
    display_name: str | None = None,
    actor=None,
) -> User:
    """Create a user after checking the username, the password policy and the role's department."""
    if not _USERNAME_RE.match(username):
        raise ValidationFailed("用户名只能包含字母、数字、下划线、点和连字符，长度 3–64。",
                               code="invalid_username")
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(f"用户名“{username}”已存在。")
    validate_password(password)
    _check_role_department(role, department)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=hash_password(password),
        role=role,
        department=department,
    )
    db.session.add(user)
    db.session.flush()
    record_audit("user.created", object_type="user", object_id=user.id, actor=actor,
                 changes={"username": username, "role": role,
                          "department": department.code if department else None})
    return user


def authenticate(username: str, password: str) -> User:
    """Return the user for valid credentials, or raise ``LoginFailed``.

    After ``MAX_FAILED_LOGINS`` failures in a row the account is locked for ``LOCKOUT``
    (audited). The error is the same for unknown users, wrong passwords, locked and disabled
    accounts, and an unknown username costs the same hashing time as a known one.
    """
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        verify_dummy(password)
        raise LoginFailed()
    now = utcnow()
    if user.locked_until_dt is not None and user.locked_until_dt > now:
        verify_dummy(password)
        record_audit("user.login_refused_locked", object_type="user", object_id=user.id,
                     actor=user)
        raise LoginFailed()
    if not verify_password(user.password_hash, password) or not user.active:
        user.failed_logins += 1
        changes = {"failed_logins": user.failed_logins}
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until_dt = now + LOCKOUT
            user.failed_logins = 0
            changes["locked_until"] = user.locked_until_dt
            record_audit("user.locked", object_type="user", object_id=user.id, actor=user,
                         changes=changes)
        else:
            record_audit("user.login_failed", object_type="user", object_id=user.id,
                         actor=user, changes=changes)
        raise LoginFailed()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until_dt = None
    record_audit("user.logged_in", object_type="user", object_id=user.id, actor=user)
    return user


def end_sessions(user: User, reason: str, actor=None) -> None:
    """End every session of a user on the server (their cookies stop working)."""
    user.rotate_session_token()
    record_audit("user.sessions_ended", object_type="user", object_id=user.id,
                 actor=actor or user, changes={"reason": reason})


def set_password(user: User, new_password: str, actor=None) -> None:
    """Change a user's password and end all their sessions."""
    validate_password(new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_dt = utcnow()
    user.failed_logins = 0
    user.locked_until_dt = None
    record_audit("user.password_changed", object_type="user", object_id=user.id,
                 actor=actor or user)
    end_sessions(user, "password_changed", actor=actor)


def set_active(user: User, active: bool, actor=None) -> None:
    """Enable or disable an account; disabling ends its sessions."""
    if user.active == active:
        return
    user.active = active
    record_audit("user.enabled" if active else "user.disabled", object_type="user",
                 object_id=user.id, actor=actor)
    if not active:
        end_sessions(user, "disabled", actor=actor)


def load_session_user(session_id: str) -> User | None:
    """Return the user of a session cookie's id (``"<id>:<token>"``) if it is still valid."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def people_labels(user_ids) -> dict[int, str]:
    """Name users for a timeline: ``张三（监管人员）``, never their login.

    Returns a label for each id found; callers fall back to the audit entry's own label (the
    system, or a user since removed).
    """
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(ids)))
    return {u.id: f"{u.display_name}（{u.role.label}）" for u in users}
