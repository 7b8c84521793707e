"""Guarded status transitions: the one mechanism every state machine of the system uses.

A transition table maps an event to ``(states it may happen in, state it leads to)``. A move
is refused in any other state; the row is moved by a conditional ``UPDATE ... WHERE status =
<the state read>`` (and ``AND lock_version = <the form's>`` when a form is behind it), so of two
people acting at once exactly one succeeds and the other gets a clear refusal; the move is
audited in the same call. Like every service it flushes and never commits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import update

from licensing.audit.services import record_audit
from licensing.errors import DomainError
from licensing.extensions import db

Transitions = Mapping[str, tuple[frozenset, Any]]


def allowed_events(obj: Any, transitions: Transitions) -> list[str]:
    """Return the events ``transitions`` allows from ``obj``'s current status."""
    return [event for event, (sources, _) in transitions.items() if obj.status in sources]


def guarded_transition(
    obj: Any,
    event: str,
    transitions: Transitions,
    *,
    refused: Callable[[Any, str], DomainError],
    audit_type: str,
    actor: Any = None,
    stale: Callable[[], DomainError] | None = None,
    expected_version: int | None = None,
    values: Mapping[str, Any] | None = None,
    changes: Mapping[str, Any] | None = None,
    versioned: bool = True,
) -> None:
    """Move ``obj`` by ``event`` under ``transitions``, race-safe, and audit it.

    ``refused(obj, event)`` builds the error for a move the current state does not allow;
    ``stale()`` the error for a form filled in on an older version (``expected_version``).
    ``versioned`` models carry a ``lock_version`` bumped on every move. The audit action is
    ``<audit_type>.<event>`` with the old and new status.
    """
    model = type(obj)
    sources, target = transitions[event]
    if expected_version is not None and obj.lock_version != expected_version:
        raise (stale or (lambda: refused(obj, event)))()
    if obj.status not in sources:
        raise refused(obj, event)
    previous = obj.status
    stmt = update(model).where(model.id == obj.id, model.status == previous)
    if expected_version is not None:
        stmt = stmt.where(model.lock_version == expected_version)
    new_values = dict(values or {})
    if versioned:
        new_values["lock_version"] = model.lock_version + 1
    result = db.session.execute(stmt.values(status=target, **new_values)
                                .execution_options(synchronize_session=False))
    db.session.refresh(obj)
    if result.rowcount != 1:
        if (expected_version is not None and stale is not None
                and obj.lock_version != expected_version):
            raise stale()
        raise refused(obj, event)
    record_audit(f"{audit_type}.{event}", object_type=audit_type, object_id=obj.id, actor=actor,
                 changes={"status": [previous, target], **dict(changes or {})})


__all__ = ["Transitions", "allowed_events", "guarded_transition"]
