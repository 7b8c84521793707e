"""Pages of the account-to-company links: the applicant's own, and the counter's."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_login import current_user

from licensing.applicants import links
from licensing.applicants.forms import CounterLinkForm, RevokeLinkForm, SelfLinkForm
from licensing.applicants.identity import mask_code, mask_id_number
from licensing.auth.access import roles_required
from licensing.auth.models import OidcIdentity, Role
from licensing.auth.navigation import register_nav
from licensing.errors import DomainError
from licensing.extensions import db

bp = Blueprint("applicants", __name__)

register_nav("我的企业", "applicants.my_companies", Role.applicant, order=5)
register_nav("账号关联", "applicants.counter_links", Role.clerk, order=60)


def _identity():
    return db.session.scalar(db.select(OidcIdentity).where(
        OidcIdentity.user_id == current_user.id))


@bp.route("/account/companies")
@roles_required(Role.applicant)
def my_companies():
    """The companies the account acts for, and those it may link itself to."""
    own = links.links_of_user(current_user)
    linked = {link.applicant.code for link in own if link.active}
    asserted = links.represented_codes(session.get("oidc_represents") or [])
    return render_template("applicants/companies.html", links=own, identity=_identity(),
                           offered={c: n for c, n in asserted.items() if c not in linked},
                           form=SelfLinkForm(), mask_id_number=mask_id_number)


@bp.route("/account/companies/link", methods=["POST"])
@roles_required(Role.applicant)
def link_self():
    """Link the account to a company the identity platform says the person represents."""
    form = SelfLinkForm()
    if form.validate_on_submit():
        try:
            link = links.link_as_legal_representative(
                current_user, form.code.data, session.get("oidc_represents") or [])
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "error")
        else:
            db.session.commit()
            flash(f"已关联企业：{link.applicant.name}。现在可以为该企业网上申请。", "success")
    else:
        flash("请选择要关联的企业。", "error")
    return redirect(url_for("applicants.my_companies"))


@bp.route("/applicant-links", methods=["GET", "POST"])
@roles_required(Role.clerk)
def counter_links():
    """The counter links an account on a checked authorisation, and sees the active links."""
    form = CounterLinkForm()
    if form.validate_on_submit():
        try:
            link = links.link_by_authorisation(current_user, form.id_number.data,
                                               form.credit_code.data, form.company_name.data,
                                               form.evidence.data)
        except DomainError as exc:
            db.session.rollback()
            field = {"invalid_id_number": form.id_number, "account_not_found": form.id_number,
                     "invalid_credit_code": form.credit_code,
                     "invalid_applicant_name": form.company_name,
                     "unprintable_character": form.company_name}.get(exc.code, form.evidence)
            field.errors.append(exc.message)
        else:
            db.session.commit()
            flash(f"已将申请人账号关联到企业：{link.applicant.name}。", "success")
            return redirect(url_for("applicants.counter_links"))
    return render_template("applicants/counter_links.html", form=form,
                           links=links.active_links(), revoke_form=RevokeLinkForm(),
                           mask_code=mask_code)


@bp.route("/applicant-links/<int:link_id>/revoke", methods=["POST"])
@roles_required(Role.clerk)
def revoke(link_id: int):
    """End a link, with the reason."""
    form = RevokeLinkForm()
    try:
        link = links.revoke_link(link_id, current_user, form.reason.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    else:
        db.session.commit()
        flash(f"已撤销与企业“{link.applicant.name}”的关联。", "success")
    return redirect(url_for("applicants.counter_links"))
