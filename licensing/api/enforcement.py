"""The API of enforcement: breach cases, rectification, the revocation procedure.

Registered on the ``/api/v1`` blueprint of ``licensing.api.api`` (imported at its end).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import select

from licensing.api.api import DECIDERS, LICENCE_NUMBER, _licence, _user, routes
from licensing.api.errors import LicenceNotFound
from licensing.api.routing import PathParam
from licensing.api.schemas import ErrorBody, IsoDate, Request, Response, Text
from licensing.auth.access import roles_required
from licensing.auth.models import Role, User
from licensing.enforcement import services
from licensing.enforcement.errors import BreachNotFound
from licensing.enforcement.models import BreachCase, RevocationCase
from licensing.errors import NotFound
from licensing.extensions import db

BREACH_WORKERS = (Role.inspector, Role.head)
CASE_READERS = (Role.approver, Role.head, Role.inspector, Role.reform_office)
BREACH_ID = {"breach_id": PathParam(int, None, BreachNotFound, "The breach case's id.")}
CASE_ID = {"case_id": PathParam(int, None, NotFound, "The revocation case's id.")}


# --- schemas ----------------------------------------------------------------------------------


class BreachIn(Request):
    """A breach found outside the verification task (日常监管、投诉举报、移送、信用复核)."""

    origin: Literal["routine_inspection", "complaint", "referral", "credit_recheck"]
    finding: Literal["false_commitment", "breach"]
    facts: Text(5000, 1)
    found_on: IsoDate


class BreachRectificationIn(Request):
    """A rectification order (责令限期整改): a due date after today and what must be put right."""

    due_on: IsoDate
    requirements: Text(5000, 1)


class BreachOutcomeIn(Request):
    """Whether the breach was put right; not rectified before the due date needs a re-inspection."""

    rectified: bool
    note: Text(5000) | None = None
    reinspected_on: IsoDate | None = None
    penalty_ref: Text(100) | None = Field(
        None, description="The penalty decision's reference (依法依规予以查处), if any.")


class JudicialTransferIn(Request):
    """A transfer to the judicial authorities (移送司法机关)."""

    reference: Text(100, 1)
    transferred_on: IsoDate


class BreachOut(Response):
    """A breach case."""

    id: int
    status: str
    licence_number: str
    origin: str
    finding: str
    facts: str
    found_on: date
    task_id: int | None
    rectification_due_on: date | None
    rectification_requirements: str | None
    rectification_number: str | None
    reinspected_on: date | None
    outcome_note: str | None
    penalty_ref: str | None
    judicial_transfer_ref: str | None
    revocation_case_id: int | None
    rectification_notice_url: str | None


class NoticeIn(Request):
    """The notice of intended revocation (拟撤销行政许可告知书)."""

    facts: Text(5000, 1)
    reasons: Text(5000, 1)
    legal_basis: Text(5000) | None = None


class StatementIn(Request):
    """The statement and defence received, or the written waiver of the rights."""

    received_on: IsoDate
    text: Text(5000) | None = None
    hearing_requested: bool = False
    waives_rights: bool = False


class HearingIn(Request):
    """The hearing held at the licensee's request."""

    held_on: IsoDate
    host: Text(100, 1)
    place: Text(200, 1) = "（未填写）"
    minutes: Text(5000, 1)


class RevocationDecisionIn(Request):
    """The decision: revoke, or not revoke (including 第六十九条's public-interest exception)."""

    outcome: Literal["revoke", "not_revoke"]
    reason: Text(5000, 1)
    legal_basis: Text(5000) | None = None
    public_interest: bool = False


class ServiceIn(Request):
    """The service of the decision (送达): the licence is revoked from ``served_on``."""

    method: Literal["direct", "post", "electronic", "public_notice"]
    served_on: IsoDate
    receipt: Text(5000, 1)


class ReversalIn(Request):
    """A served revocation withdrawn (not upheld on review or in court)."""

    reason: Text(5000, 1)
    reversed_on: IsoDate


class DeadlineOut(Response):
    """A deadline with its provenance."""

    due_on: date
    rule: str
    working_days: int
    start_on: date
    provisional: bool


class RevocationCaseOut(Response):
    """A revocation case and every step of its procedure."""

    id: int
    status: str
    licence_number: str
    licence_status: str
    origin: str
    finding: str
    breach_case_id: int | None
    request_reason: str
    notice_number: str | None
    noticed_on: date | None
    notice_facts: str | None
    notice_reasons: str | None
    notice_legal_basis: str | None
    statement_due_on: date | None
    statement_deadline: DeadlineOut | None
    notice_url: str | None
    statement_received_on: date | None
    statement_text: str | None
    hearing_requested: bool
    waives_rights: bool
    hearing_held_on: date | None
    hearing_host: str | None
    hearing_place: str | None
    hearing_minutes: str | None
    decision: Literal["revoke", "not_revoke"] | None
    decided_on: date | None
    decision_reason: str | None
    legal_basis: str | None
    public_interest: bool
    letter_number: str | None
    decision_url: str | None
    service_method: str | None
    served_on: date | None
    service_receipt: str | None
    service_receipt_url: str | None
    reversed_on: date | None
    decision_blocked_by: str | None = Field(
        None, description="The code a revocation decision would be refused with now.")


class RevocationStatusOut(Response):
    """The licence's state after a step (for the one-step path)."""

    number: str
    status: str
    revoked_at: datetime | None


# --- presenting -------------------------------------------------------------------------------


def breach_out(case_: BreachCase) -> BreachOut:
    """A breach case as the API shows it."""
    revocation = db.session.scalar(select(RevocationCase.id).where(
        RevocationCase.breach_case_id == case_.id))
    return BreachOut(
        id=case_.id, status=case_.status.value, licence_number=case_.licence.number,
        origin=case_.origin.value, finding=case_.finding.value, facts=case_.facts,
        found_on=case_.found_on, task_id=case_.task_id,
        rectification_due_on=case_.rectification_due_on,
        rectification_requirements=case_.rectification_requirements,
        rectification_number=case_.rectification_number, reinspected_on=case_.reinspected_on,
        outcome_note=case_.outcome_note, penalty_ref=case_.penalty_ref,
        judicial_transfer_ref=case_.judicial_transfer_ref, revocation_case_id=revocation,
        rectification_notice_url=(f"/breaches/{case_.id}/rectification-notice.pdf"
                                  if case_.rectification_ordered_on else None))


def case_out(case_: RevocationCase) -> RevocationCaseOut:
    """A revocation case with every step."""
    deadline = case_.statement_deadline
    decision = None
    if case_.letter_number:
        decision = "revoke"
    elif case_.status.value == "dismissed":
        decision = "not_revoke"
    blocker = services.decision_blocker(case_) if case_.status.value in (
        "requested", "noticed") else None
    return RevocationCaseOut(
        id=case_.id, status=case_.status.value, licence_number=case_.licence.number,
        licence_status=case_.licence.status.value, origin=case_.origin.value,
        finding=case_.finding.value, breach_case_id=case_.breach_case_id,
        request_reason=case_.request_reason, notice_number=case_.notice_number,
        noticed_on=case_.noticed_on, notice_facts=case_.notice_facts,
        notice_reasons=case_.notice_reasons, notice_legal_basis=case_.notice_legal_basis,
        statement_due_on=case_.statement_due_on,
        statement_deadline=(DeadlineOut(due_on=deadline.due_on, rule=deadline.rule.value,
                                        working_days=deadline.working_days,
                                        start_on=deadline.start_on,
                                        provisional=deadline.provisional)
                            if deadline is not None else None),
        notice_url=(f"/revocations/{case_.id}/notice.pdf" if case_.noticed_on else None),
        statement_received_on=case_.statement_received_on, statement_text=case_.statement_text,
        hearing_requested=case_.hearing_requested, waives_rights=case_.rights_waived,
        hearing_held_on=case_.hearing_held_on, hearing_host=case_.hearing_host,
        hearing_place=case_.hearing_place, hearing_minutes=case_.hearing_minutes,
        decision=decision, decided_on=case_.decided_on, decision_reason=case_.decision_reason,
        legal_basis=case_.legal_basis, public_interest=case_.public_interest,
        letter_number=case_.letter_number,
        decision_url=(f"/revocations/{case_.id}/letter.pdf" if case_.letter_number else None),
        service_method=case_.service_method.value if case_.service_method else None,
        served_on=case_.served_on, service_receipt=case_.service_receipt,
        service_receipt_url=(f"/revocations/{case_.id}/service-receipt.pdf"
                             if case_.served_on else None),
        reversed_on=case_.reversed_on,
        decision_blocked_by=blocker.code if blocker is not None else None)


# --- breach cases -----------------------------------------------------------------------------


@routes.operation("POST", "/licences/{number}/breaches", summary="Open a breach case",
                  tag="enforcement", path_params=LICENCE_NUMBER, body=BreachIn,
                  responses={201: BreachOut, 409: ErrorBody})
@roles_required(*BREACH_WORKERS)
def open_breach(number: str, body: BreachIn):
    """Open a breach case (违诺案件) on a licence of either track, from routine supervision, a
    complaint, a referral or a credit re-check; another department's licence answers 404."""
    licence = _licence(number)
    if licence.application.supervisory_department_id != _user().department_id:
        raise LicenceNotFound()
    case_ = services.open_manual_breach(licence, origin=body.origin, finding=body.finding,
                                        facts=body.facts, found_on=body.found_on, actor=_user())
    return 201, breach_out(case_)


@routes.operation("GET", "/breaches/{breach_id}", summary="A breach case", tag="enforcement",
                  path_params=BREACH_ID, responses={200: BreachOut})
@roles_required(*CASE_READERS)
def get_breach(breach_id: int):
    """A breach case of the caller's department (supervisory or approval)."""
    return 200, breach_out(services.load_breach(breach_id, _user()))


# --- the steps: one handler each, made from a table -------------------------------------------


@dataclass(frozen=True)
class Step:
    """A step of a case: ``POST <path>`` with ``body``; ``act(case, body, user)`` takes it.

    Every step loads the case the caller may act on (another department's: 404), calls one
    service and answers the case as it stands after it; a refused step answers 409 with the
    service's error code. ``doc`` is the operation's description.
    """

    name: str
    path: str
    summary: str
    doc: str
    body: type[Request]
    act: Callable[[Any, Any, User], object]


@dataclass(frozen=True)
class CaseKind:
    """Where a kind of case's steps live, who takes them, and how the case is shown."""

    path_params: dict[str, PathParam]
    load: Callable[[int, User], Any]
    present: Callable[[Any], Response]
    out: type[Response]
    roles: tuple[Role, ...]


BREACH = CaseKind(BREACH_ID, services.load_breach, breach_out, BreachOut, BREACH_WORKERS)
REVOCATION = CaseKind(CASE_ID, services.load_case, case_out, RevocationCaseOut, DECIDERS)


def register_step(kind: CaseKind, step: Step) -> Callable:
    """Register ``step`` of ``kind`` on the API blueprint (endpoint ``api.<step.name>``)."""
    (id_name,) = kind.path_params

    def handler(body, **path):
        case_ = kind.load(path[id_name], _user())
        step.act(case_, body, _user())
        return 200, kind.present(case_)

    handler.__name__ = handler.__qualname__ = step.name
    handler.__doc__ = step.doc
    return routes.operation(
        "POST", step.path, summary=step.summary, tag="enforcement",
        path_params=kind.path_params, body=step.body,
        responses={200: kind.out, 409: ErrorBody})(roles_required(*kind.roles)(handler))


BREACH_STEPS = (
    Step("breach_rectification", "/breaches/{breach_id}/rectification",
         "Order the breach put right by a date",
         "Order rectification (责令限期整改); the notice is a PDF (责令限期整改通知书).",
         BreachRectificationIn,
         lambda case_, body, user: services.order_rectification(
             case_, body.due_on, requirements=body.requirements, actor=user)),
    Step("breach_outcome", "/breaches/{breach_id}/rectification/outcome",
         "Record whether the breach was put right",
         "Rectified closes the case. Not rectified: 409 ``rectification_not_due`` before the "
         "due date without a re-inspection; else the case is referred and "
         "``revocation_case_id`` names the revocation case.",
         BreachOutcomeIn,
         lambda case_, body, user: services.record_outcome(
             case_, body.rectified, note=body.note or "", reinspected_on=body.reinspected_on,
             penalty_ref=body.penalty_ref, actor=user)),
    Step("breach_judicial_transfer", "/breaches/{breach_id}/judicial-transfer",
         "Record a transfer to the judicial authorities",
         "Record 移送司法机关, at any stage of the case, once.",
         JudicialTransferIn,
         lambda case_, body, user: services.record_judicial_transfer(
             case_, body.reference, body.transferred_on, actor=user)),
)

REVOCATION_STEPS = (
    Step("revocation_notice", "/revocation-cases/{case_id}/notice",
         "Give notice of the intended revocation",
         "拟撤销行政许可告知书; ``statement_due_on`` ends the period for statement and hearing.",
         NoticeIn,
         lambda case_, body, user: services.give_notice(
             case_, facts=body.facts, reasons=body.reasons, legal_basis=body.legal_basis,
             actor=user)),
    Step("revocation_statement", "/revocation-cases/{case_id}/statement",
         "Record the statement and defence, or the waiver",
         "The statement received (written, or oral and minuted), or the written waiver.",
         StatementIn,
         lambda case_, body, user: services.record_statement(
             case_, received_on=body.received_on, text=body.text or "",
             hearing_requested=body.hearing_requested, waives_rights=body.waives_rights,
             actor=user)),
    Step("revocation_hearing", "/revocation-cases/{case_id}/hearing", "Record the hearing",
         "The hearing: date, place, a host who did not investigate the case, minutes.",
         HearingIn,
         lambda case_, body, user: services.record_hearing(
             case_, held_on=body.held_on, host=body.host, place=body.place,
             minutes=body.minutes, actor=user)),
    Step("revocation_decision", "/revocation-cases/{case_id}/decision", "Decide",
         "Revoke or not revoke. 409 ``notice_required``, ``statement_period_open`` or "
         "``hearing_pending`` while the procedure does not allow a revocation yet.",
         RevocationDecisionIn,
         lambda case_, body, user: services.decide(
             case_, body.outcome, body.reason, legal_basis=body.legal_basis,
             public_interest=body.public_interest, actor=user)),
    Step("revocation_service", "/revocation-cases/{case_id}/service", "Record the service",
         "送达: the licence is revoked from service; the credit records follow the finding.",
         ServiceIn,
         lambda case_, body, user: services.serve(
             case_, method=body.method, served_on=body.served_on, receipt=body.receipt,
             actor=user)),
    Step("revocation_reversal", "/revocation-cases/{case_id}/reversal",
         "Withdraw a served revocation that was not upheld",
         "The licence is in force again, with a new version, and the credit records of the "
         "revocation withdrawn.",
         ReversalIn,
         lambda case_, body, user: services.reverse_revocation(
             case_, reason=body.reason, reversed_on=body.reversed_on, actor=user)),
)

for _step in BREACH_STEPS:
    register_step(BREACH, _step)
for _step in REVOCATION_STEPS:
    register_step(REVOCATION, _step)


# --- the revocation procedure -----------------------------------------------------------------


@routes.operation("GET", "/revocation-cases/{case_id}", summary="A revocation case",
                  tag="enforcement", path_params=CASE_ID, responses={200: RevocationCaseOut})
@roles_required(*CASE_READERS)
def get_revocation_case(case_id: int):
    """Every step of the procedure: notice, statement, hearing, decision, service."""
    return 200, case_out(services.load_case(case_id, _user()))



__all__ = ["BREACH_STEPS", "REVOCATION_STEPS", "breach_out", "case_out", "register_step"]
