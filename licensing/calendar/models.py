"""Calendar storage: days, loaded notices, year status, versions, recompute events.

Also ``deadline_mixin``: the columns with which other domains store a legal deadline and its
provenance on their own rows.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from licensing.calendar.core import DayKind
from licensing.calendar.deadlines import Deadline, DeadlineRule
from licensing.clock import utcnow
from licensing.extensions import db
from licensing.types import UTCDateTime


class NoticeSource(enum.StrEnum):
    """Where the data of a loaded notice came from."""

    python_holidays = "python_holidays"  # ``flask calendar sync``
    import_file = "import_file"  # an administrator's import (command or page)

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"python_holidays": "内置数据（开源节假日数据包）",
                "import_file": "管理员导入"}[self.value]


class ChangeReason(enum.StrEnum):
    """Why a calendar version was created."""

    sync = "sync"
    import_notice = "import_notice"

    @property
    def label(self) -> str:
        """Return the Chinese label."""
        return {"sync": "同步内置数据", "import_notice": "导入通知"}[self.value]


class CalendarVersion(db.Model):
    """One state of the calendar data. A new version is created by every change, never reused.

    ``version`` only grows (1, 2, 3...): deadlines cite the version they were computed with.
    ``token`` is random, so a process can tell a cached calendar from a fresh one even on a
    database that was emptied and refilled.
    """

    __tablename__ = "calendar_versions"

    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[ChangeReason] = mapped_column(
        Enum(ChangeReason, native_enum=False, length=20, validate_strings=True)
    )
    summary: Mapped[str] = mapped_column(String(500))
    days_changed: Mapped[int] = mapped_column(default=0)
    deadlines_moved: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<CalendarVersion {self.version} {self.reason.value}>"


class CalendarNotice(db.Model):
    """A State Council notice loaded into the calendar (history: rows are never deleted).

    ``number`` and ``issued_on`` are unknown (``NULL``) for notices synchronised from
    python-holidays, which records the dates but not the document numbers.
    """

    __tablename__ = "calendar_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[str | None] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    issued_on: Mapped[date | None] = mapped_column(Date)
    source: Mapped[NoticeSource] = mapped_column(
        Enum(NoticeSource, native_enum=False, length=20, validate_strings=True)
    )
    loaded_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    calendar_version: Mapped[int] = mapped_column(ForeignKey("calendar_versions.version"))
    file_sha256: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[dict | None] = mapped_column(JSON)

    @property
    def reference(self) -> str:
        """Return how the notice is cited: its number, else its title."""
        return self.number or self.title

    def __repr__(self) -> str:
        return f"<CalendarNotice {self.id} {self.year} {self.reference}>"


class CalendarYear(db.Model):
    """The status of one year: official (a notice is loaded) or provisional (projected)."""

    __tablename__ = "calendar_years"
    __table_args__ = (
        CheckConstraint("official = (notice_id IS NOT NULL)", name="official_iff_notice"),
    )

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    official: Mapped[bool] = mapped_column(Boolean)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("calendar_notices.id"))
    calendar_version: Mapped[int] = mapped_column(ForeignKey("calendar_versions.version"))

    notice: Mapped[CalendarNotice | None] = relationship()

    def __repr__(self) -> str:
        return f"<CalendarYear {self.year} {'official' if self.official else 'provisional'}>"


class CalendarDay(db.Model):
    """One day: working or not, why, and on whose authority.

    ``official`` is false for days of a projected year. ``notice_id`` names the notice that
    governs the day (set if and only if official). ``calendar_version`` is the version in
    which the row last changed.
    """

    __tablename__ = "calendar_days"
    __table_args__ = (
        CheckConstraint("(kind IN ('makeup', 'ordinary')) = is_working",
                        name="working_matches_kind"),
        CheckConstraint("official = (notice_id IS NOT NULL)", name="official_iff_notice"),
    )

    day_on: Mapped[date] = mapped_column(Date, primary_key=True)
    is_working: Mapped[bool] = mapped_column(Boolean)
    kind: Mapped[DayKind] = mapped_column(
        Enum(DayKind, native_enum=False, length=16, validate_strings=True)
    )
    name: Mapped[str | None] = mapped_column(String(100))
    official: Mapped[bool] = mapped_column(Boolean)
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("calendar_notices.id"), index=True)
    calendar_version: Mapped[int] = mapped_column(ForeignKey("calendar_versions.version"))

    def __repr__(self) -> str:
        return f"<CalendarDay {self.day_on.isoformat()} {self.kind.value}>"


class CalendarRecomputeEvent(db.Model):
    """A stored deadline moved (or changed status) because the calendar data changed.

    Written in the same transaction as the change and its audit entry. The notification
    inbox (scheduler issue) turns each row with ``notified_dt IS NULL`` into a notice to the
    owner of ``object_type``/``object_id`` and then sets ``notified_dt``.
    """

    __tablename__ = "calendar_recompute_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    calendar_version: Mapped[int] = mapped_column(ForeignKey("calendar_versions.version"),
                                                  index=True)
    previous_calendar_version: Mapped[int] = mapped_column(Integer)
    provider: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(64))
    object_id: Mapped[str] = mapped_column(String(64))
    deadline: Mapped[str] = mapped_column(String(40))  # the column prefix, e.g. "verification"
    rule: Mapped[DeadlineRule] = mapped_column(
        Enum(DeadlineRule, native_enum=False, length=32, validate_strings=True)
    )
    old_due_on: Mapped[date] = mapped_column(Date)
    new_due_on: Mapped[date] = mapped_column(Date)
    old_provisional: Mapped[bool] = mapped_column(Boolean)
    new_provisional: Mapped[bool] = mapped_column(Boolean)
    #: Set when the deadline binds the person and the new calendar would have made it earlier:
    #: the date the calendar gave, while ``new_due_on`` keeps the date given in writing.
    computed_due_on: Mapped[date | None] = mapped_column(Date)
    notified_dt: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    __table_args__ = (
        db.Index("ix_calendar_recompute_events_object", "object_type", "object_id"),
    )

    @property
    def moved(self) -> bool:
        """Return whether the due date itself changed (not only its provisional flag)."""
        return self.old_due_on != self.new_due_on

    def __repr__(self) -> str:
        return (f"<CalendarRecomputeEvent {self.object_type}:{self.object_id} {self.deadline} "
                f"{self.old_due_on}->{self.new_due_on}>")


# -- stored deadlines on other domains' rows ------------------------------------------------

DEADLINE_FIELDS = ("rule", "working_days", "start_event", "start_on", "due_on", "provisional",
                   "calendar_version")

_POSTGRES_MAX_IDENTIFIER = 63


def deadline_mixin(prefix: str) -> type:
    """Return a declarative mixin that stores one deadline on a row, as ``{prefix}_*`` columns.

    Columns (all nullable together: a deadline is either wholly set or wholly absent):
    ``{prefix}_rule`` (``DeadlineRule``), ``{prefix}_working_days``, ``{prefix}_start_event``,
    ``{prefix}_start_on``, ``{prefix}_due_on`` (indexed), ``{prefix}_provisional``,
    ``{prefix}_calendar_version``; and the Python property ``{prefix}_deadline`` that reads and
    writes them as one ``Deadline`` (or ``None``). Named CHECK constraints keep the columns
    all-set-or-all-null and the due date after the start date.

    Use one mixin per deadline, with a short prefix that says what is due::

        class VerificationTask(deadline_mixin("verification"),
                               deadline_mixin("result_push"), db.Model):
            ...

        task.verification_deadline = compute_deadline(DeadlineRule.standard_60, ...)
        select(VerificationTask).where(VerificationTask.verification_due_on <= today)

    Register the model with ``licensing.calendar.registry.register_deadline_model`` so that
    loading a notice recomputes its open deadlines.
    """
    if not prefix.isidentifier() or prefix != prefix.lower() or len(prefix) > 24:
        raise ValueError(f"bad deadline prefix {prefix!r}: lower-case identifier, <= 24 chars")
    p = prefix

    def _get(self: Any) -> Deadline | None:
        rule = getattr(self, f"{p}_rule")
        if rule is None:
            return None
        return Deadline(
            rule=DeadlineRule(rule),
            working_days=getattr(self, f"{p}_working_days"),
            start_event=getattr(self, f"{p}_start_event"),
            start_on=getattr(self, f"{p}_start_on"),
            due_on=getattr(self, f"{p}_due_on"),
            provisional=bool(getattr(self, f"{p}_provisional")),
            calendar_version=getattr(self, f"{p}_calendar_version"),
        )

    def _set(self: Any, value: Deadline | None) -> None:
        if value is not None and not isinstance(value, Deadline):
            raise TypeError(f"{p}_deadline takes a Deadline or None")
        for name in DEADLINE_FIELDS:
            setattr(self, f"{p}_{name}", getattr(value, name) if value is not None else None)

    def __init_subclass__(cls: type, **kwargs: Any) -> None:
        super(mixin, cls).__init_subclass__(**kwargs)
        table = cls.__dict__.get("__table__")
        if table is None:  # abstract class, or single-table inheritance: table already done
            return
        names = {c.name for c in table.constraints}
        complete = f"{p}_deadline_complete"
        if complete in names or f"ck_{table.name}_{complete}" in names:
            return
        all_null = " AND ".join(f"{p}_{f} IS NULL" for f in DEADLINE_FIELDS)
        all_set = " AND ".join(f"{p}_{f} IS NOT NULL" for f in DEADLINE_FIELDS)
        checks = (
            CheckConstraint(f"({all_null}) OR ({all_set})", name=complete),
            CheckConstraint(
                f"{p}_due_on IS NULL OR ({p}_due_on > {p}_start_on AND {p}_working_days >= 1)",
                name=f"{p}_deadline_after_start",
            ),
        )
        for check in checks:
            full_name = f"ck_{table.name}_{check.name}"
            if len(full_name) > _POSTGRES_MAX_IDENTIFIER:
                raise ValueError(f"constraint name too long for PostgreSQL: {full_name}")
            table.append_constraint(check)

    attributes: dict[str, Any] = {
        "__doc__": f"Stores the ``{p}`` deadline (see ``deadline_mixin``).",
        "__init_subclass__": classmethod(__init_subclass__),
        f"{p}_rule": mapped_column(
            f"{p}_rule", Enum(DeadlineRule, native_enum=False, length=32, validate_strings=True),
            nullable=True,
        ),
        f"{p}_working_days": mapped_column(f"{p}_working_days", Integer, nullable=True),
        f"{p}_start_event": mapped_column(f"{p}_start_event", String(64), nullable=True),
        f"{p}_start_on": mapped_column(f"{p}_start_on", Date, nullable=True),
        f"{p}_due_on": mapped_column(f"{p}_due_on", Date, nullable=True, index=True),
        f"{p}_provisional": mapped_column(f"{p}_provisional", Boolean, nullable=True),
        f"{p}_calendar_version": mapped_column(f"{p}_calendar_version", Integer, nullable=True),
        f"{p}_deadline": property(_get, _set, doc=f"The ``{p}`` deadline, or ``None``."),
    }
    name = "".join(part.title() for part in p.split("_")) + "DeadlineMixin"
    mixin = type(name, (), attributes)
    return mixin
