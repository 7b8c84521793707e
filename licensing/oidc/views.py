"""The applicants' sign-in through the province's unified identity platform (OpenID Connect).

``/login/oidc`` sends the browser to the platform (authorization code flow with PKCE, state
and nonce); ``/login/oidc/callback`` takes the code back, has Authlib exchange it and verify
the ID token, and logs the verified person in to their applicant account. Every failure is
audited and answered with a Chinese page; nothing the person saved before is touched.
"""

from __future__ import annotations

import logging

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user
from joserfc.errors import JoseError

from licensing.auth.access import public
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.oidc import client, services
from licensing.oidc.errors import (
    BadState,
    InvalidIdToken,
    ProviderUnavailable,
    SignInDenied,
    SignInFailed,
)

bp = Blueprint("oidc", __name__)
log = logging.getLogger(__name__)


def _failed(error: SignInFailed, detail: str | None = None):
    """Audit the failure on its own and answer with the Chinese page."""
    db.session.rollback()
    services.record_failure(error.code, detail)
    db.session.commit()
    log.info("oidc sign-in failed: %s %s", error.code, detail or "")
    return render_template("oidc/failed.html", error=error), error.http_status


@bp.route("/login/oidc")
@public
def start():
    """Send the browser to the identity platform."""
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    try:
        provider = client.provider()
        return provider.authorize_redirect(url_for("oidc.callback", _external=True))
    except SignInFailed as exc:
        return _failed(exc)
    except (requests.RequestException, ValueError, RuntimeError) as exc:
        return _failed(ProviderUnavailable(), type(exc).__name__)


@bp.route("/login/oidc/callback")
@public
def callback():
    """Take the platform's answer back and log the verified person in."""
    try:
        provider = client.provider()
        if request.args.get("error") == "access_denied":
            raise SignInDenied()
        token = provider.authorize_access_token()
        claims = token.get("userinfo")
        if not claims:
            raise InvalidIdToken()
        settings = current_app.config["SETTINGS"]
        user = services.sign_in(provider.load_server_metadata()["issuer"], claims,
                                id_number_claim=settings.oidc_id_number_claim)
    except SignInFailed as exc:
        return _failed(exc)
    except MismatchingStateError:
        return _failed(BadState())
    except OAuthError as exc:
        error = BadState() if exc.error in (None, "", "missing_state") else SignInFailed()
        return _failed(error, f"{exc.error}: {exc.description or ''}")
    except requests.RequestException as exc:
        return _failed(ProviderUnavailable(), type(exc).__name__)
    except JoseError as exc:
        return _failed(InvalidIdToken(), f"{type(exc).__name__}: {exc}")
    represents = list(claims.get(current_app.config["SETTINGS"].oidc_represents_claim) or [])
    db.session.commit()
    session.clear()  # a new session at login: nothing from before survives
    login_user(user)
    now = utcnow().timestamp()
    session["login_ts"] = now
    session["seen_ts"] = now
    session["oidc_represents"] = [
        {"code": str(entry.get("code", "")), "name": str(entry.get("name", ""))}
        for entry in represents if isinstance(entry, dict)][:20]
    session.permanent = True
    return redirect(url_for("applicants.my_companies"))
