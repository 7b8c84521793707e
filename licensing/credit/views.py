"""Credit pages: an applicant's credit record, repair and objection forms, the push queue.

Credit records belong to applicants, not to departments: every staff role may read them
(they decide eligibility at the counter and the intensity of supervision). Repairs and
objections are recorded by approvers and administrators; the push queue is for administrators.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from licensing.applicants.identity import normalise_code
from licensing.applicants.models import Applicant
from licensing.auth.access import roles_required
from licensing.auth.home import Panel, register_panel
from licensing.auth.models import Role
from licensing.auth.navigation import register_nav
from licensing.clock import local_today
from licensing.credit import outbox as outbox_service
from licensing.credit.forms import ActionForm, ObjectionForm, RepairForm, ResolveObjectionForm
from licensing.credit.models import (
    BARRING_TYPES,
    CreditObjection,
    CreditRecord,
    CreditRecordStatus,
    OutboxMessage,
    OutboxStatus,
)
from licensing.credit.services import (
    assess,
    check_eligibility,
    checks_of,
    current_risk_level,
    file_objection,
    mark_repaired,
    open_objections,
    records_of,
    resolve_objection,
    sampling_ratio,
)
from licensing.errors import DomainError
from licensing.extensions import db

bp = Blueprint("credit", __name__, url_prefix="/credit")

VIEW_ROLES = (Role.clerk, Role.approver, Role.inspector, Role.head, Role.reform_office,
              Role.admin)
EDIT_ROLES = (Role.approver, Role.admin)
CHECK_ROLES = (Role.clerk, Role.approver, Role.admin)

register_nav("信用记录", "credit.index", *VIEW_ROLES, order=40)
register_nav("信用推送队列", "credit.outbox", Role.admin, order=85)

_LIST_LIMIT = 100


def _get_or_404(model, object_id: int):
    obj = db.session.get(model, object_id)
    if obj is None:
        abort(404)
    return obj


def current_user_can(*roles: Role) -> bool:
    """Whether the logged-in user has one of these roles (for showing buttons)."""
    from flask_login import current_user

    return current_user.is_authenticated and current_user.role in roles


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@bp.route("/")
@roles_required(*VIEW_ROLES)
def index():
    """Find an applicant by code or name; list the applicants currently barred."""
    query = (request.args.get("q") or "").strip()[:100]
    results = None
    if query:
        code = normalise_code(query)
        pattern = f"%{_escape_like(query)}%"
        results = list(db.session.scalars(
            select(Applicant)
            .where(or_(Applicant.code == code, Applicant.name.ilike(pattern, escape="\\")))
            .order_by(Applicant.name).limit(_LIST_LIMIT)))
        if len(results) == 1 and results[0].code == code:
            return redirect(url_for("credit.applicant", applicant_id=results[0].id))
    barred_records = list(db.session.scalars(
        select(CreditRecord)
        .options(selectinload(CreditRecord.objections), selectinload(CreditRecord.applicant))
        .where(CreditRecord.record_type.in_(list(BARRING_TYPES)),
               CreditRecord.status == CreditRecordStatus.active)
        .order_by(CreditRecord.start_on.desc()).limit(_LIST_LIMIT * 2)))
    barred = {}
    for record in barred_records:
        if record.open_objection is None and record.applicant_id not in barred:
            barred[record.applicant_id] = record
    return render_template("credit/index.html", query=query, results=results,
                           barred=list(barred.values())[:_LIST_LIMIT],
                           objections=open_objections(), today=local_today())


@bp.route("/applicants/<int:applicant_id>")
@roles_required(*VIEW_ROLES)
def applicant(applicant_id: int):
    """An applicant's credit record: risk level, records, objections, latest checks."""
    subject = _get_or_404(Applicant, applicant_id)
    records = records_of(subject)
    level = current_risk_level(subject)
    return render_template(
        "credit/applicant.html", applicant=subject, records=records,
        assessment=assess(records), risk_level=level, ratio=sampling_ratio(level),
        checks=checks_of(subject, limit=10), action_form=ActionForm(),
        can_edit=current_user_can(*EDIT_ROLES), can_check=current_user_can(*CHECK_ROLES),
        today=local_today())


@bp.route("/applicants/<int:applicant_id>/check", methods=["POST"])
@roles_required(*CHECK_ROLES)
def run_check(applicant_id: int):
    """Run a credit check now (outside an application) and show its answer."""
    subject = _get_or_404(Applicant, applicant_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    check = check_eligibility(subject)
    if check.eligible:
        flash("信用核查通过：" + "；".join(check.reasons),
              "warning" if check.degraded else "success")
    else:
        flash("不符合适用告知承诺制的信用条件：" + "；".join(check.reasons), "error")
    return redirect(url_for("credit.applicant", applicant_id=subject.id))


def _record_form(record: CreditRecord, form, template_title: str, action, success: str):
    if form.validate_on_submit():
        try:
            action(form)
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
            return render_template("credit/record_form.html", record=record, form=form,
                                   title=template_title), 422
        flash(success, "success")
        return redirect(url_for("credit.applicant", applicant_id=record.applicant_id))
    status = 422 if form.errors else 200
    return render_template("credit/record_form.html", record=record, form=form,
                           title=template_title), status


@bp.route("/records/<int:record_id>/repair", methods=["GET", "POST"])
@roles_required(*EDIT_ROLES)
def repair(record_id: int):
    """Mark a record repaired, with the date and basis of the repair decision."""
    record = _get_or_404(CreditRecord, record_id)
    form = RepairForm()
    if request.method == "GET" and form.repaired_on.data is None:
        form.repaired_on.data = local_today()
    return _record_form(
        record, form, "信用修复",
        lambda f: mark_repaired(record, f.repaired_on.data, f.basis.data),
        "已登记信用修复，该记录不再限制适用告知承诺制。")


@bp.route("/records/<int:record_id>/objection", methods=["GET", "POST"])
@roles_required(*EDIT_ROLES)
def objection(record_id: int):
    """File an objection against a record; its use is suspended until it is decided."""
    record = _get_or_404(CreditRecord, record_id)
    form = ObjectionForm()
    if request.method == "GET" and form.filed_on.data is None:
        form.filed_on.data = local_today()
    return _record_form(
        record, form, "登记异议",
        lambda f: file_objection(record, f.reason.data, filed_on=f.filed_on.data),
        "已登记异议，异议处理期间暂停使用该记录。")


@bp.route("/objections/<int:objection_id>/resolve", methods=["GET", "POST"])
@roles_required(*EDIT_ROLES)
def resolve(objection_id: int):
    """Decide an objection: upheld (the record is withdrawn) or rejected."""
    item = _get_or_404(CreditObjection, objection_id)
    form = ResolveObjectionForm()
    if request.method == "GET" and form.resolved_on.data is None:
        form.resolved_on.data = local_today()
    return _record_form(
        item.record, form, "处理异议",
        lambda f: resolve_objection(item, f.outcome.data, f.resolution.data,
                                    resolved_on=f.resolved_on.data),
        "异议已处理。")


@bp.route("/outbox")
@roles_required(Role.admin)
def outbox():
    """The push queue: counts per status, messages needing attention, the latest ones."""
    return render_template("credit/outbox.html", summary=outbox_service.outbox_summary(),
                           problems=outbox_service.problem_messages(),
                           recent=outbox_service.recent_messages(), action_form=ActionForm(),
                           statuses=list(OutboxStatus))


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@roles_required(Role.admin)
def retry(message_id: int):
    """Make a message due at once (audited); the next sender run sends it."""
    message = _get_or_404(OutboxMessage, message_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        outbox_service.retry_now(message)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("credit.outbox"))
    flash(f"消息 {message_id} 已重新排队，将在下次推送时发送。", "success")
    return redirect(url_for("credit.outbox"))


@register_panel(Role.admin)
def _outbox_panel(user) -> Panel | None:
    summary = outbox_service.outbox_summary()
    warning = None
    if summary.flagged:
        warning = f"有{summary.flagged}条信用推送消息被拒收或长时间未送达，请检查。"
    return Panel(
        title="信用信息推送",
        figures=[("待发送", summary.by_status[OutboxStatus.pending]),
                 ("已送达", summary.by_status[OutboxStatus.delivered]),
                 ("需处理", summary.flagged)],
        links=[("查看推送队列", url_for("credit.outbox"))],
        warning=warning, order=60)


@register_panel(Role.approver, Role.admin)
def _objection_panel(user) -> Panel | None:
    pending = open_objections()
    if not pending:
        return None
    overdue = sum(1 for o in pending if o.due_on < local_today())
    return Panel(
        title="信用异议",
        figures=[("处理中", len(pending)), ("已超期", overdue)],
        links=[("查看信用记录", url_for("credit.index"))],
        warning=f"有{overdue}件信用异议已超过处理期限。" if overdue else None, order=70)
