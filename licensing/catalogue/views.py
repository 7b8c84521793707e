"""Catalogue pages: administration (事项管理) and the public guide and one-time notice."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    send_from_directory,
    url_for,
)
from sqlalchemy import func, select

from licensing.auth.access import public, roles_required
from licensing.auth.home import Panel, register_panel
from licensing.auth.models import Role
from licensing.auth.navigation import register_nav
from licensing.catalogue import services
from licensing.catalogue.errors import (
    ExcludedFromCommitment,
    ExclusionsMismatch,
    ExclusionsUnconfirmed,
    InvalidValidity,
    StaleDraft,
    VersionIncomplete,
)
from licensing.catalogue.forms import NewItemForm, PublishForm, RetireForm, VersionForm
from licensing.catalogue.models import Exclusion, ItemVersion, VersionStatus
from licensing.catalogue.pdf import notice_pdf
from licensing.clock import local_today
from licensing.errors import DomainError, ValidationFailed
from licensing.extensions import db
from licensing.url_ints import bounded_int

bp = Blueprint("catalogue", __name__)

STATIC_DIR = Path(__file__).resolve().parent / "static"
ALL_ROLES = tuple(Role)

register_nav("事项管理", "catalogue.admin_items", Role.admin, order=80)
register_nav("办事指南", "catalogue.guide_list", *ALL_ROLES, order=90)


@register_panel(Role.admin)
def _admin_panel(user) -> Panel:
    drafts = db.session.scalar(select(func.count()).select_from(ItemVersion)
                               .where(ItemVersion.status == VersionStatus.draft))
    in_force = len(services.guide_versions())
    return Panel(
        title="事项清单",
        figures=[("在用事项", in_force), ("待发布草稿", drafts or 0)],
        links=[("事项管理", url_for("catalogue.admin_items")),
               ("办事指南", url_for("catalogue.guide_list"))],
        order=50,
    )


# --- Administration --------------------------------------------------------------------------


@bp.route("/admin/catalogue")
@roles_required(Role.admin)
def admin_items():
    """List and search the items, with their version in force and their draft."""
    search = request.args.get("q", "").strip()[:100]
    rows = services.list_items(search or None)
    return render_template("catalogue/admin_list.html", rows=rows, search=search)


@bp.route("/admin/catalogue/new", methods=["GET", "POST"])
@roles_required(Role.admin)
def admin_new():
    """Create an item: its first draft, to be completed on the edit page."""
    form = NewItemForm()
    if form.validate_on_submit():
        try:
            version = services.create_item(form.code.data, form.to_content(),
                                           change_note="新建事项")
        except ValidationFailed as exc:
            db.session.rollback()
            form.code.errors = [*form.code.errors, exc.message]
        else:
            flash("已新建事项草稿，请补全内容后发布。", "success")
            return redirect(url_for("catalogue.admin_edit", code=version.item.code,
                                    number=version.number))
    status = 422 if request.method == "POST" else 200
    return render_template("catalogue/admin_new.html", form=form), status


@bp.route("/admin/catalogue/<code>")
@roles_required(Role.admin)
def admin_item(code: str):
    """An item's versions: status, validity, and what can be done with each."""
    item = services.get_item(code)
    today = local_today()
    in_force = services.version_in_force(item, today)
    rows = [(v, services.valid_until(v)) for v in reversed(item.versions)]
    return render_template("catalogue/admin_item.html", item=item, rows=rows,
                           in_force=in_force, today=today)


@bp.route("/admin/catalogue/<code>/versions/<int:number>")
@roles_required(Role.admin)
def admin_version(code: str, number: int):
    """One version in full, with publishing and retiring for the ones that allow it."""
    version = services.get_version(code, number)
    problems = services.publication_problems(version) if version.is_draft else []
    earliest = services.earliest_valid_from(version.item)
    publish_form = PublishForm(valid_from_on=max(earliest or local_today(), local_today()))
    retire_form = RetireForm(retired_on=max(local_today(), version.valid_from_on or local_today()))
    return render_template("catalogue/admin_version.html", version=version,
                           rules=services.item_rules_dict(version), problems=problems,
                           publish_form=publish_form, retire_form=retire_form,
                           earliest=earliest, grounds=list(Exclusion))


@bp.route("/admin/catalogue/<code>/draft", methods=["POST"])
@roles_required(Role.admin)
def admin_start_draft(code: str):
    """Open the item's draft, copying the latest version if there is none."""
    version = services.start_draft(services.get_item(code))
    return redirect(url_for("catalogue.admin_edit", code=code, number=version.number))


@bp.route("/admin/catalogue/<code>/versions/<int:number>/edit", methods=["GET", "POST"])
@roles_required(Role.admin)
def admin_edit(code: str, number: int):
    """Edit a draft; a form opened before someone else's save is refused (optimistic lock)."""
    version = services.get_version(code, number)
    if not version.is_draft:
        flash("已发布的版本不可修改；请生成新草稿。", "warning")
        return redirect(url_for("catalogue.admin_item", code=code))
    form = VersionForm()
    general_errors: list[str] = []
    if request.method == "GET":
        form.fill(services.version_content(version), version.row_version, version.change_note)
    elif form.validate_on_submit():
        content = form.to_content()
        try:
            expected = int(form.row_version.data or 0)
            changed = services.update_draft(version, content, expected_row_version=expected,
                                            change_note=form.change_note.data or "")
        except StaleDraft as exc:
            db.session.rollback()
            return render_template("catalogue/admin_edit.html", form=form, version=version,
                                   general_errors=[exc.message], stale=True), 409
        except VersionIncomplete as exc:
            db.session.rollback()
            general_errors = form.attach(exc.problems)
        else:
            flash("草稿已保存。" if changed else "没有修改。", "success")
            return redirect(url_for("catalogue.admin_version", code=code, number=number))
    status = 422 if request.method == "POST" else 200
    return render_template("catalogue/admin_edit.html", form=form, version=version,
                           general_errors=general_errors, stale=False), status


@bp.route("/admin/catalogue/<code>/versions/<int:number>/publish", methods=["POST"])
@roles_required(Role.admin)
def admin_publish(code: str, number: int):
    """Publish a draft from a validity date."""
    version = services.get_version(code, number)
    form = PublishForm()
    if not form.validate_on_submit():
        flash("请选择有效的生效日期。", "error")
        return redirect(url_for("catalogue.admin_version", code=code, number=number))
    # each ground answered on the page: radio ``exclusion-<ground>`` = yes / no (none preset)
    answers = {ground.value: request.form.get(f"exclusion-{ground.value}")
               for ground in Exclusion}
    try:
        services.publish_version(version, form.valid_from_on.data,
                                 exclusion_check={k: v for k, v in answers.items() if v})
    except (ExcludedFromCommitment, ExclusionsUnconfirmed, ExclusionsMismatch,
            VersionIncomplete, InvalidValidity) as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("catalogue.admin_version", code=code, number=number))
    flash(f"第 {number} 版已发布，自 {form.valid_from_on.data.isoformat()} 起生效。", "success")
    return redirect(url_for("catalogue.admin_item", code=code))


@bp.route("/admin/catalogue/<code>/versions/<int:number>/retire", methods=["POST"])
@roles_required(Role.admin)
def admin_retire(code: str, number: int):
    """Take the item off the list from a date."""
    version = services.get_version(code, number)
    form = RetireForm()
    if not form.validate_on_submit():
        flash("请选择有效的停用日期。", "error")
        return redirect(url_for("catalogue.admin_version", code=code, number=number))
    try:
        services.retire_version(version, form.retired_on.data)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("catalogue.admin_version", code=code, number=number))
    flash(f"事项自 {form.retired_on.data.isoformat()} 起停用。", "success")
    return redirect(url_for("catalogue.admin_item", code=code))


@bp.route("/admin/catalogue/<code>/versions/<int:number>/discard", methods=["POST"])
@roles_required(Role.admin)
def admin_discard(code: str, number: int):
    """Delete a draft."""
    version = services.get_version(code, number)
    only_version = len(version.item.versions) == 1
    services.discard_draft(version)
    flash("草稿已删除。", "success")
    if only_version:
        return redirect(url_for("catalogue.admin_items"))
    return redirect(url_for("catalogue.admin_item", code=code))


@bp.route("/admin/catalogue/<code>/diff")
@roles_required(Role.admin)
def admin_diff(code: str):
    """The differences between two versions of an item (by default the last two)."""
    item = services.get_item(code)
    numbers = [v.number for v in item.versions]
    new_number = request.args.get("to", type=bounded_int) or numbers[-1]
    old_number = request.args.get("from", type=bounded_int) or (numbers[-2] if len(numbers) > 1
                                                         else numbers[-1])
    old = services.get_version(code, old_number)
    new = services.get_version(code, new_number)
    diff = services.diff_versions(old, new)
    return render_template("catalogue/admin_diff.html", item=item, diff=diff, numbers=numbers)


# --- Public guide ----------------------------------------------------------------------------


def _public_version(code: str) -> ItemVersion:
    """The version in force today, or the published version ``?v=N`` (e.g. of a case)."""
    number = request.args.get("v", type=bounded_int)
    if number is not None:
        return services.published_version(code, number)
    return services.current_version(code)


@bp.route("/guide")
@public
def guide_list():
    """The list of items in force, searchable."""
    search = request.args.get("q", "").strip()[:100]
    versions = services.guide_versions(search=search or None)
    return render_template("catalogue/guide_list.html", versions=versions, search=search)


@bp.route("/guide/<code>")
@public
def guide(code: str):
    """The service guide (办事指南) of one item."""
    version = _public_version(code)
    return render_template("catalogue/guide.html", version=version,
                           rules=services.item_rules_dict(version),
                           letter=services.sample_letter(version))


@bp.route("/guide/<code>/notice")
@public
def notice(code: str):
    """The one-time notice (一次性告知书), printable."""
    version = _public_version(code)
    return render_template("catalogue/notice.html", version=version,
                           rules=services.item_rules_dict(version), today=local_today())


@bp.route("/guide/<code>/notice.pdf")
@public
def notice_pdf_file(code: str):
    """The one-time notice as a PDF."""
    version = _public_version(code)
    data = notice_pdf(services.item_rules_dict(version), printed_on=local_today())
    filename = f"{version.item.code}-v{version.number}-一次性告知书.pdf"
    return send_file(BytesIO(data), mimetype="application/pdf", download_name=filename,
                     as_attachment=False, max_age=0)


@bp.route("/guide/print.css")
@public
def stylesheet():
    """The catalogue pages' stylesheet (the guide, the notice on screen and on paper)."""
    if not (STATIC_DIR / "catalogue.css").exists():
        abort(404)
    return send_from_directory(STATIC_DIR, "catalogue.css", mimetype="text/css")
