"""The operators' page of the scheduler (``/admin/jobs``), its nav entry and home panel."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, render_template, url_for

from licensing.auth.access import roles_required
from licensing.auth.home import Panel, register_panel
from licensing.auth.models import Role, User
from licensing.auth.navigation import register_nav
from licensing.clock import utcnow
from licensing.jobs.status import job_statuses, leader

bp = Blueprint("jobs", __name__, url_prefix="/admin/jobs")

register_nav("运行监控", "jobs.ops", Role.admin, order=95)

#: A leader whose heartbeat is older than this is reported as missing.
STALE_HEARTBEAT = timedelta(minutes=2)


@bp.route("/")
@roles_required(Role.admin)
def ops():
    """Each job's last run, duration, items handled and errors; the current leader."""
    info = leader()
    now = utcnow()
    stale = info.heartbeat_dt is None or now - info.heartbeat_dt > STALE_HEARTBEAT
    return render_template("jobs/ops.html", statuses=job_statuses(now), leader=info,
                           stale=stale)


@register_panel(Role.admin)
def _scheduler_panel(user: User) -> Panel | None:
    """Warn administrators on their home page when no scheduler runs or a job failed."""
    info = leader()
    now = utcnow()
    failing = [s.job.label for s in job_statuses(now) if not s.healthy]
    warnings = []
    if info.heartbeat_dt is None or now - info.heartbeat_dt > STALE_HEARTBEAT:
        warnings.append("没有运行中的调度进程：期限提醒、逾期标记和推送都已停止。"
                        "请联系运维人员启动调度进程（见运维说明）。")
    if failing:
        warnings.append("最近一次运行失败的任务：" + "、".join(failing) + "。")
    if not warnings:
        return None
    return Panel(title="后台任务", links=[("运行监控", url_for("jobs.ops"))],
                 warning=" ".join(warnings), order=20)
