"""Factories for test data: short calls with sensible defaults and keyword traits."""

from __future__ import annotations

import itertools

from licensing.auth.demo import ensure_demo_departments
from licensing.auth.models import Department, Role, User
from licensing.auth.services import create_user, department_by_code
from licensing.extensions import db
from tests.dbclean import reference

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)

#: The department a role gets by default in tests.
DEFAULT_DEPARTMENT = {
    Role.clerk: "xzspj",
    Role.approver: "xzspj",
    Role.inspector: "wsjkj",
    Role.head: "wsjkj",
    Role.reform_office: "ggb",
}


def departments() -> None:
    """Create the city's departments: reference data, kept between tests (idempotent)."""
    def load() -> None:
        ensure_demo_departments()
        db.session.commit()

    reference(db.engine, "departments", [Department.__table__.name], load)


def department(code: str) -> Department:
    """Return a department by code, creating the standard set first."""
    departments()
    return department_by_code(code)


def create_test_user(role: Role | str = Role.clerk, department_code: str | None = None,
                     username: str | None = None, password: str = PASSWORD) -> User:
    """Create and flush a user of a role, in the role's default department unless told."""
    role = Role(role)
    code = department_code or DEFAULT_DEPARTMENT.get(role)
    dept = department(code) if code else None
    user = create_user(username or f"{role.value}{next(_counter)}", password, role, dept)
    db.session.commit()
    return user


def login_as(client, user: User, password: str = PASSWORD):
    """Log a test client in through the real login form."""
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response
