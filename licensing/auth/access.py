"""Deny-by-default access control and department scoping.

Every endpoint declares who may call it, with ``@public`` or ``@roles_required(...)``. The
``enforce_access`` hook, run before every request, refuses anything undeclared. Staff queries
pass through ``department_scope`` so that nobody sees another department's records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_login import current_user
from sqlalchemy import or_
from sqlalchemy.sql import Select

from licensing.auth.models import Role
from licensing.errors import DomainError, Forbidden, NotFound
from licensing.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_ATTR = "_access_public"
ROLES_ATTR = "_access_roles"


class AuthenticationRequired(Exception):
    """The endpoint needs a logged-in user and there is none."""


class InvalidCredentials(DomainError):
    """An API request's ``Authorization`` header did not authenticate anybody."""

    code = "invalid_credentials"
    http_status = 401
    default_message = "身份凭证无效，请使用有效的访问令牌（Authorization: Bearer）。"


#: ``g`` attributes set by the request loader that reads an API request's ``Authorization``
#: header (``licensing.api.auth``): the user it authenticated, or the error it met.
HEADER_CREDENTIALS_USER = "_header_credentials_user"
HEADER_CREDENTIALS_ERROR = "_header_credentials_error"


def carries_header_credentials(req=None) -> bool:
    """Tell whether an API request brings its own credentials (an ``Authorization`` header).

    Such a request is judged by that header alone, never by a session cookie.
    """
    req = req if req is not None else request
    return req.path.startswith("/api/") and "Authorization" in req.headers


def public(view: F) -> F:
    """Mark an endpoint as open to everyone, logged in or not."""
    setattr(view, PUBLIC_ATTR, True)
    return view


def roles_required(*roles: Role) -> Callable[[F], F]:
    """Declare the roles that may call an endpoint (enforced centrally, before the view)."""
    if not roles:
        raise ValueError("roles_required needs at least one role")

    def decorate(view: F) -> F:
        setattr(view, ROLES_ATTR, frozenset(roles))
        return view

    return decorate


def access_policy(endpoint: str) -> tuple[bool, frozenset[Role]]:
    """Return ``(is_public, roles)`` declared for an endpoint."""
    view = current_app.view_functions.get(endpoint)
    if view is None:
        return False, frozenset()
    return bool(getattr(view, PUBLIC_ATTR, False)), getattr(view, ROLES_ATTR, frozenset())


#: Endpoints Flask itself adds.
_BUILTIN_PUBLIC = frozenset({"static"})


def enforce_access() -> None:
    """Before every request: allow public endpoints, else require a login and a declared role."""
    endpoint = request.endpoint
    if endpoint is None:  # 404 or 405: let Flask answer
        return
    if endpoint in _BUILTIN_PUBLIC:
        return
    is_public, roles = access_policy(endpoint)
    if is_public:
        return
    if carries_header_credentials():
        # The header alone decides: no fallback to a session cookie (see licensing.api.auth).
        user = current_user._get_current_object() if current_user.is_authenticated else None
        if user is None or g.get(HEADER_CREDENTIALS_USER) is not user:
            error = g.get(HEADER_CREDENTIALS_ERROR)
            raise error if isinstance(error, DomainError) else InvalidCredentials()
    elif not current_user.is_authenticated:
        raise AuthenticationRequired()
    if current_user.role not in roles:
        raise Forbidden()


def department_scope(stmt: Select, *department_columns, user=None) -> Select:
    """Restrict a staff query to rows of the user's own department.

    ``department_columns`` are the columns naming the department(s) an object belongs to; a
    row is visible when any of them is the user's department. The reform office and
    administrators see every department. Applicants see nothing through this helper: their
    own cases are selected by their applicant identity instead.
    """
    user = user if user is not None else current_user
    if user.sees_all_departments:
        return stmt
    if user.role == Role.applicant or user.department_id is None:
        return stmt.where(False)
    return stmt.where(or_(*(column == user.department_id for column in department_columns)))


def get_scoped_or_404(model, object_id: Any, *department_columns, user=None):
    """Load one object by primary key through ``department_scope``, or raise ``NotFound``."""
    pk = model.__mapper__.primary_key[0]
    stmt = department_scope(db.select(model).where(pk == object_id), *department_columns,
                            user=user)
    obj = db.session.scalars(stmt).first()
    if obj is None:
        raise NotFound()
    return obj
