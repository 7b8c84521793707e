"""Application-wide request handling: transactions, sessions, security headers, errors."""

from __future__ import annotations

import logging
from datetime import datetime

from flask import (
    Flask,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import RateLimitExceeded
from flask_login import current_user, logout_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from licensing.auth.access import AuthenticationRequired, enforce_access
from licensing.clock import utcnow
from licensing.errors import DomainError
from licensing.extensions import db, login_manager

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'"
)

ERROR_MESSAGES = {
    400: "请求有误。",
    401: "请先登录。",
    403: "您无权访问此页面。",
    404: "页面不存在，或您无权查看。",
    405: "不支持该请求方式。",
    409: "该记录已被他人修改，请刷新后重试。",
    413: "上传的文件过大。",
    422: "输入有误，请检查后重试。",
    429: "请求过于频繁，请稍后再试。",
    503: "系统暂时不可用，请稍后再试。",
    500: "系统内部错误，请稍后再试。已记录该问题。",
}
ERROR_CODES = {
    400: "bad_request", 401: "authentication_required", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 413: "payload_too_large",
    422: "validation_failed", 429: "too_many_requests", 500: "internal_error",
    503: "service_unavailable",
}


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()


def wants_json() -> bool:
    """Tell whether the request should be answered in JSON (the API)."""
    return request.path.startswith("/api/")


def error_response(status: int, code: str | None = None, message: str | None = None, *,
                   plain: bool = False, **extra):
    """Answer an error as JSON for the API, as a Chinese page otherwise.

    ``plain`` pages need nothing from the database (no user, no navigation): for when the
    database is what failed.
    """
    message = message or ERROR_MESSAGES.get(status, ERROR_MESSAGES[500])
    code = code or ERROR_CODES.get(status, "error")
    if wants_json():
        body = {"error": {"code": code, "message": message, **extra}}
        return jsonify(body), status
    if plain:
        # Rendered without the context processors: they would load the user from the database.
        template = current_app.jinja_env.get_template("error_plain.html")
        return template.render(status=status, message=message, request=request,
                               url_for=url_for), status
    return render_template("error.html", status=status, message=message), status


def init_app(app: Flask) -> None:
    """Install the hooks on the application."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str):
        from licensing.auth.services import load_session_user

        return load_session_user(session_id)

    @app.before_request
    def _refuse_nul_bytes():
        # No identifier, code or search term of ours contains a NUL byte; PostgreSQL refuses
        # them in text, so they would otherwise turn a bad URL into a server error.
        if "\x00" in request.path:
            return error_response(404)
        if any("\x00" in v for v in request.args.values()):
            if wants_json():
                return error_response(422, "validation_failed", "查询参数包含非法字符。")
            return error_response(400, "bad_request", "查询参数包含非法字符。")
        return None

    @app.before_request
    def _fresh_user():
        # Flask-Login caches the user in ``g``, which lives as long as the app context. When
        # an app context outlives one request (tests, a server embedded in a command), the
        # next request must still load its own user from its own cookie.
        g.pop("_login_user", None)

    @app.before_request
    def _session_timeouts():
        if not current_user.is_authenticated:
            return None
        settings = app.config["SETTINGS"]
        now = utcnow().timestamp()
        started = session.get("login_ts", now)
        seen = session.get("seen_ts", now)
        if (now - seen > settings.session_idle_minutes * 60
                or now - started > settings.session_absolute_hours * 3600):
            logout_user()
            session.clear()
            if wants_json():
                return error_response(401, "session_expired", "会话已过期，请重新登录。")
            flash("会话已过期，请重新登录。", "warning")
            return redirect(url_for("auth.login", next=request.path))
        session["seen_ts"] = now
        return None

    app.before_request(enforce_access)

    @app.after_request
    def _commit_and_headers(response):
        if response.status_code < 400 and not g.get("_no_commit"):
            db.session.commit()
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CSP)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config["SETTINGS"].is_production:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if request.endpoint != "static":
            # Pages, API answers and files (evidence, supplements, PDFs) may carry personal
            # data, and counter PCs are shared: never keep them in a cache. Set, not defaulted:
            # send_file would otherwise leave its own "no-cache".
            headers["Cache-Control"] = "no-store"
            headers.pop("Expires", None)
        return response

    @app.teardown_request
    def _rollback(exc):
        if exc is not None:
            db.session.rollback()

    @app.errorhandler(AuthenticationRequired)
    def _login_required(exc):
        if wants_json():
            return error_response(401)
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))

    @app.errorhandler(DomainError)
    def _domain_error(exc: DomainError):
        db.session.rollback()
        return error_response(exc.http_status, exc.code, exc.message)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc):
        db.session.rollback()
        return error_response(400, "csrf_failed", "表单已失效，请刷新页面后重新提交。")

    @app.errorhandler(OperationalError)
    @app.errorhandler(InterfaceError)
    def _database_unavailable(exc):
        # The database restarted or the network dropped: nothing of this request was
        # committed, and the pool reconnects by itself (pre-ping) on the next request.
        try:
            db.session.rollback()
        except (OperationalError, InterfaceError):
            db.session.remove()
        log.warning("database unavailable on %s %s: %s", request.method, request.path,
                    type(exc).__name__)
        return error_response(503, "database_unavailable",
                              "系统暂时无法连接数据库，本次操作未保存，请稍后重试。", plain=True)

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded):
        db.session.rollback()
        return error_response(429, "too_many_requests", exc.description or ERROR_MESSAGES[429])

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        original = getattr(exc, "original_exception", None)
        if isinstance(original, OperationalError | InterfaceError):
            # raised while committing after the view (the request wrapper's commit)
            return _database_unavailable(original)
        db.session.rollback()
        response = current_app.make_response(error_response(exc.code or 500))
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            response.headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500)

    @app.context_processor
    def _template_globals():
        from licensing.auth.navigation import nav_for

        def navigation():
            if current_user.is_authenticated:
                return nav_for(current_user)
            return []

        return {"now_local": _now_local, "navigation": navigation}


def _now_local() -> datetime:
    from licensing.clock import local_now

    return local_now()
