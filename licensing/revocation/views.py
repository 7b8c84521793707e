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
    send_file,
    url_for,
)
from flask_login import current_user
from sqlalchemy import func, select

from licensing.applicants.identity import mask_code
from licensing.audit.services import entries_for
from licensing.auth.access import roles_required
from licensing.auth.home import Panel, register_panel
from licensing.auth.models import Role
from licensing.auth.navigation import register_nav
from licensing.cases.models import SupplementStatus
from licensing.clock import utcnow
from licensing.errors import Conflict, DomainError
from licensing.extensions import db
from licensing.revocation import services, supplements
from licensing.revocation.documents import revocation_letter_pdf
from licensing.revocation.forms import DecisionForm, HandInForm, ReviewForm
from licensing.revocation.models import (
    RevocationCase,
    RevocationOrigin,
    RevocationStatus,
    SupplementSubmission,
)
from licensing.supervision.models import Outcome, VerificationTask
from licensing.supervision.services import action_label, results_for_approval
from licensing.supervision.uploads import stored_path
from licensing.url_ints import bounded_int

bp = Blueprint("revocation", __name__)

CASE_READERS = (Role.approver, Role.head, Role.inspector, Role.reform_office)
SUPPLEMENT_READERS = (Role.applicant, Role.clerk, Role.approver, Role.head, Role.inspector,
                      Role.reform_office)

register_nav("核查结果", "revocation.results", Role.approver, Role.reform_office, order=40)
register_nav("撤销案件", "revocation.cases", Role.approver, Role.head, Role.reform_office,
             order=42)
register_nav("补交材料审核", "revocation.supplement_list", Role.approver, order=44)
register_nav("补交材料", "revocation.supplement_list", Role.applicant, Role.clerk, order=44)


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
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    tasks = db.session.scalars(stmt.limit(50).offset((page - 1) * 50)).all()
    return render_template("revocation/results.html", tasks=tasks, outcome=outcome,
                           late=request.args.get("late") == "1", page=page,
                           outcomes=list(Outcome), mask_code=mask_code)


# --- revocation cases -------------------------------------------------------------------------


@bp.route("/revocations")
@roles_required(*CASE_READERS)
def cases():
    """Revocation cases of the department; those awaiting a decision first."""
    stmt = services.visible_cases(current_user)
    status = request.args.get("status", "requested")
    if status in RevocationStatus.__members__:
        stmt = stmt.where(RevocationCase.status == RevocationStatus(status))
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    rows = db.session.scalars(stmt.order_by(RevocationCase.requested_dt.desc(),
                                            RevocationCase.id.desc())
                              .limit(50).offset((page - 1) * 50)).all()
    return render_template("revocation/list.html", cases=rows, status=status, page=page,
                           statuses=list(RevocationStatus), mask_code=mask_code)


@bp.route("/revocations/<int:case_id>")
@roles_required(*CASE_READERS)
def show(case_id: int):
    """One revocation case: the request, the facts, the decision form or the decision."""
    case_ = services.load_case(case_id, current_user)
    form = DecisionForm(formdata=None, lock_version=case_.lock_version,
                        legal_basis=case_.default_legal_basis)
    return render_template("revocation/show.html", case=case_, form=form,
                           can_decide=case_.can_decide(current_user) and case_.is_open,
                           history=entries_for("revocation_case", case_.id),
                           action_label=action_label,
                           Origin=RevocationOrigin, mask_code=mask_code)


@bp.route("/revocations/<int:case_id>/decision", methods=["POST"])
@roles_required(Role.approver)
def decide(case_id: int):
    """Revoke the licence, or decide not to."""
    case_ = services.load_case(case_id, current_user)
    form = DecisionForm()
    outcome = request.form.get("outcome")
    if not form.validate_on_submit() or outcome not in ("revoke", "dismiss"):
        flash("请选择决定：撤销许可或不予撤销。", "error")
        return redirect(url_for("revocation.show", case_id=case_id))
    version = form.lock_version.data
    try:
        if outcome == "revoke":
            services.revoke(case_.licence, form.reason.data, legal_basis=form.legal_basis.data,
                            case=case_, expected_version=version)
        else:
            services.dismiss(case_, form.reason.data, expected_version=version)
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash("已作出撤销行政许可决定，许可证即时失效。" if outcome == "revoke"
              else "已作出不予撤销的决定。", "success")
    return redirect(url_for("revocation.show", case_id=case_id))


@bp.route("/revocations/<int:case_id>/letter.pdf")
@roles_required(*CASE_READERS)
def letter_pdf(case_id: int):
    """The revocation letter (撤销行政许可决定书)."""
    case_ = services.load_case(case_id, current_user)
    if case_.status != RevocationStatus.revoked:
        abort(404)
    response = Response(revocation_letter_pdf(case_), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{case_.letter_number}.pdf"'
    return response


# --- supplements ------------------------------------------------------------------------------


@bp.route("/supplements")
@roles_required(*SUPPLEMENT_READERS)
def supplement_list():
    """Promised materials: the applicant's own, or the department's."""
    stmt = supplements.visible_supplements(current_user)
    default = "submitted" if current_user.role == Role.approver else ""
    status = request.args.get("status", default)
    from licensing.cases.models import SupplementObligation

    if status in SupplementStatus.__members__:
        stmt = stmt.where(SupplementObligation.status == SupplementStatus(status))
    page = max(request.args.get("page", 1, type=bounded_int), 1)
    rows = db.session.scalars(stmt.order_by(SupplementObligation.supplement_due_on,
                                            SupplementObligation.id)
                              .limit(50).offset((page - 1) * 50)).all()
    return render_template("revocation/supplements.html", rows=rows, status=status, page=page,
                           statuses=list(SupplementStatus), mask_code=mask_code)


@bp.route("/supplements/<int:supplement_id>")
@roles_required(*SUPPLEMENT_READERS)
def supplement(supplement_id: int):
    """One promised material: hand it in, or review it."""
    obligation = supplements.load_supplement(supplement_id, current_user)
    return render_template(
        "revocation/supplement.html", s=obligation,
        submissions=supplements.submissions_of(obligation),
        can_hand_in=(supplements.can_hand_in(current_user, obligation)
                     and obligation.status == SupplementStatus.pending),
        can_review=(supplements.can_review(current_user, obligation)
                    and obligation.status == SupplementStatus.submitted),
        hand_in_form=HandInForm(formdata=None), review_form=ReviewForm(formdata=None),
        case=db.session.scalar(select(RevocationCase).where(
            RevocationCase.supplement_id == obligation.id)),
        Status=SupplementStatus, mask_code=mask_code)


@bp.route("/supplements/<int:supplement_id>/hand-in", methods=["POST"])
@roles_required(Role.applicant, Role.clerk)
def hand_in(supplement_id: int):
    """Hand in a promised material (a file, or a note on the paper handed over)."""
    obligation = supplements.load_supplement(supplement_id, current_user)
    form = HandInForm()
    if not form.validate_on_submit():
        flash("提交失败，请重试。", "error")
        return redirect(url_for("revocation.supplement", supplement_id=supplement_id))
    upload = form.file.data
    has_file = upload is not None and getattr(upload, "filename", "")
    try:
        supplements.hand_in_supplement(
            obligation, stream=upload.stream if has_file else None,
            filename=upload.filename if has_file else None, note=form.note.data or "")
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash("材料已补交，等待审批部门审核。", "success")
    return redirect(url_for("revocation.supplement", supplement_id=supplement_id))


@bp.route("/supplements/<int:supplement_id>/review", methods=["POST"])
@roles_required(Role.approver)
def review(supplement_id: int):
    """Accept a handed-in material, or reject it (which opens a revocation case)."""
    obligation = supplements.load_supplement(supplement_id, current_user)
    form = ReviewForm()
    outcome = request.form.get("outcome")
    if not form.validate_on_submit() or outcome not in ("accept", "reject"):
        flash("请选择审核结果。", "error")
        return redirect(url_for("revocation.supplement", supplement_id=supplement_id))
    try:
        if outcome == "accept":
            supplements.accept_supplement(obligation, note=form.note.data or "")
        else:
            supplements.reject_supplement(obligation, form.note.data or "")
    except DomainError as exc:
        _flash_error(exc)
    else:
        flash("已审核通过。" if outcome == "accept"
              else "已认定材料不符合要求，已立撤销案件并告知监管部门。", "success")
    return redirect(url_for("revocation.supplement", supplement_id=supplement_id))


@bp.route("/supplements/<int:supplement_id>/files/<int:submission_id>")
@roles_required(*SUPPLEMENT_READERS)
def supplement_file(supplement_id: int, submission_id: int):
    """Serve a handed-in file to those who may see the supplement, and to no one else."""
    obligation = supplements.load_supplement(supplement_id, current_user)
    submission = db.session.get(SupplementSubmission, submission_id)
    if (submission is None or submission.supplement_id != obligation.id
            or submission.stored_name is None):
        abort(404)
    path = stored_path(supplements.SUPPLEMENT_FOLDER, submission.stored_name)
    if not path.is_file():
        abort(404)
    return send_file(path, mimetype=submission.content_type,
                     download_name=submission.original_name or submission.stored_name,
                     as_attachment=False, max_age=0, etag=submission.sha256)


# --- home panels ------------------------------------------------------------------------------


@register_panel(Role.approver)
def _approval_panel(user):
    since = utcnow() - timedelta(days=30)
    recent = db.session.scalar(
        results_for_approval(user).with_only_columns(func.count(VerificationTask.id))
        .where(VerificationTask.pushed_dt >= since).order_by(None)) or 0
    open_cases = services.count_open_cases(user)
    awaiting = supplements.count_awaiting_review(user)
    return Panel(
        title="核查结果与违诺处理",
        figures=[("近30日核查结果", recent), ("待决定撤销案件", open_cases),
                 ("待审核补交材料", awaiting)],
        links=[("核查结果", url_for("revocation.results")),
               ("撤销案件", url_for("revocation.cases")),
               ("补交材料审核", url_for("revocation.supplement_list"))],
        warning=(f"有 {open_cases} 件撤销案件待决定。" if open_cases else None),
        order=15)


@register_panel(Role.applicant)
def _applicant_supplements_panel(user):
    from licensing.cases.models import SupplementObligation

    pending = db.session.scalar(
        supplements.visible_supplements(user).with_only_columns(
            func.count(SupplementObligation.id))
        .where(SupplementObligation.status == SupplementStatus.pending).order_by(None)) or 0
    if not pending:
        return None
    return Panel(title="承诺补交材料", figures=[("待补交", pending)],
                 links=[("补交材料", url_for("revocation.supplement_list", status="pending"))],
                 warning="请在承诺期限内补交材料，逾期未交的将依法撤销许可。", order=12)
