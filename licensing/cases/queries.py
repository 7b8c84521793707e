"""Which applications and licences a user may see."""

from __future__ import annotations

from sqlalchemy import Select, select

from licensing.applicants.models import Applicant
from licensing.auth.access import department_scope
from licensing.auth.models import Role
from licensing.cases.errors import ApplicationNotFound
from licensing.cases.models import Application
from licensing.extensions import db


def visible_applications(user) -> Select:
    """Applications the user may see: their department's, or an applicant's own."""
    stmt = select(Application)
    if user.role == Role.applicant:
        return stmt.join(Applicant, Applicant.id == Application.applicant_id).where(
            Applicant.user_id == user.id)
    return department_scope(stmt, Application.approval_department_id,
                            Application.supervisory_department_id, user=user)


def load_application(public_id: str, user, *, for_update: bool = False) -> Application:
    """Load an application by its public id through the user's scope, or raise 404."""
    stmt = visible_applications(user).where(Application.public_id == public_id)
    if for_update and db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Application)
    application = db.session.scalars(stmt).first()
    if application is None:
        raise ApplicationNotFound()
    return application
