"""The case journey: intake, notice, track, credit gate, commitments, letter, decision.

Every function here is a step of the journey as the policy describes it. They change state,
flush, audit, and never commit: the caller (a view, the API, a command) owns the transaction.
The counter, the online channel and the API all call these same functions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from licensing.applicants.identity import mask_id_number, validate_id_number
from licensing.applicants.models import Applicant
from licensing.applicants.services import current_version
from licensing.audit.services import id_of, record_audit
from licensing.auth.models import Role
from licensing.calendar.deadlines import DeadlineRule
from licensing.calendar.services import compute_deadline, get_calendar
from licensing.cases import documents, licences
from licensing.cases.errors import (
    AlreadyDecided,
    CreditIneligible,
    InvalidCommitment,
    ItemNotAvailable,
    LetterChanged,
    NoticeNotGiven,
    TrackNotOffered,
)
from licensing.cases.jobs import NOTIFY_AWAITING_DECISION, NOTIFY_RECHECK_BARRED
from licensing.cases.models import (
    DECIDABLE,
    WITHDRAWABLE,
    Application,
    ApplicationMaterial,
    ApplicationStatus,
    CaseDocument,
    CaseDocumentKind,
    Channel,
    ClockPause,
    CommitmentLetter,
    Decision,
    IneligibilityNotice,
    Licence,
    LicenceCounter,
    LicenceEvent,
    MaterialHandling,
    PauseReason,
    Purpose,
    SignerCapacity,
    SigningMethod,
    Track,
    format_case_number,
)
from licensing.cases.signals import commitment_licence_issued, licence_credit_barred
from licensing.catalogue.models import ItemVersion, VerificationRule
from licensing.catalogue.services import current_version as item_version_in_force
from licensing.catalogue.services import render_letter, version_in_force, with_materials
from licensing.clock import local_date, local_today, utcnow
from licensing.credit.services import check_eligibility, record_commitment_event, repair_guidance
from licensing.credit.signals import recheck_found_barred
from licensing.errors import DomainError, InvalidTransition, ValidationFailed
from licensing.event_dates import check_event_date
from licensing.extensions import conflict_insert, db
from licensing.issued.models import IssuedDocument
from licensing.issued.services import issue as issue_document
from licensing.notifications.services import notify_department, recipients
from licensing.printable import require_printable
from licensing.uploads import StoredUpload

#: 行政许可法 第三十二条: what is missing is told at once, within five days of receipt.
CORRECTION_NOTICE_WORKING_DAYS = 5

VERIFICATION_RULES = {
    VerificationRule.standard: DeadlineRule.standard_60,
    VerificationRule.public_interest: DeadlineRule.public_interest_7,
    VerificationRule.item_specific: DeadlineRule.item_specific,
}


def _audit(application: Application, action: str, **changes) -> None:
    record_audit(f"application.{action}", object_type="application", object_id=application.id,
                 changes=changes)


def _require_status(application: Application, *allowed: ApplicationStatus) -> None:
    if application.status not in allowed:
        raise InvalidTransition(
            f"申请当前状态为“{application.status.label}”，不能执行此操作。"
        )


# --- intake -----------------------------------------------------------------------------------


def find_by_idempotency_key(key: str | None) -> Application | None:
    """Return the application an earlier submission with this key created, if any."""
    if not key:
        return None
    return db.session.scalar(select(Application).where(Application.idempotency_key == key))


def start_application(
    version: ItemVersion,
    applicant: Applicant,
    channel: Channel,
    *,
    actor=None,
    idempotency_key: str | None = None,
    licensed_scope: str | None = None,
    business_address: str | None = None,
    contact_name: str | None = None,
    key_known_unused: bool = False,
) -> Application:
    """Open an application (a draft) for a published item version and an applicant.

    With an ``idempotency_key`` already used, the earlier application is returned and nothing
    new is created: a double click or a retried request makes one application. A caller that
    has just looked the key up itself (``key_known_unused``: the API, by its stored answer)
    skips the lookup; a concurrent use of the key then fails on the unique index. The
    application keeps the applicant's data as it is now (its current ``ApplicantVersion``)
    and the licensed scope (许可内容) applied for; the licence will state those.
    """
    existing = None if key_known_unused else find_by_idempotency_key(idempotency_key)
    if existing is not None:
        return existing

    if version.status.value != "published":
        raise ItemNotAvailable("该事项版本未发布，不能受理。")
    if version_in_force(version.item, local_today()) is not version:
        raise ItemNotAvailable("该事项版本当前不在施行期内，请按现行版本办理。")
    if applicant.kind.value not in {k.value for k in version.applicant_kinds}:
        raise ItemNotAvailable(f"事项“{version.name}”不受理此类申请人的申请。")
    licensed_scope = " ".join((licensed_scope or "").split()) or None
    if licensed_scope is not None:
        if len(licensed_scope) > 2000:
            raise ValidationFailed("许可内容不能超过 2000 个字。", code="invalid_scope")
        require_printable(licensed_scope, "许可内容")
    application = Application(
        item_version=version,
        approval_department_id=version.approval_department_id,
        supervisory_department_id=version.supervisory_department_id,
        applicant=applicant,
        applicant_version=current_version(applicant),
        licensed_scope=licensed_scope,
        purpose=Purpose.issue,
        channel=channel,
        status=ApplicationStatus.draft,
        created_by_id=actor.id if actor is not None else None,
        idempotency_key=idempotency_key,
        business_address=(business_address or "").strip()[:300] or None,
        contact_name=(contact_name or "").strip()[:50] or None,
    )
    db.session.add(application)
    db.session.flush()
    _known_empty(application)
    # Written with the application's next change (one UPDATE less); in this transaction.
    application.case_number = format_case_number(local_today().year, application.id)
    _audit(application, "started", item=version.code, version=version.number,
           channel=channel, applicant_id=applicant.id, case_number=application.case_number)
    return application


#: What a brand-new application cannot have yet: its loaders would only find nothing.
_EMPTY_AT_START = {"letter": None, "licence": None, "licence_request": None, "credit_check": None,
                   "materials": [], "supplements": [], "pauses": [],
                   "ineligibility_notices": [], "documents": []}


def _known_empty(application: Application) -> None:
    """Mark the relationships of a just-inserted application loaded and empty.

    The row was inserted a moment ago in this transaction, so nothing can refer to it yet;
    without this, the first touch of each relationship would send a SELECT that finds nothing
    (issue 18: statements per request).
    """
    for name, empty in _EMPTY_AT_START.items():
        set_committed_value(application, name, list(empty) if isinstance(empty, list) else empty)


def start_licence_request(licence: Licence, purpose: Purpose, channel: Channel, *, actor=None,
                          changes: Mapping[str, str] | None = None,
                          idempotency_key: str | None = None) -> Application:
    """Open a change, renewal or reissue of ``licence``: its own case, the same journey.

    The case is an application by the licence's holder for the licence's item (the version
    in force now), tied to the licence (``licences.attach_request`` refuses a licence no
    longer in force, a renewal filed later than 30 days before expiry, and a change with
    nothing to change). It then goes through notice, track and decision like any other.
    """
    existing = find_by_idempotency_key(idempotency_key)
    if existing is not None:
        return existing
    version = item_version_in_force(licence.item_code or licence.item_version.code)
    application = start_application(version, licence.applicant, channel, actor=actor,
                                    idempotency_key=idempotency_key,
                                    licensed_scope=licence.scope)
    licences.attach_request(application, licence, purpose, dict(changes or {}))
    return application


def give_notice(application: Application) -> None:
    """Record that the one-time notice (一次性告知) of the item was given; idempotent."""
    _require_status(application, ApplicationStatus.draft)
    if application.notice_given_dt is None:
        application.notice_given_dt = utcnow()
        _audit(application, "notice_given", item_version_id=application.item_version_id)


@dataclass(frozen=True)
class TrackChoice:
    """The outcome of choosing a track: the credit check where one was made."""

    application: Application
    eligible: bool
    reasons: list[str]
    degraded: bool = False


def choose_track(application: Application, track: Track) -> TrackChoice:
    """Record the applicant's free choice of track.

    The credit check runs on either track and is stored with the application as evidence; on
    the commitment track it decides, on the general track it bars nothing. An ineligible
    applicant stays on a draft with ``credit_ineligible`` set: the caller tells them why and
    offers the general track (``choose_track(..., Track.general)``).
    """
    _require_status(application, ApplicationStatus.draft)
    if application.notice_given_dt is None:
        raise NoticeNotGiven()
    version = application.item_version
    if track.value not in {t.value for t in version.tracks}:
        raise TrackNotOffered(f"事项“{version.name}”不提供{track.label}办理方式。")
    if track == Track.commitment:
        check = check_eligibility(application.applicant, flush=False)
        application.credit_check = check
        reasons = list(check.reasons or [])
        if not check.eligible:
            application.credit_ineligible = True
            application.track = None
            _audit(application, "credit_ineligible", credit_check_id=id_of(check),
                   source=check.source, reasons=reasons)
            issue_ineligibility_notice(application, check)
            return TrackChoice(application, False, reasons, bool(check.degraded))
        application.track = Track.commitment
        _audit(application, "track_chosen", track=track, credit_check_id=id_of(check),
               degraded=bool(check.degraded))
        return TrackChoice(application, True, reasons, bool(check.degraded))
    # Equal treatment (工作方案 三（四）): every applicant's credit is checked at intake, whatever
    # the track, so the risk level that sets routine supervision never depends on the track.
    # On the general track the check is evidence only: it bars nothing. A check made moments
    # ago for a refused commitment choice is that evidence already.
    check = application.credit_check
    if check is None:
        check = check_eligibility(application.applicant, degraded_allows_commitment=True,
                                  flush=False)
        application.credit_check = check
    application.track = Track.general
    _audit(application, "track_chosen", track=track, credit_check_id=id_of(check),
           degraded=bool(check.degraded))
    return TrackChoice(application, True, [], bool(check.degraded))


def issue_ineligibility_notice(application: Application, check) -> IneligibilityNotice:
    """Write the 不适用告知承诺制告知书 of a refused credit check onto the case.

    工作方案 三（一）: 对不符合适用条件的，应当告知申请人. The notice copies the reasons, how to
    repair the record, and the general procedure offered instead (the statutory materials and
    time limit), so the applicant is told in writing, not only on a screen.
    """
    if check.id is None:
        db.session.flush()  # the notice refers to the check by id
    version = application.item_version
    applicant = application.applicant
    materials = "、".join(f"《{m.name}》" for m in version.materials if m.required_general)
    general = (f"你（单位）可以按照一般程序办理“{version.name}”：提交全部法定申请材料"
               f"（{materials}），本机关依法受理后在 {version.statutory_limit_days} 个工作日内"
               f"作出决定（承诺办结时限 {version.promised_limit_days} 个工作日）。")
    notice = IneligibilityNotice(
        application=application, credit_check_id=check.id, issued_on=local_today(),
        issued_dt=utcnow(), applicant_name=applicant.name, applicant_code=applicant.code,
        item_name=version.name, approval_department_name=application.approval_department.name,
        reasons=[r for r in (check.reasons or [])], repair_guidance=repair_guidance(check),
        general_track=general)
    db.session.add(notice)
    db.session.flush()
    record_audit("application.ineligibility_notice_issued", object_type="application",
                 object_id=application.id,
                 changes={"notice_id": notice.id, "credit_check_id": check.id,
                          "reasons": notice.reasons})
    return notice


def require_eligible(choice: TrackChoice) -> TrackChoice:
    """Raise ``CreditIneligible`` (with the reasons) for a refused commitment track."""
    if not choice.eligible:
        raise CreditIneligible(choice.reasons)
    return choice


# --- commitment track -------------------------------------------------------------------------


def set_commitments(application: Application, modes: Mapping[str, str | None]) -> None:
    """Record, per material code, the commitment mode chosen (``None``: handed in now).

    Every mode must be one the item allows for that material; a material that allows no mode
    must be handed in.
    """
    _require_status(application, ApplicationStatus.draft)
    if application.track != Track.commitment:
        raise InvalidTransition("只有告知承诺制申请才能选择承诺方式。")
    version = application.item_version
    known = {m.code for m in version.materials}
    unknown = sorted(set(modes) - known)
    if unknown:
        raise InvalidCommitment(f"事项中没有材料：{'、'.join(unknown)}。")
    chosen: dict[int, MaterialHandling] = {}
    for material in version.materials:
        mode = modes.get(material.code)
        if mode in (None, "", MaterialHandling.submitted.value):
            chosen[material.id] = MaterialHandling.submitted
            continue
        try:
            handling = MaterialHandling(mode)
        except ValueError:
            raise InvalidCommitment(f"材料“{material.name}”的承诺方式无效。") from None
        if not material.allows(handling.value):
            raise InvalidCommitment(
                f"材料“{material.name}”不允许以“{handling.label}”方式承诺。"
            )
        chosen[material.id] = handling
    _replace_materials(application, chosen)
    _audit(application, "commitments_set",
           modes={m.code: chosen[m.id] for m in version.materials})


def _replace_materials(application: Application, chosen: Mapping[int, MaterialHandling]):
    existing = {row.material_id: row for row in application.materials}
    for material_id, handling in chosen.items():
        row = existing.get(material_id)
        if row is None:
            application.materials.append(
                ApplicationMaterial(material_id=material_id, handling=handling))
        else:
            row.handling = handling
    # No flush of its own: the rows go in with the application's next change (its letter, or
    # the caller's commit), one UPDATE of the application fewer (issue 18).


def commitment_choices(application: Application) -> list[tuple]:
    """Return ``(material, handling)`` for every material of the application, in item order."""
    by_material = {row.material_id: row.handling for row in application.materials}
    return [(m, by_material.get(m.id, MaterialHandling.submitted))
            for m in application.item_version.materials]


def letter_text(application: Application, on: date | None = None,
                signer: str | None = None) -> str:
    """Render the commitment letter from the item's template and the application's data.

    Without ``signer`` the signer line is left blank: that is the letter shown for reading,
    whose digest ``sign_letter`` checks; the stored letter has the signer line filled in.
    """
    version = application.item_version
    applicant = application.applicant
    choices = [(material, handling.value) for material, handling in commitment_choices(application)
               if handling != MaterialHandling.submitted]
    return render_letter(version, applicant.name, applicant.code, choices, on or local_today(),
                         signer=signer)


#: The private upload folder of the agents' powers of attorney (``licensing.uploads``).
POWER_OF_ATTORNEY_FOLDER = "powers_of_attorney"


@dataclass(frozen=True)
class Signer:
    """Who signs the letter, checked: name, capacity, ID number, power of attorney."""

    name: str
    capacity: SignerCapacity
    id_number: str | None
    defaulted: bool
    power_of_attorney: str | None
    #: The power of attorney as an uploaded material (a checked photo or PDF), agents only.
    power_of_attorney_file: StoredUpload | None = None

    @property
    def line(self) -> str:
        """The signer line of the letter."""
        parts = [self.capacity.label]
        if self.id_number:
            parts.append(f"身份证号码 {mask_id_number(self.id_number)}")
        if self.power_of_attorney:
            parts.append(f"授权委托书：{self.power_of_attorney}")
        if self.power_of_attorney_file is not None:
            parts.append(f"授权委托书已作为申请材料上传，文件指纹 SHA-256 "
                         f"{self.power_of_attorney_file.sha256[:16]}")
        line = f"{self.name}（{'，'.join(parts)}）"
        if self.defaulted:
            line += f"（签署时未声明签署身份，按默认记为{self.capacity.label}）"
        return line


def check_signer(applicant: Applicant, name: str | None,
                 capacity: SignerCapacity | str | None = None,
                 id_number: str | None = None,
                 power_of_attorney: str | None = None,
                 power_of_attorney_file: StoredUpload | None = None) -> Signer:
    """Check who signs for ``applicant``; raise ``ValidationFailed`` saying what is wrong.

    An enterprise signs by its legal representative (法定代表人/负责人) or an agent (委托代理人);
    a person signs personally or by an agent. An agent needs a power of attorney handed in as
    a material: ``power_of_attorney_file``, the uploaded file (checked by
    ``licensing.uploads``), with ``power_of_attorney`` an optional description (what, when
    received; the file's name when not given). The ID number is checked (check digit, birth
    date); a person signing personally signs with their own. Without a capacity (API v1)
    the default of the applicant's kind is recorded and the letter says so.
    """
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise ValidationFailed("请填写签署人姓名（不超过 100 个字）。", code="signer_required")
    enterprise = applicant.kind.value == "enterprise"
    defaulted = capacity in (None, "")
    try:
        capacity = (SignerCapacity.legal_representative if enterprise else SignerCapacity.self
                    ) if defaulted else SignerCapacity(capacity)
    except ValueError:
        raise ValidationFailed("签署人身份无效：应为法定代表人（负责人）、委托代理人或申请人本人。",
                               code="signer_capacity_invalid") from None
    if enterprise and capacity == SignerCapacity.self:
        raise ValidationFailed("企业申请人的承诺书须由其法定代表人（负责人）或委托代理人签署。",
                               code="signer_capacity_invalid")
    if not enterprise and capacity == SignerCapacity.legal_representative:
        raise ValidationFailed("个人申请人的承诺书须由申请人本人或其委托代理人签署。",
                               code="signer_capacity_invalid")
    id_number = (id_number or "").strip() or None
    if capacity == SignerCapacity.self:
        id_number = id_number or applicant.code
    if id_number is None and not defaulted:
        raise ValidationFailed("请填写签署人的居民身份证号码。", code="signer_id_required")
    if id_number is not None:
        try:
            id_number = validate_id_number(id_number)
        except DomainError as exc:
            raise ValidationFailed(f"签署人{exc.message}", code="signer_id_invalid") from None
    if capacity == SignerCapacity.self and id_number != applicant.code:
        raise ValidationFailed("申请人本人签署的，身份证号码须与申请人的一致；他人代签请选择"
                               "“委托代理人”并提交授权委托书。", code="signer_id_mismatch")
    power_of_attorney = (power_of_attorney or "").strip()[:200] or None
    if capacity != SignerCapacity.agent:
        if power_of_attorney_file is not None:
            raise ValidationFailed("只有委托代理人签署时才需上传授权委托书；法定代表人或本人"
                                   "签署的，请不要上传。", code="power_of_attorney_not_agent")
        return Signer(name, capacity, id_number, defaulted, None)
    if power_of_attorney_file is None:
        raise ValidationFailed("委托代理人签署的，须上传授权委托书（照片或 PDF）作为申请材料。",
                               code="power_of_attorney_required")
    power_of_attorney = power_of_attorney or power_of_attorney_file.original_name[:200]
    return Signer(name, capacity, id_number, defaulted, power_of_attorney,
                  power_of_attorney_file)


def letter_digest(text: str) -> str:
    """The SHA-256 of a letter's exact text (UTF-8)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sign_letter(
    application: Application,
    signer_name: str,
    shown_digest: str,
    channel: Channel,
    *,
    capacity: SignerCapacity | str | None = None,
    signer_id_number: str | None = None,
    power_of_attorney: str | None = None,
    power_of_attorney_file: StoredUpload | None = None,
    actor=None,
    paper: bool = False,
    scan=None,
) -> CommitmentLetter:
    """Store the signed letter, the text shown with its signer line filled in; submit.

    ``shown_digest`` is the SHA-256 of the text the signer read (``letter_text`` without a
    signer); if the letter would render differently now (the data or the template changed in
    between), signing is refused. The signer is checked by ``check_signer``.

    ``paper=True`` records, at the counter, that the signed paper original of the printed
    letter was received (the digest printed on the page is the one checked); ``scan`` is an
    optional ``StoredUpload`` of that original, kept with its SHA-256.

    An agent's ``power_of_attorney_file`` (a ``StoredUpload``) is kept with the letter, its
    name and SHA-256 recorded; the letter's signer line names it. The caller stores the
    upload before and discards it if this raises.
    """
    if paper and channel != Channel.counter:
        raise InvalidTransition("纸质签署只能在政务服务窗口登记。")
    _require_status(application, ApplicationStatus.draft)
    if application.track != Track.commitment:
        raise InvalidTransition("只有告知承诺制申请需要签署承诺书。")
    if not application.materials:
        raise InvalidTransition("请先为每项材料选择承诺方式。")
    signer = check_signer(application.applicant, signer_name, capacity, signer_id_number,
                          power_of_attorney, power_of_attorney_file)
    shown = letter_text(application)
    if letter_digest(shown) != shown_digest:
        raise LetterChanged()
    # On paper the signer signs the printed text by hand: the stored text is the one printed
    # (its digest is at the foot of the page) and the signer is in the letter's own columns.
    # Signed electronically, the signer's line is filled in.
    text = shown if paper else letter_text(application, signer=signer.line)
    digest = letter_digest(text)
    letter = CommitmentLetter(
        application=application,
        text=text,
        sha256=digest,
        signer_name=signer.name,
        signer_capacity=signer.capacity,
        signer_id_number=signer.id_number,
        capacity_defaulted=signer.defaulted,
        power_of_attorney=signer.power_of_attorney,
        signed_dt=utcnow(),
        channel=channel,
        recorded_by_id=actor.id if actor is not None else None,
        signing_method=SigningMethod.paper if paper else SigningMethod.electronic,
    )
    attorney = signer.power_of_attorney_file
    if attorney is not None:
        letter.power_of_attorney_stored_name = attorney.stored_name
        letter.power_of_attorney_file_name = attorney.original_name
        letter.power_of_attorney_sha256 = attorney.sha256
    if paper:
        letter.original_received_dt = letter.signed_dt
        if scan is not None:
            letter.scan_stored_name = scan.stored_name
            letter.scan_original_name = scan.original_name
            letter.scan_sha256 = scan.sha256
    db.session.add(letter)
    application.status = ApplicationStatus.submitted
    application.submitted_dt = letter.signed_dt
    # No flush of its own: the letter and the application's UPDATE go in with the notices'
    # INSERT just below, which flushes first (issue 18: one flush of the unit of work less).
    _audit(application, "letter_signed", sha256=digest, channel=channel,
           letter_id=id_of(letter),
           signer_capacity=signer.capacity, capacity_defaulted=signer.defaulted,
           power_of_attorney=signer.power_of_attorney,
           power_of_attorney_sha256=letter.power_of_attorney_sha256,
           method=letter.signing_method, scan_sha256=letter.scan_sha256)
    notify_deciders(application)
    return letter


# --- who decides next -------------------------------------------------------------------------


def deciders(application: Application) -> list:
    """The approvers of the application's approval department: who decides next."""

    return recipients([Role.approver], application.approval_department_id)


def notify_deciders(application: Application) -> None:
    """Tell the approval department's approvers that a case waits for their decision."""

    what = ("已签署告知承诺书，待当场作出决定" if application.track == Track.commitment
            else "已受理，待审查决定")
    notify_department(
        application.approval_department_id, [Role.approver], NOTIFY_AWAITING_DECISION,
        f"待决定：{application.case_number} {application.item_version.name}"[:200],
        f"受理编号 {application.case_number}，申请人 {application.applicant.name}，{what}。",
        f"/applications/{application.public_id}", "application", application.id,
        f"awaiting_decision:{application.id}")


def waiting_for_decision(stmt):
    """Narrow a visible-applications query to the cases waiting for a decision, oldest first."""
    return stmt.where(Application.status.in_(DECIDABLE)).order_by(
        Application.submitted_dt, Application.id)


# --- withdrawal -------------------------------------------------------------------------------


def withdraw(application: Application, reason: str, *, actor=None) -> None:
    """Withdraw (撤回) a draft or a submitted application before the decision, with a reason."""
    if application.status in (ApplicationStatus.approved, ApplicationStatus.rejected):
        raise InvalidTransition("已作出决定的申请不能撤回。")
    _require_status(application, *WITHDRAWABLE)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写撤回理由。", code="withdrawal_reason_required")
    if len(reason) > 500:
        raise ValidationFailed(f"撤回理由不能超过 500 个字，当前为 {len(reason)} 个字。",
                               code="withdrawal_reason_too_long")
    previous = application.status
    application.status = ApplicationStatus.withdrawn
    application.withdrawn_dt = utcnow()
    application.withdrawal_reason = reason
    db.session.flush()
    _audit(application, "withdrawn", reason=reason, previous_status=previous)


# --- general track ----------------------------------------------------------------------------


def accept_general(application: Application, received_codes: list[str],
                   accepted_on: date | None = None, *, actor=None) -> None:
    """Accept a general-track application with all its statutory materials.

    Acceptance starts the item's statutory time limit in working days.
    """
    _require_status(application, ApplicationStatus.draft)
    if application.track != Track.general:
        raise InvalidTransition("请先选择一般程序。")
    version = application.item_version
    required = [m for m in version.materials if m.required_general]
    missing = [m.name for m in required if m.code not in set(received_codes)]
    if missing:
        raise ValidationFailed("一般程序须提交全部法定申请材料，尚缺：" + "、".join(missing) + "。",
                               code="materials_missing")
    _replace_materials(application, {m.id: MaterialHandling.submitted
                                     for m in version.materials if m.code in received_codes})
    accepted_on = check_event_date(accepted_on or local_today(), label="受理日期")
    application.accepted_on = accepted_on
    application.status = ApplicationStatus.accepted
    application.submitted_dt = utcnow()
    application.statutory_deadline = compute_deadline(
        DeadlineRule.statutory, start_on=accepted_on, working_days=version.statutory_limit_days,
        start_event="application_accepted")
    db.session.flush()
    _audit(application, "accepted", accepted_on=accepted_on,
           deadline=application.statutory_deadline.as_dict())
    _issue_document(application, CaseDocumentKind.acceptance_notice, accepted_on, {
        "received": [m.name for m in version.materials if m.code in received_codes],
        "due_on": application.statutory_due_on.isoformat(),
        "working_days": version.statutory_limit_days,
    }, actor)
    notify_deciders(application)


def _issue_document(application: Application, kind: CaseDocumentKind, issued_on: date,
                    facts: dict, actor=None) -> CaseDocument:
    """Render a notice to PDF once and keep it with the case, with the facts it states."""

    facts = {**facts, "case_number": application.case_number,
             "applicant": application.applicant.name, "item": application.item_version.name,
             "department": application.approval_department.name}
    pdf = documents.case_document_pdf(kind, issued_on, facts)
    document = CaseDocument(application=application, kind=kind, issued_on=issued_on,
                            issued_dt=utcnow(), issued_by_id=actor.id if actor else None,
                            facts=facts, pdf=pdf, sha256=hashlib.sha256(pdf).hexdigest())
    db.session.add(document)
    db.session.flush()
    _audit(application, "document_issued", kind=kind, document_id=document.id,
           sha256=document.sha256)
    return document


def refuse_acceptance(application: Application, reason: str,
                      refused_on: date | None = None, *, actor=None) -> CaseDocument:
    """Do not accept (不予受理) a general-track application: the decision states the reason
    and the remedies (行政复议, 行政诉讼)."""
    _require_status(application, ApplicationStatus.draft)
    if application.track != Track.general:
        raise InvalidTransition("不予受理决定只适用于一般程序申请。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("请填写不予受理的理由。", code="reason_required")
    if len(reason) > 2000:
        raise ValidationFailed(f"理由不能超过 2000 个字，当前为 {len(reason)} 个字。",
                               code="reason_too_long")
    refused_on = refused_on or local_today()
    application.status = ApplicationStatus.not_accepted
    db.session.flush()
    _audit(application, "not_accepted", reason=reason, refused_on=refused_on)
    return _issue_document(application, CaseDocumentKind.refusal_decision, refused_on,
                           {"reason": reason}, actor)


def correction_notice_due_on(application: Application) -> date:
    """The last day to tell the applicant everything missing: 5 working days after receipt."""

    received_on = local_date(application.created_dt)
    return get_calendar().add_working_days(received_on, CORRECTION_NOTICE_WORKING_DAYS).due_on


def issue_correction_notice(application: Application, missing_codes: list[str],
                            note: str = "", issued_on: date | None = None, *,
                            actor=None) -> CaseDocument:
    """Tell the applicant, at once, every material missing or incomplete (补正材料通知书).

    The application stays open (a draft) so it can be accepted when the materials come in.
    Refused after the five working days: by law the application then counts as accepted on
    receipt, and the clerk accepts it.
    """
    _require_status(application, ApplicationStatus.draft)
    if application.track != Track.general:
        raise InvalidTransition("补正材料通知书只适用于一般程序申请。")
    version = application.item_version
    missing = [m for m in version.materials if m.code in set(missing_codes)]
    if not missing:
        raise ValidationFailed("请勾选需要补正的全部材料。", code="nothing_missing")
    issued_on = issued_on or local_today()
    last_day = correction_notice_due_on(application)
    if issued_on > last_day:
        raise ValidationFailed(
            f"补正通知应在收到申请材料后 5 个工作日内（{last_day} 前）一次性告知；逾期未告知的，"
            "自收到申请材料之日起即为受理，请直接受理。", code="correction_notice_late")
    note = (note or "").strip()[:1000]
    return _issue_document(application, CaseDocumentKind.correction_notice, issued_on, {
        "missing": [m.name for m in missing], "note": note, "last_day": last_day.isoformat(),
    }, actor)


def pause_clock(application: Application, reason: PauseReason, paused_on: date,
                note: str = "") -> ClockPause:
    """Stop the statutory clock for a hearing, tendering, testing, appraisal or expert review.

    ``paused_on`` is an event date (``check_event_date``): not in the future, not before the
    acceptance, and not inside an earlier pause (``pause_overlaps``), so that no period is
    counted twice.
    """
    _require_status(application, ApplicationStatus.accepted)
    if any(p.resumed_on is None for p in application.pauses):
        raise InvalidTransition("计时已暂停，请先恢复计时。")
    check_event_date(paused_on, label="暂停日期", not_before=application.accepted_on,
                     not_before_label="受理日期")
    last_end = max((p.resumed_on for p in application.pauses if p.resumed_on), default=None)
    if last_end is not None and paused_on < last_end:
        raise ValidationFailed(
            f"暂停期间不能与此前的暂停（至 {last_end.isoformat()} 恢复）重叠。",
            code="pause_overlaps")
    pause = ClockPause(application=application, reason=reason, paused_on=paused_on,
                       note=(note or "")[:500])
    db.session.add(pause)
    db.session.flush()
    _audit(application, "clock_paused", reason=reason, paused_on=paused_on, pause_id=pause.id)
    return pause


def resume_clock(application: Application, resumed_on: date) -> ClockPause:
    """Restart the statutory clock; the due date moves by the working days not counted.

    The days from ``paused_on`` up to the day before ``resumed_on`` are not counted
    (行政许可法 第四十五条); the due date is recomputed from the acceptance date with the limit
    plus every excluded working day so far.
    """
    _require_status(application, ApplicationStatus.accepted)
    pause = next((p for p in application.pauses if p.resumed_on is None), None)
    if pause is None:
        raise InvalidTransition("计时未暂停。")
    check_event_date(resumed_on, label="恢复日期", not_before=pause.paused_on,
                     not_before_label="暂停日期")
    # working days in [paused_on, resumed_on): count (paused_on - 1, resumed_on - 1]
    excluded = get_calendar().working_days_between(pause.paused_on - timedelta(days=1),
                                    resumed_on - timedelta(days=1))
    pause.resumed_on = resumed_on
    pause.working_days_excluded = excluded
    old = application.statutory_deadline
    total_excluded = sum(p.working_days_excluded or 0 for p in application.pauses)
    version = application.item_version
    application.statutory_deadline = compute_deadline(
        DeadlineRule.statutory, start_on=application.accepted_on,
        working_days=version.statutory_limit_days + total_excluded,
        start_event="application_accepted")
    db.session.flush()
    _audit(application, "clock_resumed", paused_on=pause.paused_on, resumed_on=resumed_on,
           working_days_excluded=excluded, old_due_on=old.due_on if old else None,
           new_due_on=application.statutory_due_on)
    return pause


# --- decision ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionResult:
    """What a decision produced."""

    application: Application
    licence: Licence | None
    task: object | None
    #: The obligations the supplements domain opened (``SupplementObligation``).
    supplements: list


def _next_licence_seq(department_id: int, year: int) -> int:
    """Take the next number of a department's year, without gaps, under concurrency.

    The counter row's UPDATE holds a row lock until the decision commits, so concurrent
    decisions queue on it and a rolled-back decision gives its number back.
    """
    # Every number but a year's first: one UPDATE under the row lock. (A plain UPDATE is
    # compiled once per process; SQLAlchemy 2.0 compiles every ON CONFLICT statement anew.)
    seq = db.session.execute(_INCREMENT_COUNTER, {"counter_department": department_id,
                                                  "counter_year": year}).scalar_one_or_none()
    if seq is not None:
        return seq
    stmt = conflict_insert(LicenceCounter).values(approval_department_id=department_id,
                                                  year=year, last_seq=1)
    # A year's first number inserts the row; a concurrent first decision of the same year
    # inserted it meanwhile: ON CONFLICT DO UPDATE increments it under the lock it takes.
    return db.session.execute(
        stmt.on_conflict_do_update(
            index_elements=[LicenceCounter.approval_department_id, LicenceCounter.year],
            set_={"last_seq": LicenceCounter.last_seq + 1},
        ).returning(LicenceCounter.last_seq)
    ).scalar_one()


_COUNTERS = LicenceCounter.__table__
_INCREMENT_COUNTER = (
    update(_COUNTERS)
    .where(_COUNTERS.c.approval_department_id == bindparam("counter_department"),
           _COUNTERS.c.year == bindparam("counter_year"))
    .values(last_seq=_COUNTERS.c.last_seq + 1)
    .returning(_COUNTERS.c.last_seq)
)


def licence_number(department_code: str, year: int, seq: int) -> str:
    """Format a licence number: ``XZSPJ-2026-000123``."""
    return f"{department_code.upper()}-{year}-{seq:06d}"


def _claim_decision(application: Application, decision: Decision, reason: str | None,
                    actor, decided_on: date, on_the_spot: bool | None = None) -> None:
    """Move the application to its decided state, or raise ``AlreadyDecided``.

    A conditional UPDATE: of several concurrent deciders exactly one matches the row. The
    values written are put on the object as loaded (no read-back); only the counter, which
    the database increments, is left to load if anyone asks for it.
    """
    status = (ApplicationStatus.approved if decision == Decision.approve
              else ApplicationStatus.rejected)
    values = {"status": status, "decision": decision, "decided_dt": utcnow(),
              "decided_on": decided_on, "decided_by_id": actor.id, "decision_reason": reason}
    if on_the_spot is not None:
        values["decided_on_the_spot"] = on_the_spot
    result = db.session.execute(
        update(Application)
        .where(Application.id == application.id, Application.status.in_(DECIDABLE))
        .values(**values, lock_version=Application.lock_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise AlreadyDecided()
    for name, value in values.items():
        set_committed_value(application, name, value)
    db.session.expire(application, ["lock_version"])


def issue_refusal_letter(application: Application, *, actor=None) -> IssuedDocument:
    """Store the refusal letter (不予行政许可决定书) as issued on the day of the decision.

    Every later download serves this copy: a renamed company or a changed city name does
    not change a letter already issued. Idempotent (the stored copy is returned).
    """
    authority = licences.authority_full_name(application.approval_department)
    return issue_document(
        documents.REFUSAL_OWNER, application.id, documents.REFUSAL_KIND,
        lambda: documents.refusal_document(application, authority), actor=actor)


def decide(application: Application, decision: Decision, actor, reason: str | None = None,
           decided_on: date | None = None) -> DecisionResult:
    """Decide an application on the spot; on approval issue the licence and its follow-ups.

    Approval, in this one transaction: the licence with the next number of the approval
    department's year; on the commitment track the verification task for the supervisory
    department (60 / 7 / the item's shorter limit in working days after the decision), one
    supplement obligation per ``supplement`` material, and the commitment record queued for
    the credit platform; audit entries for each. Rejection needs a reason.
    """
    if application.status not in DECIDABLE:
        if application.status in (ApplicationStatus.approved, ApplicationStatus.rejected):
            raise AlreadyDecided()
        _require_status(application, *DECIDABLE)
    reason = (reason or "").strip() or None
    if decision == Decision.reject and not reason:
        raise ValidationFailed("不予许可须说明理由。", code="reason_required")
    decided_on = decided_on or local_today()
    # On the spot: no later than the working day the letter was signed (a decision on the
    # day off the letter came in online is earlier still). Written with the decision itself.
    on_the_spot = (decided_on <= signing_working_day(application)
                   if decision == Decision.approve and application.track == Track.commitment
                   else None)
    _claim_decision(application, decision, reason, actor, decided_on, on_the_spot)
    if decision == Decision.reject:
        _audit(application, "rejected", reason=reason, decided_on=decided_on)
        issue_refusal_letter(application, actor=actor)
        return DecisionResult(application, None, None, [])

    department = application.approval_department
    renewing = (application.purpose or Purpose.issue) != Purpose.issue
    if renewing:
        # a change, renewal or reissue: a new version of the licence the application is for
        licence = application.licence_request.licence
        licences.require_in_force(licence, decided_on,
                                  allow_expired=application.purpose == Purpose.renewal)
    else:
        licence = _placeholder_licence(application, decided_on)

    task = None
    supplements: list = []
    version = with_materials(application.item_version)
    if application.track == Track.commitment:
        rule = VERIFICATION_RULES[VerificationRule(version.verification_rule)]
        deadline = compute_deadline(
            rule, start_on=decided_on,
            working_days=(version.verification_working_days
                          if rule == DeadlineRule.item_specific else None),
            start_event="licence_issued")
        # The supervision domain opens the verification task, the supplements domain one
        # obligation per material promised later (they listen; see signals.py).
        opened = commitment_licence_issued.send(application, application=application,
                                                licence=licence, deadline=deadline,
                                                decided_on=decided_on)
        task = next((value for _, value in opened if value is not None), None)
        supplements = list(application.supplements)  # opened by the listener above
    letter_sha256 = application.letter.sha256 if application.letter else None

    if renewing:
        licences.apply_request(application, decided_on, actor)
        _audit(application, "approved", decided_on=decided_on, licence=licence.number,
               purpose=application.purpose)
    else:
        licence.seq = _next_licence_seq(department.id, decided_on.year)
        licence.number = licence_number(department.code, decided_on.year, licence.seq)
        # Written with the decision number of its first version, in the documents' flush.
        _audit(application, "approved", decided_on=decided_on, licence=licence.number)
        record_audit("licence.issued", object_type="licence", object_id=id_of(licence),
                     changes={"number": licence.number, "application_id": application.id})
        # The version goes in with the documents' flush (one flush of the unit of work less).
        issued = licences.add_version(licence, LicenceEvent.issued, effective_on=decided_on,
                                      application=application, actor=actor, flush=False)
        licences.issue_documents(licence, issued, application)
    if application.track == Track.commitment:
        record_commitment_event(
            application.applicant, "commitment_made", ref=licence.number,
            payload={"licence": licence.number, "item": version.code,
                     "decided_on": decided_on.isoformat(), "letter_sha256": letter_sha256},
            # A renewal keeps its licence's number: only a number taken just now is fresh.
            fresh_ref=not renewing,
            flush=False,  # the record and its message go in with the commit
        )
    return DecisionResult(application, licence, task, supplements)


def _placeholder_licence(application: Application, decided_on: date) -> Licence:
    """Add the new licence with every fact it states, under a placeholder number."""
    department = application.approval_department
    # The licence carries a placeholder place in the register (a negative sequence and a
    # number no one else can hold, never visible: the transaction is not committed yet) until
    # its real number is taken, last, so the department's counter row stays locked only for
    # the final statements of the transaction instead of the whole decision. Nothing flushes
    # in between on the way through ``decide`` (issue 18), so the row goes in once, with its
    # real number; should anything flush earlier, the placeholder goes in and is updated.
    licence = Licence(
        number=f"pending-{application.public_id}",
        application_id=application.id,
        approval_department_id=department.id,
        year=decided_on.year,
        seq=-application.id,
        item_version_id=application.item_version_id,
        applicant_id=application.applicant_id,
        issued_on=decided_on,
        issued_dt=utcnow(),
    )
    licences.freeze_at_issue(licence, application, decided_on)
    # Inserted with the next flush (the documents', after the number), which orders it before
    # the rows that refer to it (task, supplements, version, documents).
    db.session.add(licence)
    # Both ends known now, and a new licence has no versions yet: no SELECT finds that out.
    set_committed_value(application, "licence", licence)
    set_committed_value(licence, "application", application)
    set_committed_value(licence, "approval_department", department)
    set_committed_value(licence, "versions", [])
    return licence


def signing_working_day(application: Application) -> date | None:
    """The working day on which a decision on ``application`` is on the spot (当场).

    The day the letter was signed (local date), or, for a letter signed on a day off (online,
    at the weekend), the first working day after it. ``None`` before the letter is signed.
    """
    if application.submitted_dt is None:
        return None
    day = local_date(application.submitted_dt)
    calendar = get_calendar()
    try:
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
    except ValueError:  # outside the calendar's range: the signing day itself
        return local_date(application.submitted_dt)
    return day


def verification_page_data(token: str) -> Licence | None:
    """Return the licence behind a public verification token, if any."""
    return db.session.scalar(select(Licence).where(Licence.verify_token == token))


# --- a credit re-check finds the applicant barred ----------------------------------------------


@recheck_found_barred.connect
def _recheck_found_barred(recheck, *, applicant, check, degraded_check_id, reasons, **_) -> None:
    """Tell the approval department of each case decided on the degraded check; pass it on.

    The supervisory side learns through ``licence_credit_barred`` (the enforcement domain
    opens a breach case with origin ``credit_recheck``).
    """
    applications = db.session.scalars(select(Application).where(
        Application.credit_check_id == degraded_check_id, Application.track == Track.commitment))
    for application in applications:
        licence = application.licence
        what = f"许可证 {licence.number}" if licence is not None else (
            f"申请 {application.public_id[:8]}")
        _audit(application, "credit_recheck_barred", recheck_id=recheck.id,
               degraded_check_id=degraded_check_id, check_id=check.id, reasons=reasons,
               licence=licence.number if licence is not None else None)
        notify_department(
            application.approval_department_id, [Role.approver], NOTIFY_RECHECK_BARRED,
            f"信用复核发现失信：{what}"[:200],
            f"{applicant.name}的告知承诺制申请是在信用平台不可用时依据本地记录核查通过的；"
            "平台恢复后复核发现：" + "；".join(reasons) + " 已同步告知行业监管部门。",
            f"/applications/{application.public_id}", "application", application.id,
            f"credit_recheck_barred:{recheck.id}:{application.id}")
        licence_credit_barred.send(application, licence=licence, reasons=reasons,
                                   origin="credit_recheck", recheck_id=recheck.id)
