"""The in-app inbox (``/notifications``) and the unread count for the page header."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user

from licensing.auth.access import roles_required
from licensing.auth.models import Role
from licensing.notifications import services
from licensing.notifications.services import kind_label
from licensing.paging import requested_page

bp = Blueprint("notifications", __name__)

ALL_ROLES = tuple(Role)


@bp.app_context_processor
def _unread_notifications():
    """Give every template ``unread_notifications()``: the current user's unread count."""

    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return services.unread_count(current_user)  # one indexed count, once per page

    return {"unread_notifications": unread_notifications,
            "notification_kind_label": kind_label}


@bp.route("/notifications")
@roles_required(*ALL_ROLES)
def inbox():
    """List the user's notifications, newest first (``?unread=1`` for unread only).

    ``?after=`` continues after a notice (the next page's link); ``?page=`` still counts
    pages from the top.
    """
    unread_only = request.args.get("unread") == "1"
    page = services.inbox(current_user, unread_only=unread_only,
                          after=request.args.get("after"), page=requested_page())
    return render_template("notifications/inbox.html", page=page, unread_only=unread_only)


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"])
@roles_required(*ALL_ROLES)
def read(notification_id: int):
    """Mark one notification read; with ``open`` in the form, go on to what it is about."""
    notification = services.mark_read(current_user, notification_id)
    if request.form.get("open") and notification.link and _is_local(notification.link):
        return redirect(notification.link)
    return redirect(url_for("notifications.inbox", unread=request.form.get("unread") or None))


@bp.route("/notifications/read-all", methods=["POST"])
@roles_required(*ALL_ROLES)
def read_all():
    """Mark every notification of the user read."""
    services.mark_all_read(current_user)
    return redirect(url_for("notifications.inbox"))


def _is_local(link: str) -> bool:
    return link.startswith("/") and not link.startswith("//") and "\\" not in link
