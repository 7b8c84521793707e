"""Pages of promised supplements: the list, one supplement, hand-in, review, the files."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import func

from licensing.applicants.identity import mask_code
from licensing.auth.access import roles_required
from licensing.auth.home import Panel, register_panel
from licensing.auth.models import Role
from licensing.auth.navigation import register_nav
from licensing.errors import Conflict, DomainError
from licensing.extensions import db
from licensing.paging import requested_page
from licensing.supplements import services as supplements
from licensing.supplements.forms import HandInForm, ReviewForm
from licensing.supplements.models import (
    SupplementObligation,
    SupplementStatus,
    SupplementSubmission,
)
from licensing.uploads import stored_path

bp = Blueprint("supplements", __name__)

SUPPLEMENT_READERS = (Role.applicant, Role.clerk, Role.approver, Role.head, Role.inspector,
                      Role.reform_office)

register_nav("补交材料审核", "supplements.supplement_list", Role.approver, order=44)
register_nav("补交材料", "supplements.supplement_list", Role.applicant, Role.clerk, order=44)

#: Callables ``(obligation) -> dict`` adding to the supplement page's context; the enforcement
#: domain registers the revocation case opened on the supplement.
SUPPLEMENT_PAGE_CONTEXT: list = []


def register_supplement_context(function):
    """Register a callable adding to the supplement page's context (decorator)."""
    SUPPLEMENT_PAGE_CONTEXT.append(function)
    return function


def _flash_error(exc: DomainError) -> None:
    db.session.rollback()
    flash(exc.message, "warning" if isinstance(exc, Conflict) else "error")


# --- pages ------------------------------------------------------------------------------


@bp.route("/supplements")
@roles_required(*SUPPLEMENT_READERS)
def supplement_list():
    """Promised materials: the applicant's own, or the department's."""
    stmt = supplements.visible_supplements(current_user)
    default = "submitted" if current_user.role == Role.approver else ""
    status = request.args.get("status", default)
    if status in SupplementStatus.__members__:
        stmt = stmt.where(SupplementObligation.status == SupplementStatus(status))
    listed = supplements.supplement_page(stmt, after=request.args.get("after"),
                                         page=requested_page())
    return render_template("supplements/supplements.html", listed=listed, status=status,
                           statuses=list(SupplementStatus), mask_code=mask_code)


@bp.route("/supplements/<int:supplement_id>")
@roles_required(*SUPPLEMENT_READERS)
def supplement(supplement_id: int):
    """One promised material: hand it in, or review it."""
    obligation = supplements.load_supplement(supplement_id, current_user)
    return render_template(
        "supplements/supplement.html", s=obligation,
        submissions=supplements.submissions_of(obligation),
        can_hand_in=(supplements.can_hand_in(current_user, obligation)
                     and obligation.status == SupplementStatus.pending),
        can_review=(supplements.can_review(current_user, obligation)
                    and obligation.status == SupplementStatus.submitted),
        hand_in_form=HandInForm(formdata=None), review_form=ReviewForm(formdata=None),
        Status=SupplementStatus, mask_code=mask_code,
        **{"case": None, **{k: v for extra in SUPPLEMENT_PAGE_CONTEXT
                            for k, v in extra(obligation).items()}})


@bp.route("/supplements/<int:supplement_id>/hand-in", methods=["POST"])
@roles_required(Role.applicant, Role.clerk)
def hand_in(supplement_id: int):
    """Hand in a promised material (a file, or a note on the paper handed over)."""
    obligation = supplements.load_supplement(supplement_id, current_user)
    form = HandInForm()
    if not form.validate_on_submit():
        flash("提交失败，请重试。", "error")
        return redirect(url_for("supplements.supplement", supplement_id=supplement_id))
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
    return redirect(url_for("supplements.supplement", supplement_id=supplement_id))


@bp.route("/supplements/<int:supplement_id>/review", methods=["POST"])
@roles_required(Role.approver)
def review(supplement_id: int):
    """Accept a handed-in material, or reject it (which opens a revocation case)."""
    obligation = supplements.load_supplement(supplement_id, current_user)
    form = ReviewForm()
    outcome = request.form.get("outcome")
    if not form.validate_on_submit() or outcome not in ("accept", "reject"):
        flash("请选择审核结果。", "error")
        return redirect(url_for("supplements.supplement", supplement_id=supplement_id))
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
    return redirect(url_for("supplements.supplement", supplement_id=supplement_id))


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


# --- home panel ---


@register_panel(Role.applicant)
def _applicant_supplements_panel(user):
    pending = db.session.scalar(
        supplements.visible_supplements(user).with_only_columns(
            func.count(SupplementObligation.id))
        .where(SupplementObligation.status == SupplementStatus.pending).order_by(None)) or 0
    if not pending:
        return None
    return Panel(title="承诺补交材料", figures=[("待补交", pending)],
                 links=[("补交材料", url_for("supplements.supplement_list", status="pending"))],
                 warning="请在承诺期限内补交材料，逾期未交的将依法撤销许可。", order=12)
