"""Who is acting: the one helper every domain's services use to name the actor."""

from __future__ import annotations

from flask import has_request_context
from flask_login import current_user

from licensing.auth.models import User


def acting_user(actor: User | None = None) -> User | None:
    """Return ``actor``, else the logged-in user of the request, else ``None`` (the system)."""
    if actor is not None:
        return actor
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


__all__ = ["acting_user"]
