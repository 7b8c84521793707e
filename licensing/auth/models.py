"""Departments, users and their roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime


class DepartmentKind(enum.StrEnum):
    """What a department does in the three-party mechanism."""

    approval = "approval"  # 行政审批实施部门
    supervisory = "supervisory"  # 行业监管部门
    reform_office = "reform_office"  # 改革办

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {
            "approval": "行政审批实施部门",
            "supervisory": "行业监管部门",
            "reform_office": "改革办",
        }[self.value]


class Role(enum.StrEnum):
    """Stable role identifiers (used on the command line and in the API)."""

    applicant = "applicant"
    clerk = "clerk"
    approver = "approver"
    inspector = "inspector"
    head = "head"
    reform_office = "reform_office"
    admin = "admin"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.applicant: "申请人",
    Role.clerk: "窗口人员",
    Role.approver: "审批人员",
    Role.inspector: "监管人员",
    Role.head: "部门负责人",
    Role.reform_office: "改革办",
    Role.admin: "系统管理员",
}

#: Roles that act for a department and must belong to one, and the kinds of department allowed.
DEPARTMENT_ROLES: dict[Role, tuple[DepartmentKind, ...]] = {
    Role.clerk: (DepartmentKind.approval,),
    Role.approver: (DepartmentKind.approval,),
    Role.inspector: (DepartmentKind.supervisory,),
    Role.head: (DepartmentKind.approval, DepartmentKind.supervisory),
    Role.reform_office: (DepartmentKind.reform_office,),
}

#: Roles that see every department's records.
CITY_WIDE_ROLES = frozenset({Role.reform_office, Role.admin})


class Department(db.Model):
    """An approval department, a supervisory department or the reform office."""

    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    #: The full legal name that documents print (定州市行政审批局); when empty, the city's name
    #: from the settings completes ``name``.
    full_name: Mapped[str | None] = mapped_column(String(200))
    #: The authority's unified social credit code, for the publicity records (双公示).
    credit_code: Mapped[str | None] = mapped_column(String(18))
    kind: Mapped[DepartmentKind] = mapped_column(
        Enum(DepartmentKind, native_enum=False, length=20, validate_strings=True)
    )
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.kind.value}>"


class User(UserMixin, db.Model):
    """A person who logs in: staff of a department, an administrator or an applicant."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "role IN ('applicant', 'admin') OR department_id IS NOT NULL",
            name="staff_have_department",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=20, validate_strings=True)
    )
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    department: Mapped[Department | None] = relationship()
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated at logout, password change and disabling: every session cookie carries it, so
    # a rotated token ends all of the user's sessions on the server.
    session_token: Mapped[str] = mapped_column(
        String(64), default=lambda: secrets.token_urlsafe(32)
    )
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login
        """Tell Flask-Login whether the account may log in."""
        return self.active

    def get_id(self) -> str:
        """Return the session id: the user id and the current session token."""
        return f"{self.id}:{self.session_token}"

    @property
    def sees_all_departments(self) -> bool:
        """Tell whether the user sees every department's records."""
        return self.role in CITY_WIDE_ROLES

    @property
    def has_password(self) -> bool:
        """Tell whether the account logs in with a password (not through the identity
        platform, whose accounts carry an unusable hash starting with ``!``)."""
        return not self.password_hash.startswith("!")

    def has_role(self, *roles: Role) -> bool:
        """Tell whether the user has one of these roles."""
        return self.role in roles

    def rotate_session_token(self) -> None:
        """Invalidate every session of the user."""
        self.session_token = secrets.token_urlsafe(32)

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role.value}>"


class LoginFailureTally(db.Model):
    """Failed logins for usernames that do not exist, counted per client address and window.

    One row (and one audit entry, at its first failure) per address and window, however many
    attempts follow: a stranger guessing names cannot grow the append-only audit log without
    bound. The names tried are not kept: people type passwords into the username field.
    """

    __tablename__ = "login_failure_tallies"
    __table_args__ = (
        UniqueConstraint("window_start_dt", "address", name="uq_login_failure_tallies_window"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    window_start_dt: Mapped[datetime] = mapped_column(UTCDateTime)
    address: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_dt: Mapped[datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<LoginFailureTally {self.address} {self.window_start_dt} x{self.attempts}>"


class OidcIdentity(db.Model):
    """The verified identity behind an applicant account signed in through OpenID Connect.

    One per account, found again by the provider's ``(issuer, subject)`` pair. The name and
    resident ID number are those the province's identity platform verified at the last
    sign-in; the counter checks a person's ID card against them before linking the account
    to a company.
    """

    __tablename__ = "oidc_identities"
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_oidc_identities_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"),
                                         unique=True)
    user: Mapped[User] = relationship()
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(100))
    #: Normalised (upper case) resident ID number, as verified by the platform.
    id_number: Mapped[str] = mapped_column(String(18), index=True)
    first_login_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<OidcIdentity {self.user_id} {self.issuer}>"
