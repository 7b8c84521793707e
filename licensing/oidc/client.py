"""The OpenID Connect client of the province's unified identity platform, through Authlib.

One Authlib registry per application, built from the settings: the authorization code flow
with PKCE (S256); Authlib keeps the state, the nonce and the code verifier in the session and
verifies the ID token (signature by the provider's JWKS, ``iss``, ``aud``, ``exp``, ``nonce``).
"""

from __future__ import annotations

from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from licensing.oidc.errors import SignInDisabled

PROVIDER = "province"
_EXTENSION = "licensing_oidc"


def init_app(app: Flask) -> None:
    """Register the provider when the settings enable the sign-in."""
    settings = app.config["SETTINGS"]
    if not settings.oidc_enabled:
        return
    oauth = OAuth(app)
    oauth.register(
        PROVIDER,
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_discovery_url,
        client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256",
                       "default_timeout": settings.oidc_timeout_s},
    )
    app.extensions[_EXTENSION] = oauth


def enabled() -> bool:
    """Tell whether the applicants may sign in through the identity platform."""
    return _EXTENSION in current_app.extensions


def provider():
    """The Authlib client of the identity platform, or ``SignInDisabled``."""
    oauth = current_app.extensions.get(_EXTENSION)
    if oauth is None:
        raise SignInDisabled()
    return oauth.create_client(PROVIDER)
