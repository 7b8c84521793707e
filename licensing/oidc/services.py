"""Signing an applicant in from the identity platform's verified claims."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from licensing.applicants.errors import InvalidIdNumber
from licensing.applicants.identity import mask_id_number, validate_id_number
from licensing.audit.services import record_audit
from licensing.auth.models import OidcIdentity, Role, User
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.oidc.errors import IdentityIncomplete, SignInFailed

#: Never a valid Argon2 hash: an account made by the sign-in has no password to guess.
UNUSABLE_HASH = "!oidc"
MAX_NAME_LENGTH = 100


def verified_person(claims: Mapping[str, Any], id_number_claim: str) -> tuple[str, str, str]:
    """``(subject, name, id_number)`` from verified ID token claims, or ``IdentityIncomplete``."""
    subject = str(claims.get("sub") or "").strip()
    name = " ".join(str(claims.get("name") or "").split())
    if not subject or not name or len(subject) > 255 or len(name) > MAX_NAME_LENGTH:
        raise IdentityIncomplete()
    try:
        id_number = validate_id_number(str(claims.get(id_number_claim) or ""))
    except InvalidIdNumber:
        raise IdentityIncomplete() from None
    return subject, name, id_number


def sign_in(issuer: str, claims: Mapping[str, Any], *, id_number_claim: str) -> User:
    """Return the applicant account of this verified person, creating it at the first sign-in.

    The account is found by the provider's ``(issuer, sub)``; the name and ID number are
    refreshed from the claims (a corrected name at the platform reaches the account). Audited
    with the ID number masked. Flushes, never commits.
    """
    subject, name, id_number = verified_person(claims, id_number_claim)
    identity = db.session.scalar(select(OidcIdentity).where(
        OidcIdentity.issuer == issuer, OidcIdentity.subject == subject))
    now = utcnow()
    if identity is None:
        user = User(username=f"oidc-{secrets.token_hex(8)}", display_name=name,
                    password_hash=UNUSABLE_HASH, role=Role.applicant)
        db.session.add(user)
        db.session.flush()
        identity = OidcIdentity(user_id=user.id, issuer=issuer, subject=subject, name=name,
                                id_number=id_number, first_login_dt=now, last_login_dt=now)
        db.session.add(identity)
        db.session.flush()
        record_audit("user.created", object_type="user", object_id=user.id, actor=user,
                     changes={"username": user.username, "role": Role.applicant,
                              "via": "oidc", "issuer": issuer,
                              "id_number": mask_id_number(id_number)})
    else:
        user = identity.user
        changes = {}
        if identity.name != name:
            changes["name"] = [identity.name, name]
            identity.name = name
            user.display_name = name
        if identity.id_number != id_number:
            changes["id_number"] = [mask_id_number(identity.id_number),
                                    mask_id_number(id_number)]
            identity.id_number = id_number
        identity.last_login_dt = now
        if changes:
            record_audit("user.identity_updated", object_type="user", object_id=user.id,
                         actor=user, changes=changes)
    if not user.active:
        raise SignInFailed("您的账号已停用，请到政务服务窗口咨询。", code="account_disabled")
    record_audit("user.logged_in", object_type="user", object_id=user.id, actor=user,
                 changes={"via": "oidc"})
    db.session.flush()
    return user


def record_failure(code: str, detail: str | None = None) -> None:
    """Audit a sign-in that did not complete (the caller commits it alone)."""
    record_audit("user.oidc_failed", object_type="oidc", object_id="-", actor=None,
                 changes={"code": code, "detail": (detail or "")[:200]})


def identity_of(user) -> OidcIdentity | None:
    """The verified identity behind an applicant account, if it signed in that way."""
    return db.session.scalar(select(OidcIdentity).where(OidcIdentity.user_id == user.id))
