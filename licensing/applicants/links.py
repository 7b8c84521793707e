"""Linking online applicant accounts to the companies they act for.

Two proofs, nothing else (issue 17, docs/decisions/0021-oidc-applicant-sign-in.md):

* the signed-in person is the company's legal representative, as the province's identity
  platform asserts from the enterprise register (the account links itself);
* a clerk at the counter saw a written authorisation (授权委托书) of the company and the
  person's ID card, and records what was checked.

Every link and every revocation is audited; a revoked link is kept. ``Applicant.user_id`` is
the active link: the cases, supplements and notifications of the applicant follow it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select

from licensing.applicants.errors import AlreadyLinked, LinkNotFound, LinkRefused
from licensing.applicants.identity import (
    ApplicantKind,
    mask_id_number,
    normalise_code,
    validate_credit_code,
    validate_id_number,
)
from licensing.applicants.models import Applicant, ApplicantLink, LinkBasis
from licensing.applicants.services import get_or_create_applicant
from licensing.audit.services import record_audit
from licensing.auth.models import OidcIdentity, Role, User
from licensing.clock import utcnow
from licensing.extensions import db

MAX_EVIDENCE_LENGTH = 500


def _activate(applicant: Applicant, user: User, basis: LinkBasis, evidence: str,
              actor: User) -> ApplicantLink:
    if user.role != Role.applicant:
        raise LinkRefused("只能关联申请人账号。", code="invalid_applicant_user")
    current = db.session.scalar(select(ApplicantLink).where(
        ApplicantLink.applicant_id == applicant.id, ApplicantLink.revoked_dt.is_(None)))
    if applicant.user_id is not None and applicant.user_id != user.id:
        raise AlreadyLinked()
    if current is not None and current.user_id == user.id:
        return current
    link = ApplicantLink(applicant_id=applicant.id, user_id=user.id, basis=basis,
                         evidence=evidence, created_by_id=actor.id, created_dt=utcnow())
    db.session.add(link)
    applicant.user_id = user.id
    db.session.flush()
    record_audit("applicant.link_created", object_type="applicant", object_id=applicant.id,
                 actor=actor, changes={"link_id": link.id, "user_id": user.id,
                                       "basis": basis, "evidence": evidence})
    return link


def represented_codes(asserted: Iterable[Mapping[str, str]]) -> dict[str, str]:
    """``{credit code: name}`` of the companies the platform says the person represents."""
    found = {}
    for entry in asserted:
        code = normalise_code(entry.get("code"))
        if code:
            found[code] = " ".join(str(entry.get("name") or "").split())
    return found


def link_as_legal_representative(user: User, code: str,
                                 asserted: Iterable[Mapping[str, str]]) -> ApplicantLink:
    """Link the signed-in legal representative's account to their company.

    ``asserted`` is what the identity platform asserted at this sign-in; a company it does not
    name is refused (``not_legal_representative``): the name typed in a local record is no
    proof. An unknown company is registered with the platform's name for it.
    """
    identity = db.session.scalar(select(OidcIdentity).where(OidcIdentity.user_id == user.id))
    if identity is None:
        raise LinkRefused("请先通过统一身份认证平台登录，再关联企业。", code="not_verified")
    code = validate_credit_code(code)
    companies = represented_codes(asserted)
    if code not in companies:
        raise LinkRefused("统一身份认证平台未确认您是该企业的法定代表人。请携带企业的授权委托书和"
                          "本人身份证到政务服务窗口办理关联。", code="not_legal_representative")
    applicant = db.session.scalar(select(Applicant).where(
        Applicant.kind == ApplicantKind.enterprise, Applicant.code == code))
    if applicant is None:
        applicant = get_or_create_applicant(ApplicantKind.enterprise, code,
                                            companies[code] or code, actor=user,
                                            legal_representative=identity.name)
    return _activate(applicant, user, LinkBasis.legal_representative,
                     f"统一身份认证平台确认{identity.name}为法定代表人", user)


def link_by_authorisation(clerk: User, id_number: str, code: str, company_name: str,
                          evidence: str) -> ApplicantLink:
    """Link the account of the person with this ID number, on the clerk's check.

    The person must have signed in through the identity platform once (their verified ID
    number finds the account); ``evidence`` says what the clerk saw (the authorisation, its
    date and signatory, the ID card checked).
    """
    evidence = " ".join((evidence or "").split())
    if not evidence:
        raise LinkRefused("请填写核验的授权材料（如授权委托书的日期、委托人）。",
                          code="evidence_required")
    if len(evidence) > MAX_EVIDENCE_LENGTH:
        raise LinkRefused(f"核验材料说明不能超过{MAX_EVIDENCE_LENGTH}个字。",
                          code="evidence_required")
    id_number = validate_id_number(id_number)
    identity = db.session.scalar(select(OidcIdentity).where(
        OidcIdentity.id_number == id_number).order_by(OidcIdentity.last_login_dt.desc()))
    if identity is None:
        raise LinkRefused("未找到该身份证号码的网上账号：请申请人先通过统一身份认证平台登录一次。",
                          code="account_not_found")
    applicant = get_or_create_applicant(ApplicantKind.enterprise, code, company_name,
                                        actor=clerk)
    link = _activate(applicant, identity.user, LinkBasis.authorisation, evidence, clerk)
    record_audit("applicant.link_checked", object_type="applicant", object_id=applicant.id,
                 actor=clerk, changes={"link_id": link.id,
                                       "id_number": mask_id_number(id_number)})
    return link


def revoke_link(link_id: int, actor: User, reason: str) -> ApplicantLink:
    """End a link with a reason; the account no longer sees or files the company's cases."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise LinkRefused("请填写撤销关联的理由。", code="reason_required")
    if len(reason) > MAX_EVIDENCE_LENGTH:
        raise LinkRefused(f"理由不能超过{MAX_EVIDENCE_LENGTH}个字。", code="reason_required")
    link = db.session.get(ApplicantLink, link_id)
    if link is None or not link.active:
        raise LinkNotFound()
    link.revoked_dt = utcnow()
    link.revoked_by_id = actor.id
    link.revoke_reason = reason
    applicant = link.applicant
    if applicant.user_id == link.user_id:
        applicant.user_id = None
    db.session.flush()
    record_audit("applicant.link_revoked", object_type="applicant", object_id=applicant.id,
                 actor=actor, changes={"link_id": link.id, "user_id": link.user_id,
                                       "reason": reason})
    return link


def links_of_user(user: User) -> list[ApplicantLink]:
    """Every link of an account, active first, newest first."""
    return list(db.session.scalars(select(ApplicantLink).where(
        ApplicantLink.user_id == user.id).order_by(ApplicantLink.revoked_dt.is_not(None),
                                                    ApplicantLink.id.desc())))


def active_links(limit: int = 100) -> list[ApplicantLink]:
    """The active links, newest first (the counter's list)."""
    return list(db.session.scalars(select(ApplicantLink).where(
        ApplicantLink.revoked_dt.is_(None)).order_by(ApplicantLink.id.desc()).limit(limit)))
