"""The approval side after the licence: pushed results, revocation cases, supplements."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from licensing.applicants.identity import mask_code
from licensing.audit.services import entries_for
from licensing.auth.access import roles_required
from licensing.auth.home import Panel, register_panel
from licensing.auth.models import Role
from licensing.auth.navigation import register_nav
from licensing.cases.models import Application, Licence
from licensing.cases.queries import shown_count
from licensing.cases.views import register_case_context
from licensing.clock import utcnow
from licensing.enforcement import documents, services
from licensing.enforcement.forms import (
    BreachForm,
    BreachOutcomeForm,
    BreachRectificationForm,
    DecisionForm,
    HearingForm,
    JudicialTransferForm,
    NoticeForm,
    ReversalForm,
    ServiceForm,
    StatementForm,
)
from licensing.enforcement.models import (
    OPEN_REVOCATION_STATES,
    BreachCase,
    BreachStatus,
    RevocationCase,
    RevocationOrigin,
    RevocationStatus,
)
from licensing.errors import Conflict, DomainError
from licensing.extensions import db
from licensing.paging import key_page, requested_page
from licensing.supervision.models import Outcome, VerificationTask
from licensing.supervision.services import action_label as _task_action_label
from licensing.supervision.services import results_for_approval
from licensing.supervision.views import register_task_context
from licensing.supplements import services as supplements
from licensing.supplements.views import register_supplement_context

bp = Blueprint("revocation", __name__)

CASE_READERS = (Role.approver, Role.head, Role.inspector, Role.reform_office)
BREACH_WORKERS = (Role.inspector, Role.head)

register_nav("核查结果", "revocation.results", Role.approver, Role.reform_office, order=40)
register_nav("违诺案件", "revocation.breaches", Role.head, Role.inspector, Role.reform_office,
             order=41)
register_nav("撤销案件", "revocation.cases", Role.approver, Role.head, Role.reform_office,
             order=42)


ACTION_LABELS = {
    "breach_case.opened": "违诺案件立案",
    "breach_case.order_rectification": "责令限期整改",
    "breach_case.rectified": "整改到位，办结",
    "breach_case.not_rectified": "未整改到位，提请撤销许可",
    "breach_case.penalty": "依法依规予以查处",
    "breach_case.judicial_transfer": "移送司法机关",
    "revocation_case.notice": "拟撤销行政许可告知",
    "revocation_case.statement": "记录陈述、申辩",
    "revocation_case.hearing": "记录听证",
    "revocation_case.revoke": "作出撤销决定",
    "revocation_case.serve": "送达撤销决定",
    "revocation_case.reverse": "撤回撤销决定",
}


def action_label(action: str) -> str:
    """Return the Chinese label of an audit action of enforcement (or of the task)."""
    return ACTION_LABELS.get(action) or _task_action_label(action)


def _flash_error(exc: DomainError) -> None:
    db.session.rollback()
    flash(exc.message, "warning" if isinstance(exc, Conflict) else "error")


# --- results pushed by the supervisory departments ------------------------------------------


@bp.route("/approvals/results")
@roles_required(Role.approver, Role.reform_office)
def results():
    """Verification results pushed to the approval department, newest first."""
    stmt = results_for_approval(current_user)
    outcome = request.args.get("outcome") or ""
    if outcome in Outcome.__members__:
        stmt = stmt.where(VerificationTask.outcome == Outcome(outcome))
    if request.args.get("late") == "1":
        stmt = stmt.where(VerificationTask.pushed_late.is_(True))
    listed = key_page(stmt.order_by(None).options(
        joinedload(VerificationTask.item_version),
        joinedload(VerificationTask.licence).joinedload(Licence.applicant),
        joinedload(VerificationTask.supervisory_department),
    ), VerificationTask.pushed_dt, VerificationTask.id, descending=True,
        after=request.args.get("after"), page=requested_page())
    return render_template("revocation/results.html", tasks=listed.rows, listed=listed,
                           outcome=outcome, late=request.args.get("late") == "1",
                           outcomes=list(Outcome), mask_code=mask_code)


# --- revocation cases -------------------------------------------------------------------------


@bp.route("/revocations")
@roles_required(*CASE_READERS)
def cases():
    """Revocation cases of the department; those awaiting a decision first."""
    stmt = services.visible_cases(current_user)
    status = request.args.get("status", "open")
    if status == "open":
        stmt = stmt.where(RevocationCase.status.in_(OPEN_REVOCATION_STATES))
    elif status in RevocationStatus.__members__:
        stmt = stmt.where(RevocationCase.status == RevocationStatus(status))
    stmt = stmt.options(joinedload(RevocationCase.licence).joinedload(Licence.applicant))
    listed = key_page(stmt, RevocationCase.requested_dt, RevocationCase.id, descending=True,
                      after=request.args.get("after"), page=requested_page())
    return render_template("revocation/list.html", cases=listed.rows, listed=listed,
                           status=status, statuses=list(RevocationStatus), mask_code=mask_code)


@bp.route("/revocations/<int:case_id>")
@roles_required(*CASE_READERS)
def show(case_id: int):
    """One revocation case: every step of the procedure, and the form of the next one."""
    case_ = services.load_case(case_id, current_user)
    can_act = case_.can_decide(current_user)
    blocker = (services.decision_blocker(case_)
               if case_.status in (RevocationStatus.requested, RevocationStatus.noticed)
               else None)
    return render_template(
        "revocation/show.html", case=case_, can_act=can_act,
        can_decide=can_act and case_.status in (RevocationStatus.requested,
                                                RevocationStatus.noticed),
        blocker=blocker,
        form=DecisionForm(formdata=None, lock_version=case_.lock_version,
                          legal_basis=case_.notice_legal_basis or case_.default_legal_basis),
        notice_form=NoticeForm(formdata=None, lock_version=case_.lock_version,
                               facts=case_.request_reason,
                               legal_basis=case_.default_legal_basis),
        statement_form=StatementForm(formdata=None), hearing_form=HearingForm(formdata=None),
        service_form=ServiceForm(formdata=None), reversal_form=ReversalForm(formdata=None),
        history=entries_for("revocation_case", case_.id), action_label=action_label,
        Origin=RevocationOrigin, Status=RevocationStatus, mask_code=mask_code)


def _run_step(case_, form, action, success: str, back: str):
    """Run one step on ``case_`` from a posted form; flash its refusal; redirect to ``back``."""
    if not form.validate_on_submit():
        errors = [e for field in form for e in field.errors]
        flash(errors[0] if errors else "提交失败，请重试。", "error")
        return redirect(back)
    try:
        action(case_, form)
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash(success, "success")
    return redirect(back)


def _step(case_id: int, form, action, success: str):
    """Run one procedure step of a revocation case; back to the case page."""
    return _run_step(services.load_case(case_id, current_user), form, action, success,
                     url_for("revocation.show", case_id=case_id))


@bp.route("/revocations/<int:case_id>/notice", methods=["POST"])
@roles_required(Role.approver)
def notice(case_id: int):
    """Give the notice of intended revocation."""
    return _step(case_id, NoticeForm(), lambda c, f: services.give_notice(
        c, facts=f.facts.data, reasons=f.reasons.data, legal_basis=f.legal_basis.data,
        expected_version=f.lock_version.data), "已作出拟撤销行政许可告知。")


@bp.route("/revocations/<int:case_id>/statement", methods=["POST"])
@roles_required(Role.approver)
def statement(case_id: int):
    """Record the statement and defence, or the waiver."""
    return _step(case_id, StatementForm(), lambda c, f: services.record_statement(
        c, received_on=f.received_on.data, text=f.text.data or "",
        hearing_requested=f.hearing_requested.data, waives_rights=f.waives_rights.data),
        "已记录当事人的陈述、申辩。")


@bp.route("/revocations/<int:case_id>/hearing", methods=["POST"])
@roles_required(Role.approver)
def hearing(case_id: int):
    """Record the hearing."""
    return _step(case_id, HearingForm(), lambda c, f: services.record_hearing(
        c, held_on=f.held_on.data, host=f.host.data, place=f.place.data,
        minutes=f.minutes.data), "已记录听证。")


@bp.route("/revocations/<int:case_id>/decision", methods=["POST"])
@roles_required(Role.approver)
def decide(case_id: int):
    """Revoke the licence (effective on service), or decide not to."""
    services.load_case(case_id, current_user)  # another department's case: 404 first
    outcome = request.form.get("outcome")
    if outcome not in ("revoke", "dismiss"):
        flash("请选择决定：撤销许可或不予撤销。", "error")
        return redirect(url_for("revocation.show", case_id=case_id))
    return _step(case_id, DecisionForm(), lambda c, f: services.decide(
        c, "revoke" if outcome == "revoke" else "not_revoke", f.reason.data,
        legal_basis=f.legal_basis.data, public_interest=f.public_interest.data,
        expected_version=f.lock_version.data),
        "已作出撤销行政许可决定，送达后许可证失效。" if outcome == "revoke"
        else "已作出不予撤销的决定。")


@bp.route("/revocations/<int:case_id>/service", methods=["POST"])
@roles_required(Role.approver)
def service(case_id: int):
    """Record the service of the decision: the licence is revoked from then."""
    return _step(case_id, ServiceForm(), lambda c, f: services.serve(
        c, method=f.method.data, served_on=f.served_on.data, receipt=f.receipt.data),
        "已记录送达，许可证自送达之日起撤销。")


@bp.route("/revocations/<int:case_id>/reversal", methods=["POST"])
@roles_required(Role.approver)
def reversal(case_id: int):
    """Withdraw a served revocation that was not upheld."""
    return _step(case_id, ReversalForm(), lambda c, f: services.reverse_revocation(
        c, reason=f.reason.data, reversed_on=f.reversed_on.data),
        "已撤回撤销决定，许可证恢复有效。")


def _pdf(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.pdf"'
    return response


@bp.route("/revocations/<int:case_id>/notice.pdf")
@roles_required(*CASE_READERS)
def notice_pdf(case_id: int):
    """拟撤销行政许可告知书."""
    case_ = services.load_case(case_id, current_user)
    if case_.noticed_on is None:
        abort(404)
    return _pdf(documents.notice_pdf(case_), case_.notice_number)


@bp.route("/revocations/<int:case_id>/letter.pdf")
@roles_required(*CASE_READERS)
def letter_pdf(case_id: int):
    """The revocation letter (撤销行政许可决定书)."""
    case_ = services.load_case(case_id, current_user)
    if case_.letter_number is None:
        abort(404)
    return _pdf(documents.revocation_letter_pdf(case_), case_.letter_number)


@bp.route("/revocations/<int:case_id>/service-receipt.pdf")
@roles_required(*CASE_READERS)
def service_receipt_pdf(case_id: int):
    """送达回证."""
    case_ = services.load_case(case_id, current_user)
    if case_.served_on is None:
        abort(404)
    return _pdf(documents.service_receipt_pdf(case_), f"{case_.letter_number}-SD")


# --- breach cases -----------------------------------------------------------------------------


@bp.route("/breaches")
@roles_required(*CASE_READERS)
def breaches():
    """Breach cases of the department; the open ones first."""
    stmt = services.visible_breaches(current_user)
    status = request.args.get("status", "")
    if status in BreachStatus.__members__:
        stmt = stmt.where(BreachCase.status == BreachStatus(status))
    stmt = stmt.options(joinedload(BreachCase.licence).joinedload(Licence.applicant))
    listed = key_page(stmt, BreachCase.opened_dt, BreachCase.id, descending=True,
                      after=request.args.get("after"), page=requested_page())
    return render_template("enforcement/breaches.html", rows=listed.rows, listed=listed,
                           status=status, statuses=list(BreachStatus),
                           can_open=current_user.role in BREACH_WORKERS)


@bp.route("/breaches/new", methods=["GET", "POST"])
@roles_required(*BREACH_WORKERS)
def new_breach():
    """Open a breach case found in routine supervision, on a complaint, referral or re-check."""
    form = BreachForm()
    if request.method == "GET":
        form.licence_number.data = request.args.get("licence", "")
    if form.validate_on_submit():
        licence = db.session.scalar(select(Licence).join(
            Application, Application.id == Licence.application_id).where(
            Licence.number == form.licence_number.data.strip(),
            Application.supervisory_department_id == current_user.department_id))
        if licence is None:
            form.licence_number.errors.append("未找到本部门监管的该许可证。")
        else:
            try:
                case_ = services.open_manual_breach(
                    licence, origin=form.origin.data, finding=form.finding.data,
                    facts=form.facts.data, found_on=form.found_on.data)
            except DomainError as exc:
                db.session.rollback()
                flash(exc.message, "error")
            else:
                flash("违诺案件已立案。", "success")
                return redirect(url_for("revocation.breach", breach_id=case_.id))
    return render_template("enforcement/breach_new.html", form=form)


@bp.route("/breaches/<int:breach_id>")
@roles_required(*CASE_READERS)
def breach(breach_id: int):
    """One breach case: the finding, the rectification, its outcome, the handling."""
    case_ = services.load_breach(breach_id, current_user)
    revocation = db.session.scalar(select(RevocationCase).where(
        RevocationCase.breach_case_id == case_.id))
    return render_template(
        "enforcement/breach.html", case=case_, revocation=revocation,
        can_work=case_.can_work(current_user), Status=BreachStatus,
        rectification_form=BreachRectificationForm(formdata=None),
        outcome_form=BreachOutcomeForm(formdata=None),
        transfer_form=JudicialTransferForm(formdata=None),
        history=entries_for("breach_case", case_.id), action_label=action_label)


def _breach_step(breach_id: int, form, action, success: str):
    """Run one step of a breach case; back to the breach page."""
    return _run_step(services.load_breach(breach_id, current_user), form, action, success,
                     url_for("revocation.breach", breach_id=breach_id))


@bp.route("/breaches/<int:breach_id>/rectification", methods=["POST"])
@roles_required(*BREACH_WORKERS)
def breach_rectification(breach_id: int):
    """Order the breach put right by a date."""
    return _breach_step(breach_id, BreachRectificationForm(), lambda c, f:
                        services.order_rectification(c, f.due_on.data,
                                                     requirements=f.requirements.data),
                        "已责令限期整改。")


@bp.route("/breaches/<int:breach_id>/outcome", methods=["POST"])
@roles_required(*BREACH_WORKERS)
def breach_outcome(breach_id: int):
    """Rectified, or not (which refers the case for revocation)."""
    services.load_breach(breach_id, current_user)
    rectified = request.form.get("rectified") == "yes"
    return _breach_step(breach_id, BreachOutcomeForm(), lambda c, f: services.record_outcome(
        c, rectified, note=f.note.data or "", reinspected_on=f.reinspected_on.data,
        penalty_ref=f.penalty_ref.data or None),
        "已确认整改到位，案件办结。" if rectified else "已确认未整改到位，已提请审批部门撤销许可。")


@bp.route("/breaches/<int:breach_id>/judicial-transfer", methods=["POST"])
@roles_required(*BREACH_WORKERS)
def breach_judicial_transfer(breach_id: int):
    """Record a transfer to the judicial authorities."""
    return _breach_step(breach_id, JudicialTransferForm(), lambda c, f:
                        services.record_judicial_transfer(c, f.reference.data,
                                                          f.transferred_on.data),
                        "已记录移送司法机关。")


@bp.route("/breaches/<int:breach_id>/rectification-notice.pdf")
@roles_required(*CASE_READERS)
def rectification_notice_pdf(breach_id: int):
    """责令限期整改通知书."""
    case_ = services.load_breach(breach_id, current_user)
    if case_.rectification_ordered_on is None:
        abort(404)
    return _pdf(documents.rectification_notice_pdf(case_), case_.rectification_number)


# --- home panels ------------------------------------------------------------------------------


#: The approval panel counts the last 30 days' results up to this many, then shows "500+".
RECENT_SHOWN = 500


@register_panel(Role.approver)
def _approval_panel(user):
    since = utcnow() - timedelta(days=30)
    # counted up to a bound (a list's size, not a report figure): a busy approval department
    # has some fifteen thousand results a month at a million cases, each a row to visit
    recent = db.session.scalar(select(func.count()).select_from(
        results_for_approval(user).with_only_columns(VerificationTask.id)
        .where(VerificationTask.pushed_dt >= since).order_by(None)
        .limit(RECENT_SHOWN + 1).subquery()))
    open_cases = services.count_open_cases(user)
    awaiting = supplements.count_awaiting_review(user)
    return Panel(
        title="核查结果与违诺处理",
        figures=[("近30日核查结果", shown_count(recent, RECENT_SHOWN)),
                 ("待决定撤销案件", open_cases), ("待审核补交材料", awaiting)],
        links=[("核查结果", url_for("revocation.results")),
               ("撤销案件", url_for("revocation.cases")),
               ("补交材料审核", url_for("supplements.supplement_list"))],
        warning=(f"有 {open_cases} 件撤销案件待决定。" if open_cases else None),
        order=15)


# --- what this domain adds to the pages of the domains below -----------------------------------


def _latest_case(licence_id: int) -> RevocationCase | None:
    return db.session.scalar(select(RevocationCase).where(
        RevocationCase.licence_id == licence_id).order_by(RevocationCase.id.desc()))


@register_task_context
def _task_page(task) -> dict:
    return {"revocation": _latest_case(task.licence_id),
            "breach": services.breach_case_of_task(task)}


@register_case_context
def _case_page(application) -> dict:
    licence = application.licence
    return {"revocation": _latest_case(licence.id) if licence is not None else None}


@register_supplement_context
def _supplement_page(obligation) -> dict:
    return {"case": db.session.scalar(select(RevocationCase).where(
        RevocationCase.supplement_id == obligation.id))}
