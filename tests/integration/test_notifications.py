"""Notifications: sent once per key and date, sent again when the date moves; the inbox."""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

import pytest
from flask_login import login_user
from sqlalchemy import func, select, update

from licensing.auth.models import Role
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.notifications import services
from licensing.notifications.delivery import deliver_pending, delivery_log
from licensing.notifications.models import DeliveryStatus, Notification
from licensing.notifications.senders import (
    DeliveryFailed,
    LogOnlySender,
    configure_senders,
    reset_senders,
)
from licensing.notifications.services import (
    INBOX_PAGE_SIZE,
    dedup_key_sql,
    insert_notifications_from,
    notify,
    notify_department,
)
from licensing.types import UTCDateTime
from tests.factories import create_test_user, department, login_as
from tests.pages import follow_pages

D = date.fromisoformat
DUE = date(2026, 12, 4)


def _notify(user, key="task_due:1:5", due_on=DUE, title="核查即将到期"):
    return notify(user, "verification.due_soon", title, "核查任务 #1 即将到期。",
                  "/supervision/tasks/1", "verification_task", 1, key, due_on=due_on)


def _count(user=None) -> int:
    stmt = select(func.count(Notification.id))
    if user is not None:
        stmt = stmt.where(Notification.user_id == user.id)
    return db.session.scalar(stmt)


def test_same_key_and_date_is_sent_once(session):
    inspector = create_test_user(Role.inspector)
    first = _notify(inspector)
    assert first is not None and first.dedup_key == "task_due:1:5@2026-12-04"
    assert _notify(inspector) is None
    session.commit()
    assert _notify(inspector) is None  # also across transactions
    assert _count(inspector) == 1


def test_moved_date_sends_again(session):
    inspector = create_test_user(Role.inspector)
    assert _notify(inspector, due_on=D("2026-12-04")) is not None
    moved = _notify(inspector, due_on=D("2026-12-08"))
    assert moved is not None and moved.due_on == D("2026-12-08")
    assert _notify(inspector, due_on=D("2026-12-08")) is None
    assert _count(inspector) == 2


def test_keys_are_per_user(session):
    a, b = create_test_user(Role.inspector), create_test_user(Role.inspector)
    assert _notify(a) is not None and _notify(b) is not None
    assert _count() == 2


def test_set_based_insert_uses_the_same_key_as_notify(session):
    from sqlalchemy import literal

    from licensing.auth.models import User

    inspector = create_test_user(Role.inspector)
    users = User.__table__
    now = utcnow()

    def stmt():
        return select(
            users.c.id.label("user_id"), literal("verification.due_soon").label("kind"),
            literal("核查即将到期").label("title"), literal("正文").label("body"),
            literal(None).label("link"), literal("verification_task").label("object_type"),
            literal("1").label("object_id"),
            dedup_key_sql("task_due:1:5", literal(D("2026-12-04"))).label("dedup_key"),
            literal(D("2026-12-04")).label("due_on"),
            literal(now, UTCDateTime).label("created_dt"),
        ).where(users.c.id == inspector.id)

    assert insert_notifications_from(stmt()) == 1
    assert insert_notifications_from(stmt()) == 0
    assert _notify(inspector) is None  # notify() sees the row the SQL wrote
    row = session.scalars(select(Notification)).one()
    assert row.dedup_key == "task_due:1:5@2026-12-04" and row.external_pending


def test_notify_department_reaches_active_users_of_the_roles(session):
    head = create_test_user(Role.head, "wsjkj")
    inspector = create_test_user(Role.inspector, "wsjkj")
    other_head = create_test_user(Role.head, "scjgj")
    gone = create_test_user(Role.head, "wsjkj")
    gone.active = False
    session.commit()
    sent = notify_department(department("wsjkj"), [Role.head], "x.y", "标题", "正文", None,
                             None, None, "k1")
    assert [n.user_id for n in sent] == [head.id]
    assert _count(inspector) == _count(other_head) == _count(gone) == 0
    assert notify_department(department("wsjkj"), [Role.head], "x.y", "标题", "正文", None,
                             None, None, "k1") == []


def test_bad_links_and_keys_are_refused(session):
    user = create_test_user(Role.inspector)
    with pytest.raises(ValueError):
        notify(user, "k", "t", "b", "https://evil.example/", None, None, "key")
    with pytest.raises(ValueError):
        notify(user, "k", "t", "b", None, None, None, "")


# -- the inbox ----------------------------------------------------------------------------


def test_inbox_lists_marks_read_and_counts(app, client, session):
    user = create_test_user(Role.inspector)
    first = _notify(user, key="a")
    _notify(user, key="b", title="第二条通知")
    session.commit()
    login_as(client, user)
    page = client.get("/notifications").get_data(as_text=True)
    assert "核查即将到期" in page and "第二条通知" in page and "只看未读（2）" in page

    response = client.post(f"/notifications/{first.id}/read", data={"open": "1"})
    assert response.status_code == 302 and response.location == "/supervision/tasks/1"
    session.expire_all()
    assert session.get(Notification, first.id).read_dt is not None
    assert "只看未读（1）" in client.get("/notifications").get_data(as_text=True)

    assert client.post("/notifications/read-all").status_code == 302
    assert services.unread_count(user) == 0
    assert "没有未读通知" in client.get("/notifications?unread=1").get_data(as_text=True)


def _many(user, n: int, *, same_instant_every: int = 3) -> list[int]:
    """``n`` notices of ``user``, several sharing an instant; their ids newest first."""
    start = utcnow() - timedelta(days=30)
    rows = [{"user_id": user.id, "kind": "verification.due_soon", "title": f"通知{i:03d}",
             "body": "", "dedup_key": f"many:{i}",
             "created_dt": start + timedelta(minutes=i // same_instant_every)}
            for i in range(n)]
    db.session.execute(Notification.__table__.insert(), rows)
    db.session.commit()
    return list(db.session.scalars(
        select(Notification.id).where(Notification.user_id == user.id)
        .order_by(Notification.created_dt.desc(), Notification.id.desc())))


#: A notice's row in the inbox (its form to mark it read), and the inbox's links.
NOTICE_ROW = r'/notifications/(\d+)/read"'
INBOX_LINKS = {"next_label": "更早的通知", "back_label": "回到最新"}


def _listed_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(NOTICE_ROW, html)]


def test_a_deep_inbox_is_walked_by_key_each_notice_once_in_order(app, client, session):
    user = create_test_user(Role.approver)
    newest_first = _many(user, 2 * INBOX_PAGE_SIZE + 7)
    login_as(client, user)

    ids, pages = follow_pages(client, "/notifications", NOTICE_ROW, **INBOX_LINKS)
    assert ids == newest_first and pages == 3

    # Old numbered links still count pages from the top.
    second = _listed_ids(client.get("/notifications?page=2").get_data(as_text=True))
    assert second == newest_first[INBOX_PAGE_SIZE:2 * INBOX_PAGE_SIZE]
    # A cursor edited by hand starts from the top; one past the end says so.
    assert _listed_ids(client.get("/notifications?after=garbage").get_data(as_text=True)) \
        == newest_first[:INBOX_PAGE_SIZE]
    oldest = session.get(Notification, newest_first[-1])
    past = client.get("/notifications", query_string={
        "after": f"{oldest.created_dt.isoformat()}.{oldest.id}"})
    assert "没有更早的通知" in past.get_data(as_text=True)

    # The unread filter pages by key too, and keeps to the unread.
    read = set(newest_first[::2])
    session.execute(update(Notification).where(Notification.id.in_(read))
                    .values(read_dt=utcnow()))
    session.commit()
    unread, pages = follow_pages(client, "/notifications?unread=1", NOTICE_ROW,
                                 **INBOX_LINKS)
    assert unread == [i for i in newest_first if i not in read] and pages == 2


def test_nobody_reads_or_marks_another_users_notice(app, client, session):
    owner, other = create_test_user(Role.inspector), create_test_user(Role.inspector)
    notice = _notify(owner)
    session.commit()
    login_as(client, other)
    assert client.post(f"/notifications/{notice.id}/read").status_code == 404
    assert "核查即将到期" not in client.get("/notifications").get_data(as_text=True)
    client.post("/notifications/read-all")
    session.expire_all()
    assert session.get(Notification, notice.id).read_dt is None


@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_an_inbox(app, client, role):
    user = create_test_user(role)
    login_as(client, user)
    assert client.get("/notifications").status_code == 200


def test_unread_count_for_the_header(app, session):
    user = create_test_user(Role.head)
    _notify(user, key="a")
    _notify(user, key="b")
    session.commit()
    with app.app_context(), app.test_request_context("/"):
        login_user(user)
        context: dict = {}
        app.update_template_context(context)
        assert context["unread_notifications"]() == 2
    with app.app_context(), app.test_request_context("/"):
        context = {}
        app.update_template_context(context)
        assert context["unread_notifications"]() == 0  # anonymous


# -- external delivery --------------------------------------------------------------------


class FlakySender:
    """A sender that fails a number of times, then succeeds."""

    simulated = False

    def __init__(self, channel: str, failures: int) -> None:
        self.channel = channel
        self.failures = failures
        self.sent: list[int] = []

    def send(self, notification, user) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise DeliveryFailed("网关暂时不可用")
        self.sent.append(notification.id)


@pytest.fixture
def senders():
    yield configure_senders
    reset_senders()


def test_log_only_delivery_logs_no_personal_data(session, caplog):
    user = create_test_user(Role.applicant)
    user.display_name = "张三丰"
    notice = notify(user, "supplement.due_soon", "补交材料即将到期",
                    "张三丰（身份证 130682198503150011，电话 13812345678）请补交。", None,
                    "supplement", 7, "s:7:5", due_on=D("2026-12-04"))
    session.commit()
    with caplog.at_level(logging.INFO, logger="licensing.notifications.delivery"):
        assert deliver_pending() == 1
    assert deliver_pending() == 0  # sent once
    log_text = caplog.text
    assert f"user_id={user.id}" in log_text and "supplement.due_soon" in log_text
    for personal in ("张三丰", "130682198503150011", "13812345678", "补交材料", user.username):
        assert personal not in log_text
    channels = sorted((d.channel, d.status, d.simulated) for d in delivery_log(notice))
    assert channels == [("email", DeliveryStatus.sent, True), ("sms", DeliveryStatus.sent, True)]


def test_failed_channel_is_retried_alone_then_given_up(session, senders):
    email, sms = LogOnlySender("email"), FlakySender("sms", failures=1)
    senders([email, sms])
    user = create_test_user(Role.inspector)
    notice = _notify(user)
    session.commit()
    assert deliver_pending() == 0  # sms failed: still pending
    assert deliver_pending() == 1
    log = [(d.channel, d.status) for d in delivery_log(notice)]
    assert log == [("email", DeliveryStatus.sent), ("sms", DeliveryStatus.failed),
                   ("sms", DeliveryStatus.sent)]
    assert sms.sent == [notice.id]

    broken = FlakySender("sms", failures=100)
    senders([broken])
    second = _notify(user, key="other")
    session.commit()
    for _ in range(5):
        deliver_pending(max_attempts=3)
    session.refresh(second)
    assert not second.external_pending and second.delivery_attempts == 3


def test_disabled_user_gets_nothing_outside(session, senders):
    sms = FlakySender("sms", failures=0)
    senders([sms])
    user = create_test_user(Role.inspector)
    _notify(user)
    user.active = False
    session.commit()
    deliver_pending()
    assert sms.sent == []


#: What templates/base.html puts in its ``header_extra`` block (see docs/scheduler.md).
HEADER_SNIPPET = (
    '{% set n = unread_notifications() %}'
    '<a href="{{ url_for(\'notifications.inbox\') }}">通知'
    '{% if n %} <span class="badge" aria-label="{{ n }} 条未读">{{ n }}</span>{% endif %}</a>'
)


def test_header_snippet_shows_the_unread_count(app, session):
    from flask import render_template_string

    user = create_test_user(Role.clerk)
    with app.app_context(), app.test_request_context("/"):
        login_user(user)
        assert render_template_string(HEADER_SNIPPET) == '<a href="/notifications">通知</a>'
    _notify(user, key="a")
    _notify(user, key="b")
    session.commit()
    with app.app_context(), app.test_request_context("/"):
        login_user(user)
        html = render_template_string(HEADER_SNIPPET)
    assert html == ('<a href="/notifications">通知 <span class="badge" '
                    'aria-label="2 条未读">2</span></a>')
