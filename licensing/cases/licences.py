"""Licences as legal records: frozen at issue, changed only by a procedure, each a version.

A licence keeps its own copy of every fact it states, taken from the application (the
applicant's data as filed, the item version applied under, the scope applied for) and the
approval department when it is issued. Its certificate and decision are stored as the
documents printed (``LicenceDocument``), so a reprint is the same document. A change (变更),
renewal (延续), reissue (补证), cancellation (注销) or revocation (撤销) adds a
``LicenceVersion`` with the facts as they stand after it; the earlier versions stay.

Like every service, these functions flush and audit, and never commit.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, timedelta

from flask import current_app, has_app_context
from sqlalchemy import select

from licensing.applicants.identity import ApplicantKind, mask_code
from licensing.applicants.services import current_version, get_or_create_applicant
from licensing.audit.services import id_of, record_audit
from licensing.cases.documents import verify_url
from licensing.cases.errors import LicenceNotInForce, RenewalTooLate
from licensing.cases.models import (
    Application,
    CancellationReason,
    Licence,
    LicenceDocument,
    LicenceEvent,
    LicenceRequest,
    LicenceStatus,
    LicenceVersion,
    Purpose,
    ServiceMethod,
    Track,
)
from licensing.clock import local_date, local_today, utcnow
from licensing.errors import ValidationFailed
from licensing.extensions import db
from licensing.pdf import Document, Section, document_from_dict, document_to_dict, render
from licensing.printable import require_printable

DEFAULT_CITY = "定州市"
#: A renewal must be filed this many days before the licence expires (行政许可法 第五十条).
RENEWAL_LEAD_DAYS = 30
#: Holders are reminded this many days before expiry (and again at the last filing day).
REMINDER_DAYS = (90, RENEWAL_LEAD_DAYS + 7)
#: The facts a change of particulars may change, with their labels.
CHANGEABLE = {
    "holder_name": ("持证人名称", 200),
    "legal_representative": ("法定代表人（负责人）", 100),
    "address": ("住所（经营场所）", 300),
    "scope": ("许可内容", 2000),
}
_DECISION_WORD = {LicenceEvent.issued: "准", LicenceEvent.changed: "变",
                  LicenceEvent.renewed: "延", LicenceEvent.reissued: "补",
                  LicenceEvent.cancelled: "注"}


# --- status and names -------------------------------------------------------------------------


def public_status(licence: Licence, today: date | None = None) -> LicenceStatus:
    """The status the register, the API and the public page show, derived in one place.

    ``revoked`` (stored by the revocation procedure), ``cancelled`` (注销 recorded),
    ``expired`` (past ``valid_until`` but not cancelled yet: the expiry sweep cancels it), or
    ``valid``.
    """
    if licence.status == LicenceStatus.revoked:
        return LicenceStatus.revoked
    if licence.cancelled_on is not None:
        return LicenceStatus.cancelled
    if licence.valid_until is not None and licence.valid_until < (today or local_today()):
        return LicenceStatus.expired
    return LicenceStatus.valid


def city_name() -> str:
    """The city whose authorities issue licences (``Settings.city_name``)."""
    if has_app_context():
        settings = current_app.config.get("SETTINGS")
        if settings is not None and getattr(settings, "city_name", None):
            return settings.city_name
    return DEFAULT_CITY


def authority_full_name(department) -> str:
    """The department's full legal name: its own, or the city's name completing the short one.

    ``市行政审批局`` in 定州市 becomes ``定州市行政审批局``; a name that already starts with
    the city's name is kept.
    """
    if department.full_name:
        return department.full_name
    city = city_name()
    name = department.name
    if name.startswith(city):
        return name
    if name.startswith("市") and city.endswith("市"):
        name = name[1:]
    return city + name


def decision_number(licence: Licence, event: LicenceEvent, version: int) -> str:
    """The decision document number (许可决定文书号) of a version of the licence.

    ``XZSPJ许准字〔2026〕第000123号`` for the grant; the later decisions on the same licence
    carry its sequence and the version: ``XZSPJ许变字〔2026〕第000123-2号``. Unique without a
    counter of their own.
    """
    word = _DECISION_WORD[event]
    code = licence.approval_department.code.upper()
    suffix = "" if version == 1 else f"-{version}"
    return f"{code}许{word}字〔{licence.year}〕第{licence.seq:06d}{suffix}号"


def mask_name(name: str, kind: str) -> str:
    """A person's name as the public sees it (张**); an enterprise's name in full."""
    if kind == ApplicantKind.enterprise.value or len(name or "") < 2:
        return name or ""
    return name[0] + "*" * (len(name) - 1)


@dataclasses.dataclass(frozen=True)
class PublicLicence:
    """What the public may see of a licence: its own facts, a person's identity masked."""

    number: str
    holder_name: str
    holder_code: str
    item_name: str
    scope: str
    authority_name: str
    decision_number: str
    issued_on: date
    valid_from: date | None
    valid_until: date | None
    status: LicenceStatus
    ended_on: date | None


def public_view(licence: Licence, today: date | None = None) -> PublicLicence:
    """The licence as the register and its verification page show it."""
    kind = ApplicantKind(licence.holder_kind)
    status = public_status(licence, today)
    ended_on = None
    if status == LicenceStatus.revoked and licence.revoked_dt is not None:
        ended_on = local_date(licence.revoked_dt)
    elif status == LicenceStatus.cancelled:
        ended_on = licence.cancelled_on
    elif status == LicenceStatus.expired:
        ended_on = licence.valid_until
    return PublicLicence(
        number=licence.number, holder_name=mask_name(licence.holder_name, kind.value),
        holder_code=mask_code(kind, licence.holder_code), item_name=licence.item_name,
        scope=licence.scope or licence.item_name, authority_name=licence.authority_name,
        decision_number=licence.decision_number or "", issued_on=licence.issued_on,
        valid_from=licence.valid_from, valid_until=licence.valid_until, status=status,
        ended_on=ended_on)


# --- freezing the facts -----------------------------------------------------------------------


def facts(licence: Licence) -> dict:
    """Every fact the licence states, as plain data (what a version keeps)."""
    return {
        "number": licence.number,
        "holder_kind": licence.holder_kind,
        "holder_name": licence.holder_name,
        "holder_code": licence.holder_code,
        "legal_representative": licence.legal_representative,
        "address": licence.address,
        "item_code": licence.item_code,
        "item_name": licence.item_name,
        "item_version": licence.item_version_number,
        "scope": licence.scope,
        "valid_from": licence.valid_from.isoformat() if licence.valid_from else None,
        "valid_until": licence.valid_until.isoformat() if licence.valid_until else None,
        "decision_number": licence.decision_number,
        "authority_name": licence.authority_name,
        "issued_on": licence.issued_on.isoformat(),
        "track": licence.track.value if licence.track else None,
    }


def _validity_end(start: date, years: int | None) -> date | None:
    if not years:
        return None
    try:
        anniversary = start.replace(year=start.year + years)
    except ValueError:  # 29 February in a year that has none
        anniversary = date(start.year + years, 3, 1)
    return anniversary - timedelta(days=1)


def freeze_at_issue(licence: Licence, application: Application, decided_on: date) -> None:
    """Copy into a new licence every fact it states, from the application as filed."""
    holder = application.applicant_version or current_version(application.applicant)
    applicant = application.applicant
    version = application.item_version
    licence.holder_kind = applicant.kind.value
    licence.holder_name = holder.name
    licence.holder_code = applicant.code
    licence.legal_representative = holder.legal_representative
    licence.address = holder.address
    licence.item_code = version.code
    licence.item_name = version.name
    licence.item_version_number = version.number
    licence.scope = application.licensed_scope or version.name
    licence.valid_from = decided_on
    licence.valid_until = _validity_end(decided_on, version.licence_validity_years)
    licence.authority_name = authority_full_name(application.approval_department)
    licence.track = application.track


def add_version(licence: Licence, event: LicenceEvent, *, effective_on: date,
                application: Application | None = None, reason: str | None = None,
                actor=None, document_number: str | None = None,
                flush: bool = True) -> LicenceVersion:
    """Record the licence's facts as they stand now as its next version; audited.

    ``document_number``: the number of the decision made outside the licence's own
    procedures (a revocation's 撤销行政许可决定书, its withdrawal); otherwise the number is
    made here for the events the licensing procedures decide. ``flush=False``: the caller
    flushes next (the decision, whose documents go in with the version).
    """
    number = 1 if not licence.versions else licence.versions[-1].number + 1
    number_text = document_number or (decision_number(licence, event, number)
                                      if event in _DECISION_WORD else None)
    if event == LicenceEvent.issued:
        licence.decision_number = number_text
    licence.version_number = number
    version = LicenceVersion(
        licence=licence, number=number, event=event, effective_on=effective_on,
        application_id=application.id if application is not None else None,
        decision_number=number_text, reason=reason, facts=facts(licence),
        created_by_id=getattr(actor, "id", None))
    db.session.add(version)
    if flush:
        db.session.flush()
    record_audit(f"licence.{event.value}", object_type="licence", object_id=id_of(licence),
                 actor=actor, changes={"version": number, "decision_number": number_text,
                                       "effective_on": effective_on, "reason": reason})
    return version


def history(licence: Licence) -> list[LicenceVersion]:
    """The licence's versions, oldest first."""
    return list(db.session.scalars(select(LicenceVersion).where(
        LicenceVersion.licence_id == licence.id).order_by(LicenceVersion.number)))


# --- documents --------------------------------------------------------------------------------


def _document_dict(document: Document) -> dict:
    return document_to_dict(document)


def document_from(content: dict) -> Document:
    """Rebuild the printable document stored in a ``LicenceDocument``."""
    return document_from_dict(content)


def store_document(licence: Licence, version: LicenceVersion, kind: str,
                   document: Document) -> LicenceDocument:
    """Store a document as printed; its PDF is rendered from this copy from now on."""
    return store_documents(licence, version, [(kind, document)])[0]


def store_documents(licence: Licence, version: LicenceVersion,
                    documents: list[tuple[str, Document]]) -> list[LicenceDocument]:
    """Store several documents of one version as printed, in one flush; audit each, in order."""
    stored = []
    for kind, document in documents:
        content = _document_dict(document)
        digest = hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True)
                                .encode("utf-8")).hexdigest()
        stored.append(LicenceDocument(licence=licence, version=version, kind=kind,
                                      title=document.title, content=content, sha256=digest))
    db.session.add_all(stored)
    db.session.flush()
    for document in stored:
        record_audit("licence.document_issued", object_type="licence", object_id=licence.id,
                     changes={"document_id": document.id, "kind": document.kind,
                              "sha256": document.sha256})
    return stored


def render_document(stored: LicenceDocument) -> bytes:
    """The PDF of a stored document."""
    return render(document_from(stored.content))


def documents_of(licence: Licence) -> list[LicenceDocument]:
    """Every document issued on the licence, oldest first."""
    return list(db.session.scalars(select(LicenceDocument).where(
        LicenceDocument.licence_id == licence.id).order_by(LicenceDocument.id)))


def latest_document(licence: Licence, kind: str) -> LicenceDocument | None:
    """The latest document of a kind (``certificate``, ``decision``, ``cancellation``)."""
    return db.session.scalar(select(LicenceDocument).where(
        LicenceDocument.licence_id == licence.id, LicenceDocument.kind == kind)
        .order_by(LicenceDocument.id.desc()).limit(1))


def application_document(application: Application, kind: str) -> LicenceDocument | None:
    """The document of a kind that the decision on ``application`` issued, if any."""
    return db.session.scalar(
        select(LicenceDocument).join(LicenceVersion,
                                     LicenceDocument.licence_version_id == LicenceVersion.id)
        .where(LicenceVersion.application_id == application.id, LicenceDocument.kind == kind)
        .order_by(LicenceDocument.id.desc()).limit(1))


def record_service(document: LicenceDocument, method: ServiceMethod | str, served_on: date,
                   served_to: str, *, actor=None) -> LicenceDocument:
    """Record how and when a document was served (送达); once per document, audited."""
    try:
        method = ServiceMethod(method)
    except ValueError:
        raise ValidationFailed("送达方式无效。", code="invalid_service_method") from None
    if document.served_on is not None:
        raise ValidationFailed("该文书已记录送达，不能重复记录。", code="already_served")
    served_to = " ".join((served_to or "").split())
    if not served_to or len(served_to) > 200:
        raise ValidationFailed("请填写受送达人（不超过 200 个字）。", code="served_to_required")
    require_printable(served_to, "受送达人")
    if served_on < document.created_dt.date() - timedelta(days=1) or served_on > local_today():
        raise ValidationFailed("送达日期不能早于文书作出日期，也不能晚于今天。",
                               code="invalid_served_on")
    document.service_method = method
    document.served_on = served_on
    document.served_to = served_to
    document.service_recorded_dt = utcnow()
    document.service_recorded_by_id = getattr(actor, "id", None)
    db.session.flush()
    record_audit("licence.document_served", object_type="licence",
                 object_id=document.licence_id, actor=actor,
                 changes={"document_id": document.id, "kind": document.kind,
                          "method": method, "served_on": served_on})
    return document


# --- lifecycle applications -------------------------------------------------------------------


def clean_changes(changes: dict | None) -> dict:
    """Validate what a change of particulars asks to change; refuse nothing-to-change."""
    cleaned: dict[str, str] = {}
    unknown = sorted(set(changes or {}) - set(CHANGEABLE))
    if unknown:
        raise ValidationFailed(f"不能变更的事项：{'、'.join(unknown)}。", code="invalid_change")
    for field, (label, limit) in CHANGEABLE.items():
        value = " ".join(str((changes or {}).get(field) or "").split())
        if not value:
            continue
        if len(value) > limit:
            raise ValidationFailed(f"{label}不能超过{limit}个字。", code="invalid_change")
        require_printable(value, label)
        cleaned[field] = value
    if not cleaned:
        raise ValidationFailed("请填写要变更的事项。", code="change_required")
    return cleaned


def require_in_force(licence: Licence, today: date | None = None, *,
                     allow_expired: bool = False) -> None:
    """Refuse a procedure on a licence that is no longer in force.

    ``allow_expired``: a renewal filed in time may be decided after the expiry date (the
    expiry sweep leaves a licence with a renewal under way alone).
    """
    status = public_status(licence, today)
    if status == LicenceStatus.expired and allow_expired:
        return
    if status != LicenceStatus.valid:
        raise LicenceNotInForce(f"许可证{licence.number}当前状态为“{status.label}”，"
                                "不能办理此项业务。")


def lock(licence: Licence) -> Licence:
    """Hold the licence's row until the transaction ends, and re-read it (PostgreSQL).

    Two procedures decided at once on one licence then add their versions one after the
    other, each from the facts the other left.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(Licence).where(Licence.id == licence.id)
                           .with_for_update().execution_options(populate_existing=True))
        db.session.expire(licence, ["versions"])
    return licence


def renewal_last_day(licence: Licence) -> date | None:
    """The last day a renewal may be filed: 30 days before the licence expires."""
    if licence.valid_until is None:
        return None
    return licence.valid_until - timedelta(days=RENEWAL_LEAD_DAYS)


def check_request(licence: Licence, purpose: Purpose, today: date | None = None) -> None:
    """Refuse a lifecycle application the licence does not admit (checked on filing)."""
    today = today or local_today()
    require_in_force(licence, today)
    if purpose == Purpose.renewal:
        last_day = renewal_last_day(licence)
        if last_day is None:
            raise RenewalTooLate("该许可证未设有效期，无需办理延续。",
                                 code="renewal_not_applicable")
        if today > last_day:
            raise RenewalTooLate(
                f"延续申请应当在有效期届满 30 日前提出（最迟 {last_day:%Y年%m月%d日}），"
                "现已逾期，请重新申请许可。")


def attach_request(application: Application, licence: Licence, purpose: Purpose,
                   changes: dict | None = None) -> LicenceRequest:
    """Make a new application a change, renewal or reissue of ``licence``; audited."""
    check_request(licence, purpose)
    if application.item_version.item_id != licence.item_version.item_id:
        raise ValidationFailed("申请事项与许可证的事项不一致。", code="item_mismatch")
    cleaned = clean_changes(changes) if purpose == Purpose.change else {}
    application.purpose = purpose
    if "scope" in cleaned:
        application.licensed_scope = cleaned["scope"]
    request = LicenceRequest(application=application, licence=licence, changes=cleaned)
    db.session.add(request)
    db.session.flush()
    record_audit(f"application.{purpose.value}_requested", object_type="application",
                 object_id=application.id,
                 changes={"licence": licence.number, "changes": cleaned})
    return request


def apply_request(application: Application, decided_on: date, actor) -> Licence:
    """Carry out an approved change, renewal or reissue: a new version of the licence."""
    request = application.licence_request
    licence = lock(request.licence)
    require_in_force(licence, decided_on, allow_expired=application.purpose == Purpose.renewal)
    if application.purpose == Purpose.change:
        for field, value in request.changes.items():
            setattr(licence, field, value)
        if "holder_name" in request.changes or "legal_representative" in request.changes \
                or "address" in request.changes:
            applicant = licence.applicant
            get_or_create_applicant(
                applicant.kind, applicant.code,
                request.changes.get("holder_name", applicant.name), actor=actor,
                legal_representative=request.changes.get("legal_representative"),
                address=request.changes.get("address"))
        event = LicenceEvent.changed
    elif application.purpose == Purpose.renewal:
        years = application.item_version.licence_validity_years
        start = licence.valid_until + timedelta(days=1)
        licence.valid_until = _validity_end(start, years)
        event = LicenceEvent.renewed
    else:
        event = LicenceEvent.reissued
    licence.track = application.track
    licence.authority_name = authority_full_name(application.approval_department)
    db.session.flush()
    version = add_version(licence, event, effective_on=decided_on, application=application,
                          actor=actor)
    issue_documents(licence, version, application)
    return licence


def cancel(licence: Licence, reason: CancellationReason | str, *, actor=None,
           note: str = "", effective_on: date | None = None) -> LicenceVersion:
    """Cancel (注销) a licence under 行政许可法 第七十条; a new version and its decision.

    ``expired``: past its validity and not renewed (the expiry sweep); ``dissolved``: the
    holder ended; ``surrender``: the holder asks; ``revoked``: after a revocation.
    """
    try:
        reason = CancellationReason(reason)
    except ValueError:
        raise ValidationFailed("注销原因无效：只能是 surrender、dissolved、expired 或 revoked。",
                               code="invalid_cancellation_reason") from None
    effective_on = effective_on or local_today()
    lock(licence)
    if licence.cancelled_on is not None:
        raise LicenceNotInForce(f"许可证{licence.number}已于{licence.cancelled_on}注销。",
                                code="already_cancelled")
    status = public_status(licence, effective_on)
    if reason == CancellationReason.expired and status != LicenceStatus.expired:
        raise LicenceNotInForce("许可证尚在有效期内，不能以有效期届满为由注销。",
                                code="not_expired")
    if reason == CancellationReason.revoked and status != LicenceStatus.revoked:
        raise LicenceNotInForce("许可证未被撤销，不能以撤销为由注销。", code="not_revoked")
    if reason in (CancellationReason.surrender, CancellationReason.dissolved) and (
            status != LicenceStatus.valid):
        raise LicenceNotInForce(f"许可证{licence.number}当前状态为“{status.label}”，"
                                "不能办理此项业务。")
    note = " ".join((note or "").split())[:500]
    require_printable(note, "注销说明")
    licence.cancelled_on = effective_on
    licence.cancel_reason = reason
    db.session.flush()
    text = reason.label + (f"：{note}" if note else "")
    version = add_version(licence, LicenceEvent.cancelled, effective_on=effective_on,
                          reason=text, actor=actor)
    store_document(licence, version, "cancellation", _cancellation_document(licence, version))
    return version


# --- the documents' wording -------------------------------------------------------------------


def _day(value: date | None) -> str:
    return value.strftime("%Y年%m月%d日") if value else ""


def validity_text(licence: Licence) -> str:
    """有效期 as printed."""
    if licence.valid_until is None:
        return f"自{_day(licence.valid_from)}起长期有效"
    return f"{_day(licence.valid_from)}至{_day(licence.valid_until)}"


def _certificate(licence: Licence, version: LicenceVersion) -> Document:
    kind = ApplicantKind(licence.holder_kind)
    pairs = [
        ("许可证号", licence.number),
        ("持证人", licence.holder_name),
        (kind.code_label, mask_code(kind, licence.holder_code)),
        ("法定代表人（负责人）", licence.legal_representative or "—"),
        ("住所（经营场所）", licence.address or "—"),
        ("许可事项", licence.item_name),
        ("许可内容", licence.scope or licence.item_name),
        ("有效期", validity_text(licence)),
        ("许可决定文书号", licence.decision_number or ""),
        ("发证机关", licence.authority_name),
        ("发证日期", _day(version.effective_on)),
        ("办理方式", licence.track.label if licence.track else ""),
    ]
    notes = []
    if version.event == LicenceEvent.reissued:
        notes.append(f"本证系原证遗失或损毁后补发（第{version.number}版），原证作废。")
    elif version.event == LicenceEvent.changed:
        notes.append(f"本证系变更后换发（第{version.number}版），原证作废。")
    elif version.event == LicenceEvent.renewed:
        notes.append(f"本证系延续后换发（第{version.number}版），原证作废。")
    if licence.track == Track.commitment:
        notes.append("本许可依申请人书面承诺当场作出。监管部门将依法对承诺内容进行核查，"
                     "发现承诺不实或违反承诺的，依法撤销本许可并纳入信用记录。")
    return Document(
        title="行政许可证", subtitle=licence.number,
        sections=[Section(pairs=pairs, paragraphs=notes)],
        qr_url=verify_url(licence),
        qr_caption="扫描二维码核验本许可证的真实性和当前状态。",
        footer=f"{licence.authority_name}（印章）  {_day(version.effective_on)}")


def decision_body(application: Application, licence: Licence, version: LicenceVersion) -> list[str]:
    """The grounds of a grant, in the track's own wording.

    The general track reviewed the materials (经审查，符合法定条件、标准); the commitment
    track did not review what the commitment covers, and says that it rests on the commitment.
    """
    item = application.item_version
    basis = item.legal_basis or "有关法律、法规"
    filed = (local_date(application.submitted_dt) if application.submitted_dt
             else version.effective_on)
    what = {LicenceEvent.issued: "申请", LicenceEvent.changed: "变更申请",
            LicenceEvent.renewed: "延续申请", LicenceEvent.reissued: "补证申请"}[version.event]
    opening = f"你（单位）于{_day(filed)}提出的“{item.name}”{what}"
    if application.track == Track.commitment:
        letter = application.letter
        signed = f"，并于{_day(filed)}签署了告知承诺书" if letter is not None else ""
        grounds = (f"{opening}，已选择告知承诺制办理{signed}，书面承诺符合法定条件、标准，"
                   "所提交材料真实有效，并承诺限期补齐补全所缺材料。本机关已一次性告知许可条件和"
                   "违反承诺的法律后果，依据你（单位）作出的承诺，当场作出本决定；承诺事项未经实质"
                   "审查，由行业监管部门在决定后依法核查。")
    else:
        grounds = f"{opening}，经审查，符合法定条件、标准。"
    decided = {LicenceEvent.issued: "决定准予行政许可",
               LicenceEvent.changed: "决定准予变更行政许可",
               LicenceEvent.renewed: "决定准予延续行政许可有效期",
               LicenceEvent.reissued: "决定补发行政许可证件"}[version.event]
    body = [f"{licence.holder_name}：",
            grounds + f"根据{basis}的规定，{decided}，许可证号：{licence.number}，"
            f"有效期：{validity_text(licence)}。"]
    if version.event == LicenceEvent.changed:
        changed = application.licence_request.changes if application.licence_request else {}
        body.append("变更事项：" + "；".join(
            f"{CHANGEABLE[k][0]}变更为“{v}”" for k, v in changed.items()) + "。")
    return body


def _decision(application: Application, licence: Licence, version: LicenceVersion) -> Document:
    sections = [Section(paragraphs=decision_body(application, licence, version))]
    if application.supplements:
        rows = [("承诺补交材料", "补交期限")] + [
            (s.material.name, s.supplement_deadline.label) for s in application.supplements]
        sections.append(Section(heading="承诺限期补齐补全的材料", rows=rows))
    if application.track == Track.commitment:
        sections.append(Section(paragraphs=[
            f"本许可作出后，{authority_full_name(application.supervisory_department)}将依法对你"
            "（单位）的承诺内容进行现场核查。经核查承诺不实或违反承诺的，将责令限期整改；逾期不"
            "整改或整改后仍不符合条件的，依法撤销行政许可，并纳入信用记录。"]))
    sections.append(Section(paragraphs=[
        "如不服本决定，可以自收到本决定书之日起六十日内依法申请行政复议，"
        "或者在六个月内依法提起行政诉讼。"]))
    title = {LicenceEvent.issued: "准予行政许可决定书",
             LicenceEvent.changed: "准予变更行政许可决定书",
             LicenceEvent.renewed: "准予延续行政许可决定书",
             LicenceEvent.reissued: "补发行政许可证件决定书"}[version.event]
    return Document(title=title, subtitle=version.decision_number,
                    sections=sections,
                    footer=f"{licence.authority_name}（印章）  {_day(version.effective_on)}")


def _cancellation_document(licence: Licence, version: LicenceVersion) -> Document:
    reason = licence.cancel_reason
    return Document(
        title="注销行政许可决定书", subtitle=version.decision_number,
        sections=[Section(paragraphs=[
            f"{licence.holder_name}：",
            f"你（单位）持有的“{licence.item_name}”行政许可（许可证号：{licence.number}，"
            f"许可决定文书号：{licence.decision_number}），因{version.reason}，"
            f"根据《中华人民共和国行政许可法》第七十条{reason.basis}的规定，本机关决定予以注销，"
            f"自{_day(version.effective_on)}起失效。",
        ])],
        footer=f"{licence.authority_name}（印章）  {_day(version.effective_on)}")


def issue_documents(licence: Licence, version: LicenceVersion,
                    application: Application) -> list[LicenceDocument]:
    """Store the certificate and the decision of a grant, change, renewal or reissue."""
    return store_documents(licence, version, [
        ("decision", _decision(application, licence, version)),
        ("certificate", _certificate(licence, version))])
