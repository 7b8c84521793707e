"""How an API request authenticates: ``Authorization: Bearer <token>``, or Basic to get one.

An API request that carries an ``Authorization`` header is judged by that header alone:

* its session cookie is neither read nor written (``HeaderCredentialsSessions``), so a browser
  session can never stand in for a missing or bad token, and an API call never extends a
  browser session;
* Flask-Login's ``request_loader`` (``load_user_from_header``) makes the token's user the
  ``current_user`` of that request, so ``enforce_access`` applies the same role checks and
  department scoping as on the pages;
* HTTP Basic is accepted only by ``POST /api/v1/tokens``, through
  ``licensing.auth.services.authenticate`` (the login's throttle applies, with the same
  counters: ``licensing.auth.throttle``).

A failure is kept on ``g`` for ``enforce_access`` to answer 401 with a precise code.
"""

from __future__ import annotations

from flask import Flask, g
from flask.sessions import SecureCookieSessionInterface

from licensing.auth.access import (
    HEADER_CREDENTIALS_ERROR,
    HEADER_CREDENTIALS_USER,
    InvalidCredentials,
    carries_header_credentials,
)
from licensing.auth.errors import LoginFailed
from licensing.auth.services import authenticate
from licensing.auth.throttle import note_login_failure
from licensing.errors import DomainError
from licensing.extensions import db, login_manager

#: The one endpoint that takes HTTP Basic credentials: it exchanges them for a token.
TOKEN_ENDPOINT = "api.create_token"  # noqa: S105 - an endpoint name, not a secret


class HeaderCredentialsSessions(SecureCookieSessionInterface):
    """Cookie sessions, except for API requests that bring their own credentials."""

    def open_session(self, app, request):
        """Give a header-authenticated API request an empty session, never the cookie's."""
        if carries_header_credentials(request):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response) -> None:
        """Never set a cookie on an answer to a header-authenticated API request."""
        from flask import request

        if carries_header_credentials(request):
            return
        super().save_session(app, session, response)


def load_user_from_header(request):
    """Flask-Login's request loader: the user of a Bearer token, or of Basic credentials."""
    # ``g`` may outlive a request (an app context kept open by a test or a command).
    for name in (HEADER_CREDENTIALS_USER, HEADER_CREDENTIALS_ERROR, "api_token"):
        g.pop(name, None)
    if not carries_header_credentials(request):
        return None
    try:
        user = _authenticate(request)
    except DomainError as exc:
        setattr(g, HEADER_CREDENTIALS_ERROR, exc)
        return None
    setattr(g, HEADER_CREDENTIALS_USER, user)
    return user


def _authenticate(request):
    from licensing.api.tokens import check_token

    credentials = request.authorization
    if credentials is None:
        raise InvalidCredentials()
    if credentials.type == "bearer":
        token = check_token(credentials.token)
        g.api_token = token
        return token.user
    if credentials.type == "basic" and request.endpoint == TOKEN_ENDPOINT:
        try:
            return authenticate(credentials.username or "", credentials.password or "",
                                address=request.remote_addr)
        except LoginFailed:
            db.session.commit()  # keep the failure count and the audit entry, as the login does
            note_login_failure()
            raise
    raise InvalidCredentials("此接口只接受 Authorization: Bearer 访问令牌。")


#: Methods that change nothing: a cookie may authenticate them without more proof.
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _same_origin(origin: str) -> bool:
    from flask import current_app
    from flask import request as req

    allowed = {req.host_url.rstrip("/"),
               current_app.config["SETTINGS"].public_base_url.rstrip("/")}
    return origin.rstrip("/") in allowed


def require_proof_for_cookie_writes():
    """``before_request``: a state-changing API call authenticated by the session cookie needs
    the CSRF token (``X-CSRFToken``) or a same-origin ``Origin`` header.

    A bearer token is proof enough (a browser never adds it by itself); a cookie is not: any
    site can make a browser send it. Answers 403 ``csrf_failed``.
    """
    from flask import request as req
    from flask_login import current_user
    from flask_wtf.csrf import validate_csrf
    from wtforms.validators import ValidationError

    from licensing.web import error_response

    if (not req.path.startswith("/api/") or req.method in SAFE_METHODS
            or carries_header_credentials(req) or not current_user.is_authenticated):
        return None
    origin = req.headers.get("Origin")
    if origin and _same_origin(origin):
        return None
    token = req.headers.get("X-CSRFToken") or req.headers.get("X-CSRF-Token")
    if token:
        try:
            validate_csrf(token)
            return None
        except ValidationError:
            pass
    db.session.rollback()
    return error_response(403, "csrf_failed",
                          "以登录会话调用接口修改数据时，须来自本站页面（Origin）或附带 CSRF 令牌；"
                          "其他系统请使用访问令牌（Authorization: Bearer）。")


def init_app(app: Flask) -> None:
    """Install the header-credentials session handling and the request loader on ``app``."""
    if type(app.session_interface) is SecureCookieSessionInterface:
        app.session_interface = HeaderCredentialsSessions()
    elif not isinstance(app.session_interface, HeaderCredentialsSessions):
        raise RuntimeError("the API needs Flask's cookie sessions to keep tokens and cookies apart")
    login_manager.request_loader(load_user_from_header)
    app.before_request(require_proof_for_cookie_writes)
