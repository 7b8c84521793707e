"""Users, departments and authentication."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from licensing.audit.services import record_audit
from licensing.auth import throttle
from licensing.auth.errors import (
    LoginFailed,
    RoleDepartmentMismatch,
    UnknownDepartment,
    UnknownUser,
    UsernameTaken,
)
from licensing.auth.models import (
    DEPARTMENT_ROLES,
    Department,
    DepartmentKind,
    LoginFailureTally,
    Role,
    User,
)
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

#: Failed logins on unknown usernames are tallied per address in windows this long.
UNKNOWN_LOGIN_WINDOW_HOURS = 1
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


def authenticate(username: str, password: str, *, address: str | None = None) -> User:
    """Return the user for valid credentials, or raise ``LoginFailed``.

    Guessing is slowed by the rate limiter in front of the login (``licensing.auth.throttle``:
    per client address, and per address and username), never by locking the account: a lock
    any stranger can trigger would let one script keep a whole department out (see
    docs/decisions/0017-login-throttling.md). A failure on a known account counts in
    ``failed_logins`` and is audited; failures on unknown usernames are tallied per
    ``address`` and window (``record_unknown_login``). A lock set by an earlier version
    (``locked_until_dt``) is still honoured until it ends or ``unlock_user`` clears it. The
    error is the same for unknown users, wrong passwords, locked and disabled accounts, and an
    unknown username costs the same hashing time as a known one.
    """
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        verify_dummy(password)
        record_unknown_login(address)
        raise LoginFailed()
    now = utcnow()
    if user.locked_until_dt is not None and user.locked_until_dt > now:
        verify_dummy(password)
        record_audit("user.login_refused_locked", object_type="user", object_id=user.id,
                     actor=user)
        raise LoginFailed()
    if not verify_password(user.password_hash, password) or not user.active:
        user.failed_logins += 1
        record_audit("user.login_failed", object_type="user", object_id=user.id, actor=user,
                     changes={"failed_logins": user.failed_logins, "address": address})
        raise LoginFailed()
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until_dt = None
    record_audit("user.logged_in", object_type="user", object_id=user.id, actor=user)
    return user


def _tally_window(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0) - timedelta(
        hours=now.hour % UNKNOWN_LOGIN_WINDOW_HOURS)


def record_unknown_login(address: str | None) -> LoginFailureTally:
    """Count a failed login for a username that does not exist, per address and window.

    The first failure of an address in a window adds a tally row and one audit entry; the
    following ones only count in that row, so the audit log grows by at most one entry per
    address and window whatever a stranger sends.
    """
    now = utcnow()
    window = _tally_window(now)
    address = (address or "unknown")[:64]
    query = select(LoginFailureTally).where(LoginFailureTally.window_start_dt == window,
                                            LoginFailureTally.address == address)
    tally = db.session.scalar(query)
    if tally is None:
        try:
            with db.session.begin_nested():
                tally = LoginFailureTally(window_start_dt=window, address=address, attempts=0,
                                          last_attempt_dt=now)
                db.session.add(tally)
                db.session.flush()
        except IntegrityError:  # a parallel request of the same address created it first
            tally = db.session.scalar(query)
        else:
            record_audit("user.login_failed_unknown", object_type="login_failure_tally",
                         object_id=tally.id,
                         changes={"address": address, "window_start": window,
                                  "window_hours": UNKNOWN_LOGIN_WINDOW_HOURS})
    db.session.execute(
        update(LoginFailureTally).where(LoginFailureTally.id == tally.id)
        .values(attempts=LoginFailureTally.attempts + 1, last_attempt_dt=now)
        .execution_options(synchronize_session=False))
    return tally


def unlock_user(user: User, *, address: str | None = None, actor=None) -> None:
    """Clear an account's failure count and any lock (``users unlock``); audited.

    With ``address``, the login throttle also forgets the failures counted from that address
    (for this username and for the address as a whole).
    """
    changes = {"failed_logins": [user.failed_logins, 0],
               "locked_until": [user.locked_until_dt, None], "address": address}
    user.failed_logins = 0
    user.locked_until_dt = None
    if address:
        throttle.release(user.username, address)
    record_audit("user.unlocked", object_type="user", object_id=user.id, actor=actor,
                 changes=changes)


def user_by_username(username: str) -> User:
    """Return the user with this username, or raise ``UnknownUser``."""
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise UnknownUser(f"用户“{username}”不存在。")
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
