"""The cases domain's sweeps and notification kinds.

Licence sweeps: cancel what expired without renewal, remind holders before expiry. Also
who owns an application's deadline, and whom an applicant is reached through (for the other
domains' reminders).

Both select their work from database state, so a repeated or concurrent run does no harm:
a cancelled licence leaves the expiry sweep's selection, and a reminder is keyed on the
licence and its reminder day (``notify`` keeps one per user and key).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import exists, select

from licensing.auth.models import Role, User
from licensing.cases import licences
from licensing.cases.models import (
    Application,
    ApplicationStatus,
    CancellationReason,
    Licence,
    LicenceRequest,
    LicenceStatus,
    Purpose,
)
from licensing.errors import DomainError
from licensing.extensions import db
from licensing.jobs.helpers import for_each_item, path_for, today_of
from licensing.jobs.registry import cron, job
from licensing.notifications.owners import Owner, register_owner
from licensing.notifications.services import notify, notify_department, recipients
from licensing.notifications.services import register_kind as _kind

KIND_RENEWAL_REMINDER = _kind("licence.renewal_reminder", "许可证延续提醒")
KIND_LICENCE_EXPIRED = _kind("licence.expired", "许可证到期注销")
NOTIFY_AWAITING_DECISION = _kind("application.awaiting_decision", "待决定的申请")
NOTIFY_RECHECK_BARRED = _kind("application.credit_recheck_barred", "信用复核发现失信")

_PENDING = (ApplicationStatus.draft, ApplicationStatus.submitted, ApplicationStatus.accepted)


def _renewal_pending():
    return exists().where(
        LicenceRequest.licence_id == Licence.id,
        LicenceRequest.application_id == Application.id,
        Application.purpose == Purpose.renewal,
        Application.status.in_(_PENDING))


def expired_licence_ids(today: date) -> list[int]:
    """Licences past their validity, in force otherwise, with no renewal under way."""
    return list(db.session.scalars(
        select(Licence.id).where(
            Licence.valid_until.is_not(None), Licence.valid_until < today,
            Licence.cancelled_on.is_(None), Licence.status == LicenceStatus.valid,
            ~_renewal_pending())
        .order_by(Licence.id)))


def cancel_expired(today: date) -> int:
    """Cancel (注销) each licence that expired without renewal; one commit per licence."""
    def handle(licence_id: int) -> bool:
        licence = db.session.get(Licence, licence_id, with_for_update=True)
        try:
            licences.cancel(licence, CancellationReason.expired, effective_on=today,
                            note=f"有效期至{licence.valid_until:%Y年%m月%d日}，未申请延续")
        except DomainError:  # renewed or cancelled since it was selected
            return False
        notify_department(licence.approval_department_id, [Role.approver, Role.clerk],
                          KIND_LICENCE_EXPIRED, f"许可证 {licence.number} 到期未延续，已注销",
                          f"{licence.holder_name}的“{licence.item_name}”许可有效期已届满且未延续，"
                          "系统已依法注销。", None, "licence", licence.id,
                          f"licence_expired:{licence.id}")
        return True

    return for_each_item(expired_licence_ids(today), handle)


def send_renewal_reminders(today: date) -> int:
    """Remind holders (their online account) and the approval department before expiry.

    Reminders go out 90 days before expiry and 37 days before (a week before the last day a
    renewal may be filed, 30 days before expiry); each once per licence and day.
    """
    sent = 0
    for days in licences.REMINDER_DAYS:
        until = today + timedelta(days=days)
        rows = db.session.scalars(select(Licence).where(
            Licence.valid_until == until, Licence.cancelled_on.is_(None),
            Licence.status == LicenceStatus.valid, ~_renewal_pending()))
        for licence in rows:
            last_day = licences.renewal_last_day(licence)
            title = f"许可证 {licence.number} 将于 {licence.valid_until} 到期"
            body = (f"“{licence.item_name}”许可有效期至{licence.valid_until:%Y年%m月%d日}。"
                    f"需要继续从事许可活动的，请于{last_day:%Y年%m月%d日}前申请延续（行政许可法第五十条）；"
                    "逾期未延续的，许可证到期后将依法注销。")
            key = f"licence_renewal:{licence.id}:{days}"
            holder_user = licence.applicant.user_id
            if holder_user is not None and notify(holder_user, KIND_RENEWAL_REMINDER, title,
                                                  body, None, "licence", licence.id, key,
                                                  until) is not None:
                sent += 1
            sent += len(notify_department(
                licence.approval_department_id, [Role.clerk], KIND_RENEWAL_REMINDER, title,
                body, None, "licence", licence.id, key, until))
    db.session.commit()
    return sent


@job("licence_expiry", cron(hour=0, minute=20), label="许可证到期注销")
def licence_expiry(now: datetime) -> int:
    """Cancel licences whose validity ended without renewal (行政许可法 第七十条第一项).

    Idempotent: a cancelled licence leaves the selection; a licence with a renewal under way
    is left for the renewal's decision.
    """
    return cancel_expired(today_of(now))


@job("licence_renewal_reminders", cron(hour=8, minute=5), label="许可证延续提醒")
def licence_renewal_reminders(now: datetime) -> int:
    """Remind holders and the counter of licences that expire in 90 and 37 days.

    Idempotent: each reminder is keyed on the licence and the reminder's day.
    """
    return send_renewal_reminders(today_of(now))


# -- reaching an applicant; who owns an application's deadline ------------------------------


def applicant_user(application: Application) -> User | None:
    """The applicant's online account, if they have an active one."""
    user_id = application.applicant.user_id
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.active else None


def applicant_or_clerks(application: Application) -> list[User]:
    """The applicant online, or the counter clerks who phone a counter applicant."""
    user = applicant_user(application)
    if user is not None:
        return [user]
    return recipients([Role.clerk], application.approval_department_id)


@register_owner("application")
def _application_owner(object_id: str) -> Owner | None:
    application = db.session.get(Application, int(object_id))
    if application is None:
        return None
    return Owner(recipients([Role.approver], application.approval_department_id),
                 path_for("cases.show", public_id=application.public_id),
                 f"申请 {application.public_id[:8]}")
