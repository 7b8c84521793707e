"""Throttling of password guessing: per client address, and per address and username.

The login page and ``POST /api/v1/tokens`` (HTTP Basic) carry ``@login_throttle`` and draw on
the same counters. Only failed attempts count (``note_login_failure``), so a busy counter
behind one address is never slowed by its own successful logins. Each limit has growing
windows (a minute, an hour, a day), and an address that breaches them repeatedly is refused
for the rest of a longer window: the delay grows from a minute to an hour to a day. The account
itself is never locked, so the right password from an address that has not been failing still
gets in. See docs/decisions/0017-login-throttling.md.

The check runs in a ``before_request`` hook ahead of every other hook: the token endpoint
authenticates in a hook (Flask-Login's request loader), so a limit checked in the view, as
Flask-Limiter's decorators do, would come after the password was already tried. The counters
are Flask-Limiter's (its rate-limiting strategy over the storage ``RATELIMIT_STORAGE_URI``
names: Redis in production, shared by every worker; memory in the embedded single-process mode
and in tests); the limits are settings (``Settings.login_limits_*``).
"""

from __future__ import annotations

import logging
import math
import time

from flask import Flask, current_app, request
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many

from licensing.extensions import limiter

log = logging.getLogger(__name__)

#: Marks a view whose POST is a login attempt.
THROTTLED_ATTR = "_login_throttled"
#: Where a failed attempt is noted for the throttle (per request: ``g`` may outlive one).
_FAILED_KEY = "licensing.login_failed"
SCOPE_ADDRESS = "login-address"
SCOPE_ACCOUNT = "login-account"
SCOPE_BREACH = "login-breach"
MESSAGE = "登录失败次数过多，请稍后再试。"


def login_throttle(view):
    """Mark ``view``: its POST requests are login attempts, throttled on failure."""
    setattr(view, THROTTLED_ATTR, True)
    return view


def note_login_failure() -> None:
    """Count this request as a failed login attempt."""
    request.environ[_FAILED_KEY] = True


def attempted_username() -> str:
    """The username this request tries to log in as (form field or HTTP Basic)."""
    credentials = request.authorization
    if credentials is not None and credentials.type == "basic":
        name = credentials.username or ""
    else:
        name = request.form.get("username", "")
    return name.strip()[:64]


def _items(setting: str) -> list[RateLimitItem]:
    return parse_many(getattr(current_app.config["SETTINGS"], setting))


def _counters(address: str, username: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
    return ([(item, (SCOPE_ADDRESS, address)) for item in _items("login_limits_per_address")]
            + [(item, (SCOPE_ACCOUNT, address, username))
               for item in _items("login_limits_per_account")])


def _breaches(address: str) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
    return [(item, (SCOPE_BREACH, address)) for item in _items("login_breach_limits")]


def _is_login_attempt() -> bool:
    if request.method != "POST" or not limiter.enabled:
        return False
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, THROTTLED_ATTR, False))


def _refused(item: RateLimitItem, identifiers: tuple[str, ...]):
    from licensing.web import error_response

    reset = limiter.limiter.get_window_stats(item, *identifiers).reset_time
    response, status = error_response(429, "too_many_requests", MESSAGE)
    response = current_app.make_response((response, status))
    response.headers["Retry-After"] = str(max(1, math.ceil(reset - time.time())))
    return response


def check_login_attempt():
    """``before_request``: refuse (429) a login attempt from an address over its limits."""
    if not _is_login_attempt():
        return None
    address, username = get_remote_address(), attempted_username()
    try:
        strategy = limiter.limiter
        for item, identifiers in _breaches(address):
            if not strategy.test(item, *identifiers):
                return _refused(item, identifiers)
        for item, identifiers in _counters(address, username):
            if not strategy.test(item, *identifiers):
                for breach, breach_ids in _breaches(address):
                    strategy.hit(breach, *breach_ids)
                return _refused(item, identifiers)
    except Exception:
        log.exception("login throttle storage unavailable; attempt not throttled")
    return None


def count_failed_attempt(response):
    """``after_request``: count a failed login attempt against its address and username."""
    if request.environ.get(_FAILED_KEY):
        address, username = get_remote_address(), attempted_username()
        try:
            for item, identifiers in _counters(address, username):
                limiter.limiter.hit(item, *identifiers)
        except Exception:
            log.exception("login throttle storage unavailable; failure not counted")
    return response


def release(username: str, address: str) -> None:
    """Forget the failures counted for ``username`` and everything from ``address``."""
    strategy = limiter.limiter
    for item, identifiers in _counters(address, username) + _breaches(address):
        strategy.clear(item, *identifiers)


def init_app(app: Flask) -> None:
    """Bind the limiter's storage and install the throttle's hooks on ``app``."""
    settings = app.config["SETTINGS"]
    app.config.setdefault("RATELIMIT_STORAGE_URI", settings.ratelimit_storage_uri)
    app.config.setdefault("RATELIMIT_ENABLED", settings.ratelimit_enabled)
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    # Redis down: decorated limits go on in each process's memory rather than answer 500.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    app.before_request(check_login_attempt)
    app.after_request(count_failed_attempt)
