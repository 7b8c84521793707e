"""Which applications and licences a user may see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select, union_all
from sqlalchemy.orm import joinedload, selectinload

from licensing.applicants.models import Applicant
from licensing.auth.access import department_scope
from licensing.auth.models import Role
from licensing.cases.errors import ApplicationNotFound
from licensing.cases.models import (
    Application,
    ApplicationStatus,
    Licence,
    Track,
    normalise_case_number,
)
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


def count_visible_by_status(user, statuses, *, bounded: dict[ApplicationStatus, int] | None = None
                            ) -> dict[ApplicationStatus, int]:
    """How many of the applications the user may see are in each of ``statuses``.

    A department's staff see an application as its approval department, or as its
    supervisory department. The two are counted apart (the second only where the department
    is not also the approver), each an index-only range of its own index
    (``ix_applications_dept_status``); one count over both would visit every row in the
    table, tens of thousands for the drafts of a busy department.

    ``bounded`` gives a bound for some statuses (a worklist's figure, such as the drafts): their
    count stops at the bound plus one (``LIMIT``), so a result above the bound means "more
    than the bound" (see ``shown_count``); reading fifty thousand drafts to print one exact
    figure costs more than the whole rest of a home page.
    """
    a = Application
    bounded = bounded or {}
    counts = {status: _count_at_most(user, status, bound) for status, bound in bounded.items()}
    statuses = tuple(s for s in statuses if s not in bounded)
    if not statuses:
        return counts
    if user.role == Role.applicant or user.sees_all_departments or user.department_id is None:
        stmt = (visible_applications(user).with_only_columns(a.status, func.count())
                .where(a.status.in_(statuses)).group_by(a.status).order_by(None))
    else:
        own = user.department_id
        stmt = union_all(
            select(a.status, func.count()).where(a.approval_department_id == own,
                                                 a.status.in_(statuses)).group_by(a.status),
            select(a.status, func.count()).where(a.supervisory_department_id == own,
                                                 a.approval_department_id != own,
                                                 a.status.in_(statuses)).group_by(a.status))
    counts.update(dict.fromkeys(statuses, 0))
    for status, number in db.session.execute(stmt):
        counts[ApplicationStatus(status)] += number
    return counts


def _count_at_most(user, status: ApplicationStatus, bound: int) -> int:
    """How many visible applications are in ``status``, counted up to ``bound + 1``."""
    a = Application
    if user.role == Role.applicant or user.sees_all_departments or user.department_id is None:
        arms = [visible_applications(user).with_only_columns(a.id).where(a.status == status)
                .order_by(None)]
    else:
        own = user.department_id
        # as count_visible_by_status: each arm a range of its own index
        arms = [select(a.id).where(a.approval_department_id == own, a.status == status),
                select(a.id).where(a.supervisory_department_id == own,
                                   a.approval_department_id != own, a.status == status)]
    counted = [select(func.count()).select_from(arm.limit(bound + 1).subquery())
               .scalar_subquery() for arm in arms]
    return min(sum(db.session.execute(select(*counted)).one()), bound + 1)


def shown_count(number: int, bound: int) -> str | int:
    """A bounded count as a panel shows it: the number, or "more than the bound" (``500+``)."""
    return f"{bound}+" if number > bound else number


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


def answer_graph() -> tuple:
    """What the API's answer about an application reads, as loader options.

    The decision's graph, the item's materials (the answer lists each promised one by its
    code and name) and the supplements with their materials: three SELECTs instead of one
    lazy load per relationship. ``Application.supplements`` is the supplements domain's
    backref; its class is taken from the mapper, so this domain imports nothing of that one.
    """
    supplements = Application.supplements
    obligation = supplements.property.mapper.class_
    return (
        *decision_graph(),
        joinedload(Application.item_version).selectinload(ItemVersion.materials),
        selectinload(supplements).joinedload(obligation.material),
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


#: Rows per page of the case list.
PAGE_SIZE = 50


@dataclass(frozen=True)
class CaseListQuery:
    """The case list's filters and where the page starts, as read from the query string.

    ``after`` / ``before``: the id of the last (first) application of the page the user
    comes from; the list then continues by key from there, as deep as it goes, without
    counting the rows before it. Without either, ``page`` counts pages from the top.
    """

    q: str = ""
    status: str = ""
    track: str = ""
    page: int = 1
    after: int | None = None
    before: int | None = None


@dataclass
class CasePage:
    """One page of the case list, newest first, with the keys of its neighbours."""

    applications: list[Application]
    has_next: bool
    has_previous: bool

    @property
    def next_after(self) -> int | None:
        """The ``after`` of the following page (``None`` on the last page)."""
        return self.applications[-1].id if self.has_next and self.applications else None

    @property
    def previous_before(self) -> int | None:
        """The ``before`` of the preceding page (``None`` on the first page)."""
        return self.applications[0].id if self.has_previous and self.applications else None


def search_condition(q: str):
    """What a search box's text finds: an exact code, else a part of the applicant's name.

    Codes are looked up first, exactly, through their unique indexes: a case number (受理编号,
    typed loosely), a licence number, an applicant's code (统一社会信用代码 or ID number).
    Only when no code matches is the text a part of a name: ``LIKE '%…%'``, which the
    trigram index on ``applicants.name`` serves on PostgreSQL. (One OR of all of them would
    leave the database no index to start from.)
    """
    q = q.strip()
    case_number = normalise_case_number(q)
    if case_number:
        return Application.case_number == case_number
    if q.isascii() and q.replace("-", "").isalnum():
        licensed = db.session.scalar(select(Licence.application_id).where(Licence.number == q))
        if licensed is not None:
            return Application.id == licensed
        holders = list(db.session.scalars(select(Applicant.id).where(
            Applicant.code == q.upper())))
        if holders:
            return Application.applicant_id.in_(holders)
    return Application.applicant_id.in_(
        select(Applicant.id).where(Applicant.name.contains(q, autoescape=True)))


def case_list(user, query: CaseListQuery) -> CasePage:
    """One page of the applications the user may see, newest first.

    Each row's item and applicant are loaded with the page (no statement per row).
    """
    stmt = visible_applications(user).options(joinedload(Application.item_version),
                                              joinedload(Application.applicant))
    if query.status in ApplicationStatus.__members__:
        stmt = stmt.where(Application.status == ApplicationStatus(query.status))
    if query.track in Track.__members__:
        stmt = stmt.where(Application.track == Track(query.track))
    if query.q.strip():
        stmt = stmt.where(search_condition(query.q))
    if query.before is not None:
        rows = list(db.session.scalars(stmt.where(Application.id > query.before)
                                       .order_by(Application.id).limit(PAGE_SIZE + 1)))
        has_previous = len(rows) > PAGE_SIZE
        return CasePage(list(reversed(rows[:PAGE_SIZE])), has_next=True,
                        has_previous=has_previous)
    if query.after is not None:
        stmt = stmt.where(Application.id < query.after)
    else:
        stmt = stmt.offset((max(query.page, 1) - 1) * PAGE_SIZE)
    rows = list(db.session.scalars(stmt.order_by(Application.id.desc()).limit(PAGE_SIZE + 1)))
    return CasePage(rows[:PAGE_SIZE], has_next=len(rows) > PAGE_SIZE,
                    has_previous=query.after is not None or query.page > 1)
