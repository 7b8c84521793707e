"""A licence's own page for staff and its holder: facts, versions, documents, procedures.

Nested in the ``cases`` blueprint (endpoints ``cases.licences.*``). Thin handlers: each
loads the licence through the user's scope of applications, calls one service, and shows a
refusal as a message without losing anything saved.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from licensing.auth.access import roles_required
from licensing.auth.models import Role
from licensing.cases import licences, services
from licensing.cases.forms import CancellationForm, LicenceRequestForm, ServiceForm
from licensing.cases.models import Application, Channel, Licence, LicenceDocument, Purpose
from licensing.cases.queries import visible_applications
from licensing.errors import DomainError
from licensing.extensions import db

bp = Blueprint("licences", __name__)

VIEWERS = (Role.clerk, Role.approver, Role.head, Role.inspector, Role.reform_office,
           Role.admin, Role.applicant)
REQUESTERS = (Role.clerk, Role.approver, Role.applicant)
SERVERS = (Role.clerk, Role.approver)


def load_licence(number: str) -> Licence:
    """The licence with this number, if the user may see its issuing application; else 404."""
    application = db.session.scalars(
        visible_applications(current_user).join(Licence, Licence.application_id == Application.id)
        .where(Licence.number == number)).first()
    if application is None or application.licence is None:
        abort(404)
    return application.licence


def _back(number: str):
    return redirect(url_for("cases.licences.show", number=number))


@bp.route("/licences/<number>")
@roles_required(*VIEWERS)
def show(number: str):
    """The licence as issued and as it stands, its versions and documents, and its procedures."""
    licence = load_licence(number)
    return render_template(
        "cases/licence.html", licence=licence, status=licences.public_status(licence),
        history=licences.history(licence), documents=licences.documents_of(licence),
        validity=licences.validity_text(licence), request_form=LicenceRequestForm(),
        cancel_form=CancellationForm(), service_form=ServiceForm(),
        can_request=current_user.role in REQUESTERS,
        can_cancel=current_user.role == Role.approver,
        can_serve=current_user.role in SERVERS,
        renewal_last_day=licences.renewal_last_day(licence))


@bp.route("/licences/<number>/documents/<int:document_id>.pdf")
@roles_required(*VIEWERS)
def document_pdf(number: str, document_id: int):
    """A document issued on the licence, printed exactly as issued."""
    licence = load_licence(number)
    stored = db.session.get(LicenceDocument, document_id)
    if stored is None or stored.licence_id != licence.id:
        abort(404)
    response = Response(licences.render_document(stored), mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'inline; filename="{licence.number}-{stored.kind}-{stored.id}.pdf"')
    return response


@bp.route("/licences/<number>/requests", methods=["POST"])
@roles_required(*REQUESTERS)
def open_request(number: str):
    """Open the change, renewal or reissue case; it goes on on the application's page."""
    licence = load_licence(number)
    form = LicenceRequestForm()
    if not form.validate_on_submit():
        flash("请检查填写的内容。", "error")
        return _back(number)
    try:
        purpose = Purpose(form.purpose.data)
        if purpose == Purpose.issue:
            raise ValueError
    except ValueError:
        abort(400)
    changes = {field: getattr(form, field).data for field in licences.CHANGEABLE
               if getattr(form, field).data}
    channel = Channel.online if current_user.role == Role.applicant else Channel.counter
    try:
        application = services.start_licence_request(
            licence, purpose, channel, actor=current_user,
            changes=changes if purpose == Purpose.change else None)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return _back(number)
    flash(f"已创建{purpose.label}申请，请继续办理。", "success")
    return redirect(url_for("cases.show", public_id=application.public_id))


@bp.route("/licences/<number>/cancel", methods=["POST"])
@roles_required(Role.approver)
def cancel(number: str):
    """Cancel (注销) the licence with its cancellation decision."""
    licence = load_licence(number)
    form = CancellationForm()
    if not form.validate_on_submit():
        flash("请选择注销原因。", "error")
        return _back(number)
    try:
        licences.cancel(licence, form.reason.data, actor=current_user, note=form.note.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash(f"许可证 {licence.number} 已注销。", "success")
    return _back(number)


@bp.route("/licences/<number>/documents/<int:document_id>/service", methods=["POST"])
@roles_required(*SERVERS)
def serve(number: str, document_id: int):
    """Record how and when a document was served (送达)."""
    licence = load_licence(number)
    stored = db.session.get(LicenceDocument, document_id)
    if stored is None or stored.licence_id != licence.id:
        abort(404)
    form = ServiceForm()
    if not form.validate_on_submit():
        flash("请完整填写送达方式、送达日期和受送达人。", "error")
        return _back(number)
    try:
        licences.record_service(stored, form.method.data, form.served_on.data,
                                form.served_to.data, actor=current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        flash("已记录送达。", "success")
    return _back(number)
