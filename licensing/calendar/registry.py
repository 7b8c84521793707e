"""Where other domains declare their open deadlines, so calendar changes can recompute them.

A domain that stores deadlines (with ``deadline_mixin``) registers, once, at import time of
its ``models`` module (which the application factory always imports)::

    register_deadline_model(
        VerificationTask, "verification",
        is_open=lambda: VerificationTask.status.in_(OPEN_STATES),
        object_type="verification_task",
    )

When a notice is loaded, ``licensing.calendar.services`` asks every provider for the open
deadlines whose counted span ``(start_on, due_on]`` meets the changed days, recomputes them
in the same transaction, and audits each change. "Open" is the owner's decision: a deadline
already met, or of a closed case, must not move.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.sql.elements import ColumnElement

from licensing.calendar.deadlines import Deadline
from licensing.extensions import db


@dataclass(frozen=True)
class DeadlineRef:
    """One stored deadline: the row holding it, its column prefix, and how to audit it."""

    owner: Any
    prefix: str
    provider: str
    object_type: str

    @property
    def object_id(self) -> str:
        """Return the owner's primary key as text (composite keys joined with ``-``)."""
        identity = inspect(self.owner).identity
        if identity is None:
            raise ValueError("the owner of a deadline must be flushed first")
        return "-".join(str(part) for part in identity)

    def get(self) -> Deadline | None:
        """Return the stored deadline."""
        return getattr(self.owner, f"{self.prefix}_deadline")

    def set(self, deadline: Deadline) -> None:
        """Store a new deadline on the owner."""
        setattr(self.owner, f"{self.prefix}_deadline", deadline)


#: ``provider(first_day, last_day)`` yields the open deadlines with
#: ``start_on < last_day`` and ``due_on >= first_day``: those whose count can change when the
#: days ``first_day..last_day`` change.
DeadlineProvider = Callable[[date, date], Iterable[DeadlineRef]]

_providers: dict[str, DeadlineProvider] = {}


def register_deadline_provider(name: str, provider: DeadlineProvider) -> None:
    """Register (or replace) a provider of open deadlines under a unique ``name``."""
    _providers[name] = provider


def register_deadline_model(
    model: type,
    prefix: str,
    *,
    is_open: Callable[[], ColumnElement[bool]],
    object_type: str | None = None,
    name: str | None = None,
) -> None:
    """Register the ``prefix`` deadline of ``model`` (a ``deadline_mixin`` user).

    ``is_open`` returns the SQL condition selecting rows whose deadline still runs.
    ``object_type`` is the type name the owning domain uses in its audit entries (default:
    the table name). ``name`` defaults to ``"<table>.<prefix>"``.
    """
    due_on = getattr(model, f"{prefix}_due_on")
    start_on = getattr(model, f"{prefix}_start_on")
    table = model.__tablename__  # type: ignore[attr-defined]
    provider_name = name or f"{table}.{prefix}"
    audit_type = object_type or table

    def provider(first_day: date, last_day: date) -> Iterator[DeadlineRef]:
        stmt = select(model).where(
            is_open(), due_on.is_not(None), due_on >= first_day, start_on < last_day
        )
        for owner in db.session.scalars(stmt):
            yield DeadlineRef(owner, prefix, provider_name, audit_type)

    register_deadline_provider(provider_name, provider)


def unregister_deadline_provider(name: str) -> None:
    """Remove a provider (tests)."""
    _providers.pop(name, None)


def deadline_providers() -> Mapping[str, DeadlineProvider]:
    """Return the registered providers by name."""
    return dict(_providers)


def open_deadlines(first_day: date, last_day: date) -> Iterator[DeadlineRef]:
    """Yield every registered open deadline whose counted span meets ``first_day..last_day``."""
    for provider in list(_providers.values()):
        yield from provider(first_day, last_day)
