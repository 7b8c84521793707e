"""The scheduler's standing jobs: sealing, deliveries, calendar warnings, the monthly draft.

Each domain keeps its sweeps in its own ``jobs.py``; the per-item deadline sweeps are
made by ``licensing.jobs.deadlines``.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import select

from licensing.audit.services import record_audit, seal_pending
from licensing.auth.models import Role
from licensing.calendar.deadlines import DeadlineRule
from licensing.extensions import db
from licensing.jobs.helpers import once, path_for, today_of
from licensing.jobs.registry import cron, every, job
from licensing.notifications.delivery import deliver_pending as deliver_notifications
from licensing.notifications.owners import owner_of
from licensing.notifications.services import notify_department, notify_users, recipients
from licensing.notifications.services import register_kind as _kind

log = logging.getLogger("licensing.jobs")

KIND_CALENDAR_STATUS = _kind("calendar.status", "工作日历")
KIND_DEADLINE_RECOMPUTED = _kind("deadline.recomputed", "期限重算")
KIND_MONTHLY_DRAFT = _kind("report.monthly_draft", "月度报告")

#: Run records older than this are pruned (each job's latest run is always kept).
RUN_HISTORY = timedelta(days=14)

#: The day of the month the monthly report draft is prepared (reported before the 25th).
MONTHLY_DRAFT_DAY = 20


def _optional(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return None


@job("audit_seal", every(seconds=10), label="审计日志封存")
def audit_seal(now: datetime) -> int:
    """Chain the committed, unsealed audit entries (``seal_pending``).

    Idempotent: only entries without a seal are taken, and the seal's unique sequence and
    entry id refuse a duplicate from a concurrent sealer.
    """
    return seal_pending()


@job("outbox_delivery", every(seconds=30), label="信用信息推送")
def outbox_delivery(now: datetime) -> int:
    """Send the credit platform outbox (``licensing.credit.outbox.deliver_pending``).

    Idempotent: each message carries its idempotency key and leaves the pending set on a
    receipt. Does nothing while the credit domain or its platform address is absent.
    """
    outbox = _optional("licensing.credit.outbox")
    deliver = getattr(outbox, "deliver_pending", None)
    if deliver is None:
        return 0
    stats = deliver(now=now)
    return int(getattr(stats, "claimed", 0) or 0)


@job("notification_delivery", every(seconds=30), label="短信和邮件通知发送")
def notification_delivery(now: datetime) -> int:
    """Send pending notifications by e-mail and SMS (log-only senders by default).

    Idempotent: a notification leaves the pending set once every channel sent it.
    """
    return deliver_notifications(now)


@job("calendar_status", cron(minute=15), label="工作日历状态提醒")
def calendar_status(now: datetime) -> int:
    """Tell administrators, once a week, while the calendar lacks a notice it needs.

    From December 1 that includes next year's notice. Idempotent: keyed on the warning's
    text and the week (``due_on`` = its Monday), so each administrator gets it once a week.
    """
    services = _optional("licensing.calendar.services")
    warning_of = getattr(services, "calendar_status_warning", None)
    if warning_of is None:
        return 0
    today = today_of(now)
    warning = warning_of(today)
    if warning is None:
        return 0
    digest = hashlib.sha256(warning.encode()).hexdigest()[:16]
    monday = today - timedelta(days=today.weekday())
    link = path_for("calendar.index") or path_for("auth.home")
    sent = notify_users(recipients([Role.admin]), KIND_CALENDAR_STATUS,
                        "工作日历需要导入节假日安排通知", warning, link, "calendar", today.year,
                        f"calendar_status:{digest}", due_on=monday)
    return len(sent)


@job("deadline_recomputed_notices", every(minutes=5), label="期限重算通知")
def deadline_recomputed_notices(now: datetime) -> int:
    """Tell each owner that a deadline of theirs moved when a holiday notice was loaded.

    The recomputation itself happens when the notice is loaded (in the calendar's
    transaction, with its audit entries); this job turns each ``CalendarRecomputeEvent``
    with no ``notified_dt`` into notifications and sets ``notified_dt``, committing per
    event. Idempotent: the notification key is the event id, and a notified event is not
    selected again.
    """
    models = _optional("licensing.calendar.models")
    event_model = getattr(models, "CalendarRecomputeEvent", None)
    if event_model is None:
        return 0

    handled = 0
    ids = db.session.scalars(
        select(event_model.id).where(event_model.notified_dt.is_(None))
        .order_by(event_model.id).limit(1000)
    ).all()
    for event_id in ids:
        event = db.session.get(event_model, event_id)
        if event is None or event.notified_dt is not None:
            continue
        owner = owner_of(event.object_type, event.object_id)
        rule = DeadlineRule(event.rule).label
        old = event.old_due_on.isoformat() + ("（暂定）" if event.old_provisional else "")
        new = event.new_due_on.isoformat() + ("（暂定）" if event.new_provisional else "")
        if event.computed_due_on is not None:
            title = f"期限不变：{owner.label}"
            body = (f"节假日安排通知导入后，按新的工作日历计算，{owner.label}的「{rule}」"
                    f"期限将提前至 {event.computed_due_on.isoformat()}；"
                    f"已书面告知的期限不作不利变更，仍为 {new}。")
        elif event.old_due_on != event.new_due_on:
            title = f"期限已调整：{owner.label}"
            body = (f"节假日安排通知导入后，{owner.label}的「{rule}」期限由 {old} "
                    f"调整为 {new}。")
        else:
            title = f"期限已确认：{owner.label}"
            body = f"节假日安排通知导入后，{owner.label}的「{rule}」期限 {new} 已不再是暂定。"
        notify_users(owner.users, KIND_DEADLINE_RECOMPUTED, title[:200], body, owner.link,
                     event.object_type, event.object_id, f"deadline_recomputed:{event.id}",
                     due_on=event.new_due_on)
        event.notified_dt = now
        db.session.commit()
        handled += 1
    return handled


@job("monthly_report_draft", cron(minute=30), label="月度报告草稿")
def monthly_report_draft(now: datetime) -> int:
    """From the 20th of each month, once: draft last month's report and tell who reviews it.

    The report of a month is due at the reform office before the 25th of the next one. Calls
    ``licensing.reports.services.prepare_monthly_draft(due_period)`` when the reports domain
    provides it (it drafts the month before ``due_period``), writes the audit entry
    ``report.monthly_draft_ready`` and tells the reform office and every department head.
    Idempotent: the marker ``monthly_report_draft:<due month>`` commits with all of it, so a
    month is done once; after downtime past the 20th the next run does it.
    """
    today = today_of(now)
    if today.day < MONTHLY_DRAFT_DAY:
        return 0
    due_period = f"{today.year:04d}-{today.month:02d}"
    year, month = (today.year, today.month - 1) if today.month > 1 else (today.year - 1, 12)
    period = f"{year:04d}-{month:02d}"
    if not once(f"monthly_report_draft:{due_period}", "monthly_report_draft"):
        db.session.rollback()
        return 0
    reports = _optional("licensing.reports.services")
    prepare = getattr(reports, "prepare_monthly_draft", None)
    if prepare is not None:
        prepare(due_period)
    record_audit("report.monthly_draft_ready", object_type="monthly_report", object_id=period,
                 changes={"period": period, "due_period": due_period,
                          "prepared": prepare is not None})
    link = (path_for("reports.monthly", period=period) or path_for("reports.index")
            or path_for("auth.home"))
    title = f"{year}年{month}月告知承诺制工作进展月报草稿已生成"
    body = (f"{year}年{month}月的工作进展月报草稿已生成，"
            f"请于{today.month}月25日前审核，并由改革办定稿。")
    sent = notify_department(None, [Role.reform_office, Role.head], KIND_MONTHLY_DRAFT, title,
                             body, link, "monthly_report", period,
                             f"monthly_report_draft:{period}")
    db.session.commit()
    log.info("monthly report draft of %s: %d notified", period, len(sent))
    return 1


@job("job_history_prune", cron(hour=3, minute=40), label="运行记录清理")
def job_history_prune(now: datetime) -> int:
    """Delete job run records older than two weeks (each job's latest run is kept).

    Idempotent: deleting what is already gone deletes nothing.
    """
    from licensing.jobs.status import prune_runs

    return prune_runs(now - RUN_HISTORY)
