"""Shared set-up of the supervision, revocation and supplement tests (holds no tests itself).

``world`` gives the staff of one approval and two supervisory departments and a frozen clock;
``licensed(world, ...)`` builds a commitment-track case through the real journey and returns
its application, licence and verification task.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from itertools import count
from typing import TypeVar

import pytest
from sqlalchemy import select

from licensing import clock
from licensing.audit.models import AuditEntry
from licensing.auth.models import Role, User
from licensing.cases import services as cases
from licensing.cases.models import Application, Channel, Decision, Licence, Track
from licensing.clock import LOCAL_TZ
from licensing.credit.models import OutboxMessage
from licensing.extensions import db
from licensing.notifications.models import Notification
from licensing.supervision.models import VerificationTask
from tests import dbclean
from tests.case_factories import applicant, calendar_loaded, published_item
from tests.factories import create_test_user, departments

COMMIT_MODES = {"M1": None, "M2": "supplement", "M3": "substitute", "M4": "exempt_review"}
#: "Today" in these tests: Tuesday 10 March 2026, 10:00 in Beijing.
TODAY = date(2026, 3, 10)
DECIDED_ON = date(2026, 3, 2)
_seed = count(5000)
_T = TypeVar("_T")


def freeze_on(day: date, hour: int = 10) -> None:
    """Fix the clock at ``hour`` o'clock (Beijing) on ``day``."""
    clock.set_frozen(datetime.combine(day, time(hour), tzinfo=LOCAL_TZ).astimezone(UTC))


@dataclass
class World:
    """The staff of the tests."""

    clerk: User
    approver: User
    inspector: User
    inspector_b: User  # a second inspector of the same department (wsjkj)
    head: User
    other_inspector: User  # of another supervisory department (scjgj)
    other_head: User


@pytest.fixture(name="world")
def world_fixture(session) -> World:
    """Calendar loaded, one user per role, the clock at ``TODAY``."""
    calendar_loaded()
    return staff()


def staff() -> World:
    """One user per role, committed, with the clock at ``TODAY`` (the calendar loaded before)."""
    freeze_on(TODAY)
    return World(
        clerk=create_test_user(Role.clerk),
        approver=create_test_user(Role.approver),
        inspector=create_test_user(Role.inspector, "wsjkj"),
        inspector_b=create_test_user(Role.inspector, "wsjkj"),
        head=create_test_user(Role.head, "wsjkj"),
        other_inspector=create_test_user(Role.inspector, "scjgj"),
        other_head=create_test_user(Role.head, "scjgj"),
    )


def replayed_on_world(session, key: Hashable, build: Callable[[World], _T]) -> _T:
    """``build(world)`` on a new ``world``, built once per database and then replayed.

    Ask for it instead of ``world`` (which writes the staff before the build could start on
    empty tables): the staff and what ``build`` makes on it are one replayed build
    (``tests.dbclean.replayed_world``), their audit entries one chain. ``key`` names the
    build; the reference data it runs on is added to it.
    """
    calendar_loaded()
    departments()
    full_key = (key, dbclean.reference_state(session))
    return dbclean.replayed_world(session, full_key, lambda: build(staff()))


def licensed(world: World, *, decided_on: date = DECIDED_ON, version=None, who=None,
             track: Track = Track.commitment, supervisory: str = "wsjkj"):
    """Build a licensed case through the journey; return ``(application, licence, task)``."""
    version = version or published_item(supervisory=supervisory, valid_from=date(2026, 1, 1))
    who = who or applicant(seed=next(_seed))
    application = cases.start_application(version, who, Channel.counter, actor=world.clerk)
    cases.give_notice(application)
    if track == Track.commitment:
        choice = cases.choose_track(application, Track.commitment)
        assert choice.eligible, choice.reasons
        cases.set_commitments(application, COMMIT_MODES)
        text = cases.letter_text(application)
        cases.sign_letter(application, "张三", cases.letter_digest(text), Channel.counter,
                          actor=world.clerk)
    else:
        cases.choose_track(application, Track.general)
        cases.accept_general(application, ["M1", "M2", "M3", "M4"], accepted_on=decided_on)
    result = cases.decide(application, Decision.approve, world.approver, decided_on=decided_on)
    db.session.commit()
    return application, result.licence, result.task


def actions(object_type: str, object_id) -> list[str]:
    """Return the audit actions of one object, oldest first."""
    return list(db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id)))


def outbox(kind: str) -> list[OutboxMessage]:
    """Return the queued credit pushes of one kind."""
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                   .order_by(OutboxMessage.id)))


def notices(user: User, kind: str | None = None) -> list[Notification]:
    """Return a user's notifications (of one kind)."""
    stmt = select(Notification).where(Notification.user_id == user.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt.order_by(Notification.id)))


def reload(obj):
    """Re-read an object from the database (after a commit or another session's change)."""
    db.session.expire(obj)
    return obj


__all__ = ["DECIDED_ON", "TODAY", "Application", "Licence", "VerificationTask", "World",
           "actions", "freeze_on", "licensed", "notices", "outbox", "reload", "world_fixture"]
