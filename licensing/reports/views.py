"""Reports pages: the dashboards of each role, the monthly report, its exports."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from licensing.auth.access import roles_required
from licensing.auth.home import Panel, register_panel
from licensing.auth.models import Role
from licensing.auth.navigation import register_nav
from licensing.clock import local_today
from licensing.errors import DomainError
from licensing.extensions import db
from licensing.reports import dashboards, exports, services
from licensing.reports.figures import BY_KEY, FIGURES, Side, figures_by_group, on_time_rate
from licensing.reports.periods import Period

bp = Blueprint("reports", __name__, url_prefix="/reports")

#: Who reads the monthly report: the reform office (the city), heads (their department).
READERS = (Role.reform_office, Role.head, Role.admin)
CITY = (Role.reform_office, Role.admin)

register_nav("报表", "reports.index", *READERS, order=60)
register_nav("月报", "reports.months", *READERS, order=61)

#: The figures of the items' table on the page (all of them are in the XLSX).
ITEM_COLUMNS = ("applications_commitment", "applications_general", "approved_on_the_spot",
                "tasks_due", "tasks_on_time", "tasks_overdue", "results_pushed_late",
                "breaches", "revocations")

#: The day of the month by which the report reaches the reform office (工作方案 四（二））.
DUE_DAY = 25


def _period(text: str | None, default: Period) -> Period:
    return Period.parse(text) if text else default


def _last_complete() -> Period:
    return Period.current().previous()


@bp.route("/")
@roles_required(*READERS, Role.approver)
def index():
    """Each role's dashboard."""
    if current_user.role in CITY:
        return redirect(url_for("reports.city"))
    if current_user.role == Role.head:
        return redirect(url_for("reports.sla"))
    return redirect(url_for("reports.queue"))


@bp.route("/city")
@roles_required(*CITY)
def city():
    """The reform office's city view: the month, a 12-month trend, departments compared."""
    period = _period(request.args.get("period"), _last_complete())
    view = dashboards.city_view(current_user, period)
    return render_template("reports/city.html", view=view, period=period,
                           figures=FIGURES, by_key=BY_KEY, on_time_rate=on_time_rate,
                           months=[p for p, _ in services.month_list(Period.current(), 12)])


@bp.route("/sla")
@roles_required(Role.head)
def sla():
    """The department head's deadlines: by inspector, the most urgent, the month so far."""
    view = dashboards.sla_view(current_user)
    return render_template("reports/sla.html", view=view, by_key=BY_KEY)


@bp.route("/queue")
@roles_required(Role.approver)
def queue():
    """The approver's queue: decisions, results to read, supplements, revocation cases."""
    return render_template("reports/queue.html", queue=dashboards.approver_queue(current_user))


@bp.route("/monthly/")
@roles_required(*READERS)
def months():
    """The months with their report's state, newest first."""
    today = local_today()
    return render_template("reports/months.html", rows=services.month_list(Period.current()),
                           today=today, due_day=DUE_DAY)


@bp.route("/monthly/<period>")
@roles_required(*READERS)
def monthly(period: str):
    """One month's report: the final snapshot once finalised, else computed now."""
    month = Period.parse(period)
    report = services.report_for(month, current_user)
    check = None
    if report.source == "final" and report.stored is not None:
        live = services.build_monthly_report(month, current_user)
        check = {"intact": services.verify_stored(report.stored),
                 "differences": services.differences(report, live)}
    return render_template("reports/monthly.html", report=report, groups=figures_by_group(),
                           by_key=BY_KEY, on_time_rate=on_time_rate, check=check,
                           item_columns=[BY_KEY[k] for k in ITEM_COLUMNS],
                           approval_columns=[f for f in FIGURES if f.side == Side.approval],
                           supervisory_columns=[f for f in FIGURES
                                                if f.side == Side.supervisory],
                           ended=month.has_ended(), due_day=DUE_DAY)


def _download(data: bytes, filename: str, mimetype: str) -> Response:
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


@bp.route("/monthly/<period>.xlsx")
@roles_required(*READERS)
def monthly_xlsx(period: str):
    """The month's report as an Excel workbook."""
    report = services.report_for(Period.parse(period), current_user)
    return _download(exports.to_xlsx(report), f"monthly-report-{report.period.key}-"
                     f"{report.scope}.xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@bp.route("/monthly/<period>.pdf")
@roles_required(*READERS)
def monthly_pdf(period: str):
    """The month's report as a PDF."""
    report = services.report_for(Period.parse(period), current_user)
    return _download(exports.to_pdf(report), f"monthly-report-{report.period.key}-"
                     f"{report.scope}.pdf", "application/pdf")


@bp.route("/monthly/<period>/draft", methods=["POST"])
@roles_required(*CITY)
def draft(period: str):
    """Store (or refresh) the month's draft."""
    month = Period.parse(period)
    try:
        services.save_draft(month, actor=current_user)
        flash(f"{month.label}月报草稿已生成。", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("reports.monthly", period=month.key))


@bp.route("/monthly/<period>/finalise", methods=["POST"])
@roles_required(Role.reform_office)
def finalise(period: str):
    """Freeze the month's report as reported (the figures the reader saw)."""
    month = Period.parse(period)
    try:
        stored = services.finalise_report(month, actor=current_user,
                                          expected_sha256=request.form.get("sha256") or None)
        flash(f"{month.label}月报已定稿（摘要 {stored.sha256[:12]}…）。", "success")
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("reports.monthly", period=month.key))


# --- home panels ------------------------------------------------------------------------------


@register_panel(Role.reform_office, Role.admin)
def _city_panel(user):
    today = local_today()
    last = Period.of(today).previous()
    stored = services.stored_report(last)
    state = stored.status.label if stored is not None else "未生成"
    so_far = services.month_totals(Period.of(today), user, {
        "applications_commitment", "approved_on_the_spot", "tasks_overdue"})
    warning = None
    if (stored is None or not stored.is_final) and today.day >= 20:
        warning = (f"{last.label}月报{state}，请于本月{DUE_DAY}日前审核定稿。"
                   if today.day <= DUE_DAY
                   else f"{last.label}月报尚未定稿，已超过每月{DUE_DAY}日的报送时间。")
    return Panel(
        title="改革工作进展",
        figures=[("本月承诺制申请", so_far["applications_commitment"]),
                 ("本月当场审批", so_far["approved_on_the_spot"]),
                 ("逾期未核查", so_far["tasks_overdue"]),
                 (f"{last.month}月月报", state)],
        links=[("全市报表", url_for("reports.city")),
               (f"{last.label}月报", url_for("reports.monthly", period=last.key)),
               ("全部月报", url_for("reports.months"))],
        warning=warning, order=5)


@register_panel(Role.head)
def _head_panel(user):
    if user.department is None:
        return None
    month = services.month_totals(Period.current(), user,
                                  {"tasks_due", "tasks_on_time", "tasks_overdue"})
    rate = on_time_rate(month)
    last = Period.current().previous()
    return Panel(
        title="本部门时效与月报",
        figures=[("本月到期应核查", month["tasks_due"]),
                 ("本月按期率", f"{rate:.1f}%" if rate is not None else "—"),
                 ("逾期未核查", month["tasks_overdue"])],
        links=[("时效看板", url_for("reports.sla")),
               (f"{last.label}月报", url_for("reports.monthly", period=last.key))],
        order=25)


@register_panel(Role.approver)
def _approver_panel(user):
    queue = dashboards.approver_queue(user)
    return Panel(
        title="审批待办总览",
        figures=[("待决定申请", queue.waiting_decision),
                 ("未读核查结果", queue.results_unread),
                 ("法定时限已逾期", queue.statutory_overdue)],
        links=[("查看待办", url_for("reports.queue"))],
        warning=(f"有 {queue.statutory_overdue} 件一般程序申请已超过法定办理时限。"
                 if queue.statutory_overdue else None),
        order=8)
