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

from licensing.applicants.identity import mask_code
from licensing.audit.services import entries_for
from licensing.auth.access import roles_required
from licensing.auth.home import Panel, register_panel
from licensing.auth.models import Role
from licensing.auth.navigation import register_nav
from licensing.cases.views import register_case_context
from licensing.clock import utcnow
from licensing.enforcement import services
from licensing.enforcement.documents import revocation_letter_pdf
from licensing.enforcement.forms import DecisionForm
from licensing.enforcement.models import (
    RevocationCase,
    RevocationOrigin,
    RevocationStatus,
)
from licensing.errors import Conflict, DomainError
from licensing.extensions import db
from licensing.supervision.models import Outcome, VerificationTask
from licensing.supervision.services import action_label, results_for_approval
from licensing.supervision.views import register_task_context
from licensing.supplements import services as supplements
from licensing.supplements.views import register_supplement_context

bp = Blueprint("revocation", __name__)

CASE_READERS = (Role.approver, Role.head, Role.inspector, Role.reform_office)
SUPPLEMENT_READERS = (Role.applicant, Role.clerk, Role.approver, Role.head, Role.inspector,
                      Role.reform_office)

register_nav("核查结果", "revocation.results", Role.approver, Role.reform_office, order=40)
register_nav("撤销案件", "revocation.cases", Role.approver, Role.head, Role.reform_office,
             order=42)


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
    page = max(request.args.get("page", 1, type=int), 1)
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
    page = max(request.args.get("page", 1, type=int), 1)
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
