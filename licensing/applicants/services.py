"""Applicants: find or register them by their identity code."""

from __future__ import annotations

from sqlalchemy import select

from licensing.applicants.errors import InvalidApplicant
from licensing.applicants.identity import (
    ApplicantKind,
    mask_code,
    mask_phone,
    normalise_code,
    validate_code,
    validate_phone,
)
from licensing.applicants.models import Applicant, ApplicantLink, ApplicantVersion, LinkBasis
from licensing.audit.services import record_audit
from licensing.auth.models import Role
from licensing.clock import utcnow
from licensing.extensions import db, text_insert, with_defaults
from licensing.printable import require_printable

MAX_NAME_LENGTH = 200
MAX_REPRESENTATIVE_LENGTH = 100
MAX_ADDRESS_LENGTH = 300


def _kind(kind: ApplicantKind | str) -> ApplicantKind:
    try:
        return ApplicantKind(kind)
    except ValueError:
        raise InvalidApplicant("申请人类型无效：只能是法人和其他组织或自然人。") from None


def _clean_name(name: str | None) -> str:
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise InvalidApplicant("请填写申请人名称或姓名。", code="invalid_applicant_name")
    if len(cleaned) > MAX_NAME_LENGTH:
        raise InvalidApplicant(f"申请人名称不能超过{MAX_NAME_LENGTH}个字。",
                               code="invalid_applicant_name")
    require_printable(cleaned, "申请人名称")
    return cleaned


def _clean_optional(value: str | None, label: str, limit: int, code: str) -> str | None:
    cleaned = " ".join((value or "").split())
    if not cleaned:
        return None
    if len(cleaned) > limit:
        raise InvalidApplicant(f"{label}不能超过{limit}个字。", code=code)
    require_printable(cleaned, label)
    return cleaned


def _snapshot(applicant: Applicant, actor) -> ApplicantVersion:
    """Store the applicant's stated data as its version ``applicant.version_number``."""
    version = ApplicantVersion(
        applicant_id=applicant.id, number=applicant.version_number, name=applicant.name,
        phone=applicant.phone, legal_representative=applicant.legal_representative,
        address=applicant.address, created_by_id=getattr(actor, "id", None))
    # Inserted with the next flush (the application that refers to it, usually): nothing here
    # needs its id, and a flush of its own costs the unit of work once more per request.
    db.session.add(version)
    db.session.info.setdefault(_VERSIONS_WRITTEN, {})[(applicant.id, version.number)] = version
    return version


#: session.info: the versions this transaction wrote, by (applicant id, number). A version
#: is never changed, so the one just written is the one a query would find.
_VERSIONS_WRITTEN = "applicant_versions_written"


def current_version(applicant: Applicant) -> ApplicantVersion:
    """The applicant's latest version (created on the spot for rows older than versions)."""
    written = db.session.info.get(_VERSIONS_WRITTEN, {})
    version = written.get((applicant.id, applicant.version_number))
    if version is not None and version in db.session:
        return version
    version = db.session.scalar(select(ApplicantVersion).where(
        ApplicantVersion.applicant_id == applicant.id,
        ApplicantVersion.number == applicant.version_number))
    return version if version is not None else _snapshot(applicant, None)


def applicant_history(applicant: Applicant) -> list[ApplicantVersion]:
    """Every version of the applicant's data, oldest first."""
    return list(db.session.scalars(select(ApplicantVersion).where(
        ApplicantVersion.applicant_id == applicant.id).order_by(ApplicantVersion.number)))


def find_applicant(kind: ApplicantKind | str, code: str) -> Applicant | None:
    """Return the applicant of this kind and (normalised) code, or ``None``."""
    return db.session.scalar(
        select(Applicant).where(Applicant.kind == _kind(kind),
                                Applicant.code == normalise_code(code))
    )


#: A new applicant, or nothing when its code is taken (compiled once: ``text_insert``).
_INSERT_NEW = select(Applicant).from_statement(text_insert(
    Applicant.__table__,
    ("kind", "code", "name", "phone", "legal_representative", "address", "version_number"),
    tail="ON CONFLICT (kind, code) DO NOTHING"))


def get_or_create_applicant(
    kind: ApplicantKind | str,
    code: str,
    name: str,
    phone: str | None = None,
    *,
    actor=None,
    legal_representative: str | None = None,
    address: str | None = None,
) -> Applicant:
    """Return the applicant with this identity code, registering it on first sight.

    The code is validated (GB 32100 for enterprises, GB 11643 for persons) and stored
    normalised; a bad code raises ``InvalidCreditCode`` or ``InvalidIdNumber``. A known
    applicant's name and phone are updated when they differ (an empty ``phone`` leaves the
    stored one alone). Creation and changes are audited with the ID and phone numbers masked.
    Safe under concurrent first submissions of the same code: the loser of the unique-key race
    (``INSERT ... ON CONFLICT DO NOTHING``) reads the winner's row. Flushes, never commits.
    """
    kind = _kind(kind)
    code = validate_code(kind, code)
    name = _clean_name(name)
    phone = validate_phone(phone) if phone and phone.strip() else None
    legal_representative = _clean_optional(legal_representative, "法定代表人（负责人）",
                                           MAX_REPRESENTATIVE_LENGTH,
                                           "invalid_legal_representative")
    address = _clean_optional(address, "住所（经营场所）", MAX_ADDRESS_LENGTH, "invalid_address")

    applicant = find_applicant(kind, code)
    if applicant is None:
        # One statement: the row comes back when it is new; a concurrent first submission of
        # the same code that won the race leaves nothing to return (ON CONFLICT DO NOTHING
        # waits for its commit), and its row is read instead.
        candidate = db.session.scalar(_INSERT_NEW, with_defaults(Applicant.__table__, {
            "kind": kind, "code": code, "name": name, "phone": phone,
            "legal_representative": legal_representative, "address": address,
            "version_number": 1}))
        if candidate is None:
            applicant = find_applicant(kind, code)
            if applicant is None:  # pragma: no cover - applicants are never deleted
                raise RuntimeError(f"applicant {kind.value} conflicted but cannot be read")
        else:
            _snapshot(candidate, actor)
            record_audit("applicant.created", object_type="applicant", object_id=candidate.id,
                         actor=actor,
                         changes={"kind": kind, "code": mask_code(kind, code), "name": name,
                                  "phone": mask_phone(phone) if phone else None})
            return candidate

    changes = {}
    if applicant.name != name:
        changes["name"] = [applicant.name, name]
        applicant.name = name
    if phone is not None and applicant.phone != phone:
        changes["phone"] = [mask_phone(applicant.phone) if applicant.phone else None,
                            mask_phone(phone)]
        applicant.phone = phone
    for field, value in (("legal_representative", legal_representative), ("address", address)):
        if value is not None and getattr(applicant, field) != value:
            changes[field] = [getattr(applicant, field), value]
            setattr(applicant, field, value)
    if changes:
        current_version(applicant)  # rows older than versions get theirs before the change
        applicant.version_number += 1
        db.session.flush()
        changes["version"] = applicant.version_number
        _snapshot(applicant, actor)
        record_audit("applicant.updated", object_type="applicant", object_id=applicant.id,
                     actor=actor, changes=changes)
    return applicant


def link_user(applicant: Applicant, user, *, actor=None,
              evidence: str = "由系统管理员关联") -> Applicant:
    """Let an online account (role ``applicant``) act for this applicant; audited.

    The administrative path (the demo data, the command line): the previous link, if any, is
    revoked, and the new one is recorded as an authorisation with ``evidence``. People link
    through ``licensing.applicants.links``, which asks for proof.
    """
    if user.role != Role.applicant:
        raise InvalidApplicant("只能关联申请人账号。", code="invalid_applicant_user")
    if applicant.user_id != user.id:
        previous = applicant.user_id
        now = utcnow()
        for link in db.session.scalars(select(ApplicantLink).where(
                ApplicantLink.applicant_id == applicant.id,
                ApplicantLink.revoked_dt.is_(None))):
            link.revoked_dt = now
            link.revoked_by_id = getattr(actor, "id", None)
            link.revoke_reason = "关联到其他账号"
        db.session.add(ApplicantLink(applicant_id=applicant.id, user_id=user.id,
                                     basis=LinkBasis.authorisation, evidence=evidence,
                                     created_by_id=getattr(actor, "id", None), created_dt=now))
        applicant.user_id = user.id
        db.session.flush()
        record_audit("applicant.user_linked", object_type="applicant", object_id=applicant.id,
                     actor=actor, changes={"user_id": [previous, user.id]})
    return applicant


def applicants_of_user(user) -> list[Applicant]:
    """Return the applicants an online account acts for."""
    return list(db.session.scalars(
        select(Applicant).where(Applicant.user_id == user.id).order_by(Applicant.id)))
