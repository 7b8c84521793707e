"""Administrators' calendar page: years and their status, notice import with preview."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from licensing.auth.access import roles_required
from licensing.auth.home import Panel, register_panel
from licensing.auth.models import Role, User
from licensing.calendar import services
from licensing.calendar.core import DayKind
from licensing.calendar.errors import CalendarNotLoaded, NoticeFileInvalid
from licensing.calendar.forms import NoticeConfirmForm, NoticeUploadForm
from licensing.calendar.notice_file import MAX_FILE_BYTES
from licensing.clock import local_today
from licensing.errors import ValidationFailed

bp = Blueprint("calendar", __name__, url_prefix="/admin/calendar")


def _index_page(form: NoticeUploadForm, problems: list[str] | None = None, status: int = 200):
    try:
        statuses = services.year_statuses()
    except CalendarNotLoaded:
        statuses = []
    return render_template(
        "calendar/index.html",
        statuses=statuses,
        version=services.current_version(),
        warning=services.calendar_status_warning(local_today()),
        form=form,
        problems=problems or [],
    ), status


@bp.route("/")
@roles_required(Role.admin)
def index():
    """List the years with their status, and offer the notice upload."""
    return _index_page(NoticeUploadForm())


@bp.route("/<int:year>")
@roles_required(Role.admin)
def year(year: int):
    """Show the days off and make-up working days of one year."""
    calendar = services.get_calendar()
    if not calendar.first_day.year <= year <= calendar.last_day.year:
        abort(404)
    days = [d for d in calendar.days()
            if d.on.year == year and d.kind in (DayKind.holiday, DayKind.makeup)]
    status = next((s for s in services.year_statuses() if s.year == year), None)
    return render_template("calendar/year.html", year=year, days=days, status=status)


@bp.route("/import", methods=["POST"])
@roles_required(Role.admin)
def upload():
    """Validate an uploaded notice file and show what importing it would change."""
    form = NoticeUploadForm()
    if not form.validate_on_submit():
        return _index_page(form, status=422)
    raw = form.file.data.read(MAX_FILE_BYTES + 1)
    try:
        notice = services.read_notice_file(raw)
        plan = services.plan_notice_import(notice)
    except NoticeFileInvalid as exc:
        return _index_page(form, exc.details.get("problems") or [exc.message], status=422)
    if plan.is_empty:
        flash(plan.summary, "info")
        return redirect(url_for("calendar.index"))
    confirm = NoticeConfirmForm(content=notice.source_text, sha256=notice.sha256,
                                base_version=str(plan.base_version))
    return render_template("calendar/preview.html", plan=plan, notice=notice, form=confirm)


@bp.route("/import/confirm", methods=["POST"])
@roles_required(Role.admin)
def confirm():
    """Import the previewed file, provided neither it nor the calendar changed since."""
    form = NoticeConfirmForm()
    if not form.validate_on_submit():
        raise ValidationFailed("确认信息不完整，请重新上传文件。")
    notice = services.read_notice_file(form.content.data)
    if notice.sha256 != form.sha256.data:
        raise ValidationFailed("文件内容与预览时不一致，请重新上传文件。")
    plan, version = services.import_notice(notice, expected_version=int(form.base_version.data))
    if version is None:
        flash(plan.summary, "info")
    else:
        flash(f"已导入{notice.year}年的节假日安排（{notice.number}），日历版本 {version.version}；"
              f"工作日变化 {version.days_changed} 天，重算期限 {version.deadlines_moved} 个。",
              "success")
    return redirect(url_for("calendar.index"))


@register_panel(Role.admin)
def _calendar_panel(user: User) -> Panel:
    """The administrators' home-page panel: calendar version, provisional years, warning."""
    figures: list[tuple[str, str | int]] = []
    try:
        calendar = services.get_calendar()
        provisional = [str(y) for y, official in calendar.years.items() if not official]
        figures = [("日历版本", calendar.version),
                   ("暂定年份", "、".join(provisional) if provisional else "无")]
    except CalendarNotLoaded:
        pass
    return Panel(
        title="工作日历",
        links=[("节假日安排管理", url_for("calendar.index"))],
        figures=figures,
        warning=services.calendar_status_warning(local_today()),
        order=20,
    )
