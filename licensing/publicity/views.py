"""Publicity records for staff: what is overdue, and the CSV and JSON exports."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from sqlalchemy import select

from licensing.auth.access import roles_required
from licensing.auth.models import Role
from licensing.auth.navigation import register_nav
from licensing.clock import local_today
from licensing.extensions import db
from licensing.publicity import services
from licensing.publicity.models import PublicityRecord, PublicityStatus

bp = Blueprint("publicity", __name__, url_prefix="/publicity")

READERS = (Role.approver, Role.head, Role.reform_office, Role.admin)
CITY_WIDE = (Role.reform_office, Role.admin)

register_nav("双公示", "publicity.index", *READERS, order=60)


def _departments() -> list[int] | None:
    if current_user.role in CITY_WIDE:
        return None
    return [current_user.department_id]


def _scoped(stmt):
    departments = _departments()
    if departments is not None:
        stmt = stmt.where(PublicityRecord.approval_department_id.in_(departments))
    return stmt


def _period() -> tuple[date, date, str | None]:
    today = local_today()
    try:
        start = date.fromisoformat(request.args.get("from") or today.replace(day=1).isoformat())
        end = date.fromisoformat(request.args.get("to") or today.isoformat())
    except ValueError:
        return today.replace(day=1), today, "日期格式应为 YYYY-MM-DD，已改为本月。"
    if end < start:
        return today.replace(day=1), today, "结束日期不能早于开始日期，已改为本月。"
    return start, end, None


@bp.route("")
@roles_required(*READERS)
def index():
    """Overdue and pending records, and the export form."""
    start, end, error = _period()
    overdue = db.session.scalars(_scoped(services.overdue()).limit(200)).all()
    pending = db.session.scalars(_scoped(select(PublicityRecord).where(
        PublicityRecord.status != PublicityStatus.delivered)
        .order_by(PublicityRecord.publicity_due_on).limit(200))).all()
    return render_template("publicity/index.html", overdue=overdue, pending=pending,
                           start=start, end=end, error=error)


@bp.route("/export.<fmt>")
@roles_required(*READERS)
def export(fmt: str):
    """The records decided in the period, in the platform's format (CSV or JSON)."""
    start, end, _ = _period()
    rows = services.export_rows(start, end, department_ids=_departments())
    name = f"publicity-{start.isoformat()}-{end.isoformat()}"
    if fmt == "csv":
        body, mimetype = services.to_csv(rows), "text/csv; charset=utf-8"
    elif fmt == "json":
        body, mimetype = services.to_json(rows), "application/json; charset=utf-8"
    else:
        return Response("仅支持 CSV 和 JSON。", status=404, mimetype="text/plain")
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
