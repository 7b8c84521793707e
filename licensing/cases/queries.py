"""Which applications and licences a user may see."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from licensing.applicants.models import Applicant
from licensing.auth.access import department_scope
from licensing.auth.models import Role
from licensing.cases.errors import ApplicationNotFound
from licensing.cases.models import Application
from licensing.catalogue.models import ItemVersion
from licensing.extensions import db


def visible_applications(user) -> Select:
    """Applications the user may see: their department's, or an applicant's own."""
    stmt = select(Application)
    if user.role == Role.applicant:
        return stmt.join(Applicant, Applicant.id == Application.applicant_id).where(
            Applicant.user_id == user.id)
    return department_scope(stmt, Application.approval_department_id,
                            Application.supervisory_department_id, user=user)


def decision_graph() -> tuple:
    """What a decision reads of its application, as loader options: one SELECT for it all.

    The decision issues the licence from these facts and answers with them (issue 18: one
    statement, not one lazy load each). Collections keep their own loaders (a join would
    repeat rows), but the few materials of the case, read for its supplements. A function,
    because options need every mapper configured.
    """
    return (
        joinedload(Application.item_version).joinedload(ItemVersion.item),
        joinedload(Application.approval_department),
        joinedload(Application.supervisory_department),
        joinedload(Application.materials),
        joinedload(Application.applicant_version),
        joinedload(Application.letter),
        joinedload(Application.credit_check),
        joinedload(Application.licence),
        joinedload(Application.licence_request),
    )


def load_application(public_id: str, user, *, for_update: bool = False,
                     options=()) -> Application:
    """Load an application by its public id through the user's scope, or raise 404.

    ``options``: loader options, e.g. ``decision_graph()`` for a decision.
    """
    stmt = visible_applications(user).where(Application.public_id == public_id)
    if options:
        stmt = stmt.options(*options)
    if for_update and db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Application)
    # All rows read (a joined collection spans several), then one application.
    application = db.session.scalars(stmt).unique().one_or_none()
    if application is None:
        raise ApplicationNotFound()
    return application
