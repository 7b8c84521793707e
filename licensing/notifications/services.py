"""Sending notifications once, reading the inbox, and delivering over external channels.

``notify`` writes one notification per user and key with ``INSERT ... ON CONFLICT DO
NOTHING`` (the same statement on SQLite and PostgreSQL), so two sweeps racing each other, or a
sweep run again after a crash, never give a user the same notice twice. The stored key ends
with the date the notice is about: when that date moves, the notice is new and is sent again.

Like every service, these functions flush but never commit; jobs and the request wrapper do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import bindparam, func, literal, select, text, update
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.elements import BindParameter

from licensing.auth.models import Department, Role, User
from licensing.clock import utcnow
from licensing.errors import NotFound
from licensing.extensions import conflict_insert, db, python_defaults, text_insert, with_defaults
from licensing.notifications.models import DEDUP_KEY_MAX, Notification
from licensing.paging import key_page

#: Columns a set-based insert (``insert_notifications_from``) must select, by label.
INSERT_COLUMNS = ("user_id", "kind", "title", "body", "link", "object_type", "object_id",
                  "dedup_key", "due_on", "created_dt")

INBOX_PAGE_SIZE = 50

_kind_labels: dict[str, str] = {}


def register_kind(kind: str, label: str) -> str:
    """Declare a notification kind (``"verification.due_soon"``) and its Chinese label."""
    _kind_labels[kind] = label
    return kind


def kind_label(kind: str) -> str:
    """Return the Chinese label of a kind (``"通知"`` for an undeclared one)."""
    return _kind_labels.get(kind, "通知")


def stored_dedup_key(dedup_key: str, due_on: date | None) -> str:
    """Return the key as stored: the caller's key, plus ``@YYYY-MM-DD`` when there is a date."""
    if not dedup_key or len(dedup_key) > DEDUP_KEY_MAX:
        raise ValueError(f"dedup_key must have 1 to {DEDUP_KEY_MAX} characters")
    return f"{dedup_key}@{due_on.isoformat()}" if due_on is not None else dedup_key


def dedup_key_sql(prefix: ColumnElement[str] | str,
                  due_on: ColumnElement[date] | None = None) -> ColumnElement[str]:
    """Build ``stored_dedup_key`` in SQL, for set-based sweeps (same text as in Python).

    ``prefix`` is an SQL string expression (e.g. ``literal("task_due:") + cast(id, String)``);
    ``due_on`` a date column. Dates render as ``YYYY-MM-DD`` on both databases.
    """
    key = prefix if isinstance(prefix, ColumnElement) else literal(prefix)
    if due_on is None:
        return key
    return key + literal("@") + date_text_sql(due_on)


def date_text_sql(day: ColumnElement[date]) -> ColumnElement[str]:
    """Render a date column as ``YYYY-MM-DD`` text, on SQLite and PostgreSQL alike."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(day, "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", day)


def notify(
    user: User | int,
    kind: str,
    title: str,
    body: str,
    link: str | None,
    object_type: str | None,
    object_id: str | int | None,
    dedup_key: str,
    due_on: date | None = None,
) -> Notification | None:
    """Send a notice to one user unless they already have one with this key and date.

    Returns the new notification, or ``None`` when it existed already (nothing is sent). The
    stored key is ``stored_dedup_key(dedup_key, due_on)``: the same reminder computed again
    is a no-op; a reminder whose ``due_on`` moved is a new notice. ``title`` and ``body`` are
    Simplified Chinese for the user; ``link`` a path inside the application.
    """
    sent = _insert_notifications([user], kind, title, body, link, object_type, object_id,
                                 dedup_key, due_on)
    return sent[0] if sent else None


def _insert_notifications(users: Iterable[User | int], kind: str, title: str, body: str,
                          link: str | None, object_type: str | None,
                          object_id: str | int | None, dedup_key: str,
                          due_on: date | None) -> list[Notification]:
    """One INSERT ... ON CONFLICT DO NOTHING for every user; the new rows come back as objects.

    One statement however many recipients (issue 18: a notice to a department of 60
    approvers used to cost 120 statements inside the request).
    """
    if len(title) > 200:
        raise ValueError("notification title longer than 200 characters")
    _check_link(link)
    created = utcnow()
    stored_key = stored_dedup_key(dedup_key, due_on)
    rows = [{"user_id": user if isinstance(user, int) else user.id, "kind": kind,
             "title": title, "body": body, "link": link, "object_type": object_type,
             "object_id": str(object_id) if object_id is not None else None,
             "dedup_key": stored_key, "due_on": due_on, "created_dt": created}
            for user in users]
    if not rows:
        return []
    stmt = (conflict_insert(Notification)
            .on_conflict_do_nothing(index_elements=["user_id", "dedup_key"])
            .returning(Notification))
    return list(db.session.scalars(stmt, rows))


def _check_link(link: str | None) -> None:
    if link is not None and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("a notification link is a path inside the application")


def recipients(roles: Iterable[Role], department: Department | int | None = None) -> list[User]:
    """Return the active users of these roles: of one department, or city-wide if ``None``."""
    where, params = _recipient_rule(department is not None)
    stmt = select(User).where(text(where).bindparams(*params)).order_by(User.id)
    return list(db.session.scalars(stmt, _recipient_values(roles, department)))


def _recipient_rule(department: bool) -> tuple[str, list[BindParameter]]:
    """Who receives a notice to ``:roles`` (of ``:department_id``): the one rule, as SQL text
    (``recipients`` reads by it, ``notify_department`` inserts from it), and its parameters."""
    users = User.__table__.c
    where = "users.active = :active AND users.role IN :roles"
    params = [bindparam("active", type_=users.active.type),
              bindparam("roles", expanding=True, type_=users.role.type)]
    if department:
        where += " AND users.department_id = :department_id"
        params.append(bindparam("department_id", type_=users.department_id.type))
    return where, params


def _recipient_values(roles: Iterable[Role], department: Department | int | None) -> dict:
    values: dict = {"active": True, "roles": list(roles)}
    if department is not None:
        values["department_id"] = department if isinstance(department, int) else department.id
    return values


def notify_users(users: Iterable[User], kind: str, title: str, body: str, link: str | None,
                 object_type: str | None, object_id: str | int | None, dedup_key: str,
                 due_on: date | None = None) -> list[Notification]:
    """Notify each user, as ``notify`` does, in one statement; return the ones that were new."""
    return _insert_notifications(users, kind, title, body, link, object_type, object_id,
                                 dedup_key, due_on)


def notify_department(department: Department | int | None, roles: Iterable[Role], kind: str,
                      title: str, body: str, link: str | None, object_type: str | None,
                      object_id: str | int | None, dedup_key: str,
                      due_on: date | None = None) -> list[Notification]:
    """Notify every active user of ``roles`` in ``department`` (city-wide when ``None``).

    Each user gets the notice at most once per key and date; returns the new ones. One
    ``INSERT ... SELECT`` from the users: the recipients are not read first (issue 18).
    """
    if len(title) > 200:
        raise ValueError("notification title longer than 200 characters")
    _check_link(link)
    values = with_defaults(Notification.__table__, {
        "kind": kind, "title": title, "body": body, "link": link, "object_type": object_type,
        "object_id": str(object_id) if object_id is not None else None,
        "dedup_key": stored_dedup_key(dedup_key, due_on), "due_on": due_on,
        "created_dt": utcnow(), **_recipient_values(roles, department)})
    stmt = _NOTIFY_CITY if department is None else _NOTIFY_DEPARTMENT
    return list(db.session.scalars(stmt, values))


def _notify_from_users(department: bool):
    """``INSERT ... SELECT`` of one notice per active user of ``:roles`` (in ``:department_id``).

    Text, so it is compiled once per process (``text_insert``); the recipients' rows are not
    read first (issue 18).
    """
    table = Notification.__table__
    given = [*INSERT_COLUMNS[1:], *(c.name for c in python_defaults(table, INSERT_COLUMNS))]
    where, params = _recipient_rule(department)
    # Column names of the model and parameters only: nothing of a request is spliced in.
    source = (f"SELECT users.id, {', '.join(':' + name for name in given)} "  # noqa: S608
              f"FROM users WHERE {where} ORDER BY users.id")
    return select(Notification).from_statement(text_insert(
        table, INSERT_COLUMNS, source=source,
        tail="ON CONFLICT (user_id, dedup_key) DO NOTHING", params=params))


_NOTIFY_DEPARTMENT = _notify_from_users(department=True)
_NOTIFY_CITY = _notify_from_users(department=False)


def insert_notifications_from(stmt: Select) -> int:
    """Insert one notification per row of ``stmt``, skipping keys a user already has.

    The set-based form of ``notify`` for sweeps over many rows: ``stmt`` selects the columns
    of ``INSERT_COLUMNS`` (in that order); build ``dedup_key`` with ``dedup_key_sql`` so it
    matches what ``notify`` would store. Returns how many notifications were new.
    """
    table = Notification.__table__
    # SQLite needs a WHERE before ON CONFLICT in INSERT ... SELECT (parsing ambiguity).
    if stmt.whereclause is None:
        stmt = stmt.where(literal(True))
    insert = (
        conflict_insert(table)
        .from_select(list(INSERT_COLUMNS), stmt)
        .on_conflict_do_nothing(index_elements=["user_id", "dedup_key"])
        # psycopg reports no row count for INSERT ... SELECT: count what RETURNING gives.
        .returning(table.c.id)
    )
    return len(db.session.execute(insert).scalars().all())


# -- the inbox --------------------------------------------------------------------------------


def unread_count(user: User) -> int:
    """Return how many of the user's notifications are unread."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id,
                                                  Notification.read_dt.is_(None))
    ) or 0


@dataclass(frozen=True)
class InboxPage:
    """One page of a user's inbox, newest first, and the cursor of the next."""

    items: Sequence[Notification]
    #: ``?after=`` of the next page (``licensing.paging``), None on the last.
    next_after: str | None
    #: Whether this is the top of the list.
    first: bool
    unread: int


def inbox(user: User, *, unread_only: bool = False, after: str | None = None, page: int = 1,
          per_page: int = INBOX_PAGE_SIZE) -> InboxPage:
    """Return one page of the user's notifications, newest first.

    The page continues after the cursor ``after`` (the previous page's last notice), by the
    inbox's indexes however deep; without one, ``page`` counts pages from the top (old
    links). Nothing counts the whole list: a deep inbox costs what its page costs.
    """
    base = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        base = base.where(Notification.read_dt.is_(None))
    listed = key_page(base, Notification.created_dt, Notification.id, descending=True,
                      after=after, page=page, size=per_page)
    return InboxPage(listed.rows, listed.next_after, listed.first, unread_count(user))


def get_own(user: User, notification_id: int) -> Notification:
    """Return one of the user's notifications, or raise ``NotFound`` (also for others')."""
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("该通知不存在。")
    return notification


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (no-op if it was); return it."""
    notification = get_own(user, notification_id)
    if notification.read_dt is None:
        notification.read_dt = utcnow()
        db.session.flush()
    return notification


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; return how many changed."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_dt.is_(None))
        .values(read_dt=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    return result.rowcount or 0
