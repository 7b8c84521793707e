"""The counter and online journey: thin handlers over ``licensing.cases.services``."""

from __future__ import annotations

import secrets

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user

from licensing.applicants.identity import mask_code, mask_phone, normalise_code
from licensing.applicants.services import applicants_of_user, get_or_create_applicant
from licensing.audit.services import record_audit
from licensing.auth.access import public, roles_required
from licensing.auth.home import Panel, register_panel
from licensing.auth.models import Role
from licensing.auth.navigation import register_nav
from licensing.cases import documents, licence_pages, licences, services
from licensing.cases.errors import AlreadyDecided
from licensing.cases.forms import (
    CorrectionForm,
    DecisionForm,
    NewApplicationForm,
    NotAcceptForm,
    PaperSignForm,
    PauseForm,
    ResumeForm,
    SignForm,
    StepForm,
    TrackForm,
    WithdrawForm,
)
from licensing.cases.models import (
    WITHDRAWABLE,
    Application,
    ApplicationStatus,
    CaseDocument,
    Channel,
    Decision,
    Licence,
    MaterialHandling,
    PauseReason,
    Track,
)
from licensing.cases.queries import (
    CaseListQuery,
    case_list,
    count_visible_by_status,
    load_application,
    shown_count,
    visible_applications,
)
from licensing.catalogue.models import ItemVersion
from licensing.catalogue.services import guide_versions, item_rules_dict
from licensing.errors import DomainError
from licensing.extensions import db
from licensing.paging import requested_page
from licensing.uploads import StoredUpload, discard, store_upload, stored_path
from licensing.url_ints import bounded_int

bp = Blueprint("cases", __name__)
bp.register_blueprint(licence_pages.bp)

VIEWERS = (Role.clerk, Role.approver, Role.head, Role.inspector, Role.reform_office,
           Role.admin, Role.applicant)
INTAKE = (Role.clerk, Role.approver, Role.applicant)

register_nav("受理申请", "cases.new_application", Role.clerk, Role.approver, order=10)
register_nav("网上申请", "cases.new_application", Role.applicant, order=10)
register_nav("待决定", "cases.waiting", Role.approver, order=15)
register_nav("申请列表", "cases.list_applications", Role.clerk, Role.approver, Role.head,
             Role.reform_office, Role.admin, order=20)
register_nav("我的申请", "cases.list_applications", Role.applicant, order=20)


def _channel() -> Channel:
    return Channel.online if current_user.role == Role.applicant else Channel.counter


def _published_versions() -> list[ItemVersion]:
    """The versions in force today: the only ones a new application may be filed under."""
    return sorted(guide_versions(), key=lambda v: v.name)


@bp.route("/applications")
@roles_required(*VIEWERS)
def list_applications():
    """The applications the user may see, newest first, with filters."""
    query = CaseListQuery(
        q=(request.args.get("q") or "").strip(),
        status=request.args.get("status") or "",
        track=request.args.get("track") or "",
        page=requested_page(),
        after=request.args.get("after", type=bounded_int),
        before=request.args.get("before", type=bounded_int),
    )
    result = case_list(current_user, query)
    return render_template("cases/list.html", applications=result.applications,
                           result=result, status=query.status, track=query.track, q=query.q,
                           page=query.page, statuses=list(ApplicationStatus),
                           tracks=list(Track), mask_code=mask_code)


@bp.route("/applications/new", methods=["GET", "POST"])
@roles_required(*INTAKE)
def new_application():
    """Step 1: the item and the applicant."""
    form = NewApplicationForm()
    versions = _published_versions()
    form.item_code.choices = [("", "— 请选择 —")] + [
        (v.code, f"{v.name}（{v.code}）") for v in versions]
    own = applicants_of_user(current_user) if current_user.role == Role.applicant else []
    if current_user.role == Role.applicant and not own:
        flash("您的账号尚未关联企业：请在“我的企业”中关联，或持授权委托书到政务服务窗口办理关联。",
              "warning")
    if request.method == "GET":
        form.submission_token.data = secrets.token_urlsafe(16)
        if request.args.get("item"):
            form.item_code.data = request.args["item"]
        if own:
            form.applicant_kind.data = own[0].kind.value
            form.applicant_code.data = own[0].code
            form.applicant_name.data = own[0].name
    if form.validate_on_submit():
        version = next((v for v in versions if v.code == form.item_code.data), None)
        if version is None:
            form.item_code.errors.append("请选择一个已发布的事项。")
        else:
            try:
                if current_user.role == Role.applicant:
                    if not own:
                        raise DomainError("账号未关联申请人身份，不能网上申请。",
                                          code="applicant_not_linked")
                    chosen = normalise_code(form.applicant_code.data)
                    applicant = next((a for a in own if a.code == chosen), None)
                    if applicant is None:
                        raise DomainError("请选择您的账号已关联的企业。",
                                          code="invalid_applicant_choice")
                else:
                    applicant = get_or_create_applicant(
                        form.applicant_kind.data, form.applicant_code.data,
                        form.applicant_name.data, form.applicant_phone.data,
                        actor=current_user,
                        legal_representative=form.legal_representative.data,
                        address=form.address.data)
                token = form.submission_token.data or None
                application = services.start_application(
                    version, applicant, _channel(), actor=current_user,
                    idempotency_key=f"form:{current_user.id}:{token}" if token else None,
                    licensed_scope=form.licensed_scope.data,
                    business_address=form.business_address.data,
                    contact_name=form.contact_name.data)
            except DomainError as exc:
                db.session.rollback()
                field = (form.applicant_phone if exc.code == "invalid_phone"
                         else form.legal_representative
                         if exc.code == "invalid_legal_representative"
                         else form.address if exc.code == "invalid_address"
                         else form.licensed_scope if exc.code == "invalid_scope"
                         else form.applicant_name if exc.code in ("unprintable_character",
                                                                 "invalid_applicant_name")
                         else form.applicant_code if exc.code.startswith("invalid_")
                         else form.item_code)
                field.errors.append(exc.message)
            else:
                return redirect(url_for("cases.show", public_id=application.public_id))
    return render_template("cases/new.html", form=form, own=own)


@bp.route("/applications/waiting")
@roles_required(Role.approver)
def waiting():
    """The approver's waiting list: cases signed or accepted, waiting for a decision."""
    applications = db.session.scalars(
        services.waiting_for_decision(visible_applications(current_user)).limit(200)).all()
    return render_template("cases/waiting.html", applications=applications,
                           mask_code=mask_code)


def _case_context(application: Application) -> dict:
    context = {
        "application": application,
        "version": application.item_version,
        "rules": item_rules_dict(application.item_version),
        "choices": services.commitment_choices(application),
        "step_form": StepForm(),
        "track_form": TrackForm(),
        "decision_form": DecisionForm(),
        "pause_form": PauseForm(),
        "resume_form": ResumeForm(),
        "handling": MaterialHandling,
        "Track": Track,
        "Status": ApplicationStatus,
        "mask_code": mask_code,
        "mask_phone": mask_phone,
        "can_intake": current_user.role in INTAKE,
        "at_counter": current_user.role in (Role.clerk, Role.approver),
        "can_decide": current_user.role == Role.approver,
        "licence_status": licences.public_status,
        "changeable": licences.CHANGEABLE,
        "can_withdraw": (current_user.role in INTAKE
                         and application.status in WITHDRAWABLE),
        "withdraw_form": WithdrawForm(),
        "not_accept_form": NotAcceptForm(),
        "correction_form": CorrectionForm(),
        "applicant_view": current_user.role == Role.applicant,
        "deciders": (services.deciders(application)
                     if application.status in (ApplicationStatus.submitted,
                                               ApplicationStatus.accepted) else []),
    }
    if (application.status == ApplicationStatus.draft and application.track == Track.commitment
            and application.materials):
        text = services.letter_text(application)
        sign_form = SignForm()
        sign_form.set_capacity_choices(application.applicant.kind.value == "enterprise")
        sign_form.letter_digest.data = services.letter_digest(text)
        if not sign_form.signer_name.data:
            sign_form.signer_name.data = (application.applicant.name
                                          if application.applicant.kind.value == "individual"
                                          else "")
        paper_form = PaperSignForm()
        paper_form.paper_capacity.choices = _capacity_choices(application)
        paper_form.letter_digest.data = sign_form.letter_digest.data
        paper_form.original_signer_name.data = sign_form.signer_name.data
        context.update(letter_preview=text, sign_form=sign_form, paper_form=paper_form)
    context["task"] = None
    context["revocation"] = None
    for extra in CASE_PAGE_CONTEXT:
        context.update(extra(application))
    return context


#: Callables ``(application) -> dict`` adding to the case page's context: the domains above
#: (supervision: the verification task; enforcement: the revocation) register here, so this
#: domain does not import them.
CASE_PAGE_CONTEXT: list = []


def register_case_context(function):
    """Register a callable adding to the case page's context (decorator)."""
    CASE_PAGE_CONTEXT.append(function)
    return function


@bp.route("/applications/<public_id>")
@roles_required(*VIEWERS)
def show(public_id: str):
    """The case page: where the application stands and its next step."""
    application = load_application(public_id, current_user)
    return render_template("cases/show.html", **_case_context(application))


def _step(public_id: str, action, success: str | None = None, *, form=None,
          invalid: str | None = None):
    """Run one journey step; on a domain error show it and keep what was saved.

    ``form`` defaults to a CSRF-only form, whose failure is a bad request; a form with fields
    of its own shows ``invalid`` when they are missing or malformed.
    """
    application = load_application(public_id, current_user, for_update=True)
    form = form if form is not None else StepForm()
    if not form.validate_on_submit():
        if invalid is None:
            abort(400)
        flash(invalid, "error")
        return redirect(url_for("cases.show", public_id=public_id))
    try:
        action(application)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        if success:
            flash(success, "success")
    return redirect(url_for("cases.show", public_id=public_id))


@bp.route("/applications/<public_id>/notice", methods=["POST"])
@roles_required(*INTAKE)
def give_notice(public_id: str):
    """Record that the one-time notice was given."""
    return _step(public_id, services.give_notice)


@bp.route("/applications/<public_id>/track", methods=["POST"])
@roles_required(*INTAKE)
def choose_track(public_id: str):
    """The applicant's free choice of track; the credit check on the commitment track."""
    value = request.form.get("track", "")

    def action(application):
        if value not in Track.__members__:
            raise DomainError("请选择办理方式。", code="track_required")
        choice = services.choose_track(application, Track(value))
        if not choice.eligible:
            flash("信用核查未通过，不适用告知承诺制。可改按一般程序办理。", "warning")
        elif choice.degraded:
            flash("信用平台暂时无法访问，已按本地信用记录核查，并标记待复核。", "warning")

    return _step(public_id, action)


@bp.route("/applications/<public_id>/commitments", methods=["POST"])
@roles_required(*INTAKE)
def set_commitments(public_id: str):
    """The commitment mode of each material."""
    modes = {key[len("mode-"):]: value for key, value in request.form.items()
             if key.startswith("mode-")}
    return _step(public_id, lambda a: services.set_commitments(a, modes))


@bp.route("/applications/<public_id>/sign", methods=["POST"])
@roles_required(*INTAKE)
def sign(public_id: str):
    """Sign the letter as shown: store its exact text and submit the application."""
    application = load_application(public_id, current_user, for_update=True)
    form = SignForm()
    if form.validate_on_submit():
        attorney = None
        try:
            attorney = _stored_attorney(form.power_of_attorney_file.data)
            services.sign_letter(application, form.signer_name.data, form.letter_digest.data,
                                 _channel(), capacity=form.capacity.data or None,
                                 signer_id_number=form.signer_id_number.data,
                                 power_of_attorney=form.power_of_attorney.data,
                                 power_of_attorney_file=attorney, actor=current_user)
        except DomainError as exc:
            db.session.rollback()
            if attorney is not None:
                discard(services.POWER_OF_ATTORNEY_FOLDER, attorney.stored_name)
            flash(exc.message, "error")
        else:
            flash(_signed_message(application), "success")
    else:
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
    return redirect(url_for("cases.show", public_id=public_id))


def _stored_attorney(upload) -> StoredUpload | None:
    """Store an agent's uploaded power of attorney (checked like every upload), if given."""
    if upload and upload.filename:
        return store_upload(upload.stream, upload.filename, services.POWER_OF_ATTORNEY_FOLDER)
    return None


def _signed_message(application: Application) -> str:
    names = "、".join(u.display_name for u in services.deciders(application))
    who = f"{application.approval_department.name}审批人员" + (f"（{names}）" if names else "")
    return (f"承诺书已签署，申请已提交。受理编号 {application.case_number}。"
            f"下一步由{who}当场作出决定，已通知。")


def _capacity_choices(application: Application) -> list[tuple[str, str]]:
    """The signer capacities open to the applicant's kind (the first is the default)."""
    form = SignForm(formdata=None)
    form.set_capacity_choices(application.applicant.kind.value == "enterprise")
    return form.capacity.choices


@bp.route("/applications/<public_id>/sign-paper", methods=["POST"])
@roles_required(Role.clerk, Role.approver)
def sign_paper(public_id: str):
    """At the counter: record that the signed paper original of the printed letter came back."""
    application = load_application(public_id, current_user, for_update=True)
    form = PaperSignForm()
    form.paper_capacity.choices = _capacity_choices(application)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(url_for("cases.show", public_id=public_id, _anchor="letter"))
    scan = attorney = None
    try:
        upload = form.scan.data
        if upload and upload.filename:
            scan = store_upload(upload.stream, upload.filename, "letter_scans")
        attorney = _stored_attorney(form.paper_power_of_attorney_file.data)
        services.sign_letter(application, form.original_signer_name.data,
                             form.letter_digest.data, Channel.counter, actor=current_user,
                             capacity=form.paper_capacity.data or None,
                             signer_id_number=form.paper_signer_id_number.data,
                             power_of_attorney=form.paper_power_of_attorney.data,
                             power_of_attorney_file=attorney, paper=True, scan=scan)
    except DomainError as exc:
        db.session.rollback()
        if scan is not None:
            discard("letter_scans", scan.stored_name)
        if attorney is not None:
            discard(services.POWER_OF_ATTORNEY_FOLDER, attorney.stored_name)
        flash(exc.message, "error")
    else:
        flash(_signed_message(application), "success")
    return redirect(url_for("cases.show", public_id=public_id))


@bp.route("/applications/<public_id>/letter.pdf")
@roles_required(*VIEWERS)
def letter_pdf(public_id: str):
    """The commitment letter to print: the draft text with its fingerprint, or as signed."""
    application = load_application(public_id, current_user)
    if application.letter is not None:
        text, digest, signed = application.letter.text, application.letter.sha256, True
    elif (application.status == ApplicationStatus.draft
          and application.track == Track.commitment and application.materials):
        text = services.letter_text(application)
        digest, signed = services.letter_digest(text), False
    else:
        abort(404)
    return _pdf(documents.letter_pdf(application, text, digest, signed=signed),
                f"letter-{application.case_number}.pdf")


@bp.route("/applications/<public_id>/letter-scan")
@roles_required(Role.clerk, Role.approver, Role.head, Role.inspector, Role.reform_office,
                Role.admin)
def letter_scan(public_id: str):
    """The scan of the signed paper original, if one was kept."""
    letter = load_application(public_id, current_user).letter
    if letter is None:
        abort(404)
    return _stored_file("letter_scans", letter.scan_stored_name,
                        letter.scan_original_name or "scan", letter.scan_sha256)


@bp.route("/applications/<public_id>/power-of-attorney")
@roles_required(Role.clerk, Role.approver, Role.head, Role.inspector, Role.reform_office,
                Role.admin)
def power_of_attorney(public_id: str):
    """The agent's power of attorney uploaded with the signed letter, if there is one."""
    letter = load_application(public_id, current_user).letter
    if letter is None:
        abort(404)
    return _stored_file(services.POWER_OF_ATTORNEY_FOLDER, letter.power_of_attorney_stored_name,
                        letter.power_of_attorney_file_name or "attorney",
                        letter.power_of_attorney_sha256)


def _stored_file(folder: str, stored_name: str | None, download_name: str,
                 sha256: str | None) -> Response:
    """An uploaded file kept with the letter, with its digest; 404 when none was kept."""
    if not stored_name:
        abort(404)
    response = send_file(stored_path(folder, stored_name), download_name=download_name)
    response.headers["X-Content-SHA256"] = sha256
    return response


@bp.route("/applications/<public_id>/withdraw", methods=["POST"])
@roles_required(*INTAKE)
def withdraw(public_id: str):
    """Withdraw (撤回) the application before the decision, with a reason."""
    form = WithdrawForm()
    return _step(public_id, lambda a: services.withdraw(a, form.reason.data,
                                                        actor=current_user),
                 "申请已撤回。", form=form, invalid="请填写撤回理由（不超过 500 个字）。")


@bp.route("/applications/<public_id>/not-accept", methods=["POST"])
@roles_required(Role.clerk, Role.approver)
def not_accept(public_id: str):
    """General track: do not accept, with the reason and the remedies (不予受理决定书)."""
    form = NotAcceptForm()
    return _step(public_id, lambda a: services.refuse_acceptance(a, form.reason.data,
                                                                 actor=current_user),
                 "已作出不予受理决定，请打印不予受理决定书交申请人。", form=form,
                 invalid="请填写不予受理的理由（不超过 2000 个字）。")


@bp.route("/applications/<public_id>/correction", methods=["POST"])
@roles_required(Role.clerk, Role.approver)
def correction(public_id: str):
    """General track: tell at once everything missing (补正材料通知书)."""
    form = CorrectionForm()
    missing = request.form.getlist("missing")
    return _step(public_id, lambda a: services.issue_correction_notice(
        a, missing, form.note.data or "", actor=current_user),
        "已出具补正材料通知书，请打印交申请人。", form=form,
        invalid="补正说明不能超过 1000 个字。")


@bp.route("/applications/<public_id>/documents/<int:document_id>.pdf")
@roles_required(*VIEWERS)
def document_pdf(public_id: str, document_id: int):
    """A notice as it was issued and kept with the case."""
    application = load_application(public_id, current_user)
    document = db.session.get(CaseDocument, document_id)
    if document is None or document.application_id != application.id:
        abort(404)
    return _pdf(document.pdf, f"{document.kind.value}-{application.case_number}.pdf")


@bp.route("/applications/<public_id>/accept", methods=["POST"])
@roles_required(Role.clerk, Role.approver)
def accept(public_id: str):
    """General track: accept with all statutory materials received."""
    received = request.form.getlist("received")
    return _step(public_id, lambda a: services.accept_general(a, received, actor=current_user),
                 "已受理，法定时限开始计算。请打印受理通知书交申请人；已通知审批人员。")


@bp.route("/applications/<public_id>/pause", methods=["POST"])
@roles_required(Role.approver)
def pause(public_id: str):
    """Stop the statutory clock."""
    form = PauseForm()
    return _step(public_id, lambda a: services.pause_clock(
        a, PauseReason(form.reason.data), form.paused_on.data, form.note.data or ""),
        "已暂停计时。", form=form, invalid="请填写暂停事由和日期。")


@bp.route("/applications/<public_id>/resume", methods=["POST"])
@roles_required(Role.approver)
def resume(public_id: str):
    """Restart the statutory clock."""
    form = ResumeForm()
    return _step(public_id, lambda a: services.resume_clock(a, form.resumed_on.data),
                 "已恢复计时，办理期限已顺延。", form=form, invalid="请填写恢复计时日期。")


@bp.route("/applications/<public_id>/decision", methods=["POST"])
@roles_required(Role.approver)
def decide(public_id: str):
    """Approve (issue the licence) or reject, on the spot."""
    application = load_application(public_id, current_user, for_update=True)
    form = DecisionForm()
    if not form.validate_on_submit() or form.outcome.data not in Decision.__members__:
        flash("请选择决定结果。", "error")
        return redirect(url_for("cases.show", public_id=public_id))
    try:
        result = services.decide(application, Decision(form.outcome.data), current_user,
                                 form.reason.data)
    except AlreadyDecided as exc:
        db.session.rollback()
        flash(exc.message, "info")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        if result.licence is not None:
            flash(f"已准予许可，许可证号 {result.licence.number}。", "success")
        else:
            flash("已作出不予许可决定。", "success")
    return redirect(url_for("cases.show", public_id=public_id))


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@bp.route("/applications/<public_id>/licence.pdf")
@roles_required(*VIEWERS)
def licence_pdf(public_id: str):
    """The licence certificate this application's decision issued, exactly as issued."""
    application = load_application(public_id, current_user)
    stored = licences.application_document(application, "certificate")
    if stored is None:
        abort(404)
    return _pdf(licences.render_document(stored), f"{stored.licence.number}.pdf")


@bp.route("/applications/<public_id>/decision.pdf")
@roles_required(*VIEWERS)
def decision_pdf(public_id: str):
    """The decision letter (准予 / 不予行政许可决定书)."""
    application = load_application(public_id, current_user)
    if application.decision is None:
        abort(404)
    if application.decision == Decision.reject:
        data = services.issue_refusal_letter(application).pdf
    else:
        stored = licences.application_document(application, "decision")
        if stored is None:
            abort(404)
        data = licences.render_document(stored)
    return _pdf(data, f"decision-{application.public_id}.pdf")


@bp.route("/applications/<public_id>/ineligibility/<int:notice_id>.pdf")
@roles_required(*VIEWERS)
def ineligibility_notice_pdf(public_id: str, notice_id: int):
    """The written notice that the commitment track does not apply (不适用告知承诺制告知书)."""
    application = load_application(public_id, current_user)
    notice = next((n for n in application.ineligibility_notices if n.id == notice_id), None)
    if notice is None:
        abort(404)
    return _pdf(documents.ineligibility_notice_pdf(notice),
                f"ineligibility-{application.public_id}-{notice.id}.pdf")


@bp.route("/applications/<public_id>/letter.txt")
@roles_required(*VIEWERS)
def letter_text(public_id: str):
    """The signed commitment letter as signed, with resident ID numbers masked.

    The full text is shown only on the audited reveal page. ``X-Letter-SHA256`` is the digest
    of the letter as signed (and stored), not of this masked copy.
    """
    application = load_application(public_id, current_user)
    if application.letter is None:
        abort(404)
    response = Response(application.letter.masked_text.encode("utf-8"),
                        content_type="text/plain; charset=utf-8")
    response.headers["X-Letter-SHA256"] = application.letter.sha256
    return response


@bp.route("/verify/<token>")
@public
def verify(token: str):
    """The public verification page of a licence: valid or revoked, with masked holder."""
    licence = services.verification_page_data(token)
    if licence is None:
        return render_template("cases/verify.html", licence=None), 404
    return render_template("cases/verify.html", licence=licence,
                           public=licences.public_view(licence),
                           history=licences.history(licence))


#: The counter panel counts the drafts up to this many, then shows "500+" (a worklist's figure:
#: the exact number of a department's tens of thousands of drafts is read on its list).
DRAFTS_SHOWN = 500


@register_panel(Role.approver, Role.clerk)
def _counter_panel(user):
    counts = count_visible_by_status(
        user, (ApplicationStatus.submitted, ApplicationStatus.accepted),
        bounded={ApplicationStatus.draft: DRAFTS_SHOWN})
    return Panel(
        title="窗口业务",
        figures=[("待当场决定", counts[ApplicationStatus.submitted]),
                 ("一般程序在办", counts[ApplicationStatus.accepted]),
                 ("填报中", shown_count(counts[ApplicationStatus.draft], DRAFTS_SHOWN))],
        links=[("受理新申请", url_for("cases.new_application")),
               ("待决定的申请", url_for("cases.waiting") if user.role == Role.approver
                else url_for("cases.list_applications", status="submitted"))],
        order=10,
    )


@register_panel(Role.applicant)
def _applicant_panel(user):
    return Panel(title="我的申请", links=[("网上申请", url_for("cases.new_application")),
                                      ("查看我的申请", url_for("cases.list_applications"))],
                 order=10)


__all__ = ["Licence", "bp"]


@bp.route("/applications/<public_id>/reveal", methods=["POST"])
@roles_required(Role.clerk, Role.approver, Role.inspector, Role.head)
def reveal(public_id: str):
    """Show the applicant's full identity and phone numbers; who looked is audited."""
    application = load_application(public_id, current_user)
    form = StepForm()
    if not form.validate_on_submit():
        abort(400)
    applicant = application.applicant
    fields = ["code", "phone"] + (["letter"] if application.letter is not None else [])
    record_audit("applicant.full_number_viewed", object_type="applicant",
                 object_id=applicant.id, changes={"application": application.id,
                                                  "fields": fields})
    return render_template("cases/reveal.html", application=application, applicant=applicant)
