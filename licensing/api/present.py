"""Domain objects as API response models (reading only: no rule, no state change)."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select
from sqlalchemy.orm import aliased

from licensing.api import schemas
from licensing.applicants.identity import mask_code
from licensing.applicants.models import Applicant
from licensing.auth.models import Department
from licensing.cases.documents import verify_url as url
from licensing.cases.licences import history, public_status
from licensing.cases.models import Application, Licence
from licensing.cases.services import commitment_choices
from licensing.catalogue.models import Item, ItemVersion
from licensing.enforcement.models import BreachCase, RevocationCase, RevocationStatus
from licensing.extensions import db
from licensing.supervision.models import RectificationOrder, VerificationTask
from licensing.supervision.services import task_lines


def applicant(applicant) -> schemas.ApplicantOut:
    """An applicant, ID numbers masked as on the pages."""
    return schemas.ApplicantOut(kind=applicant.kind.value, name=applicant.name,
                                code=mask_code(applicant.kind, applicant.code))


def credit_check(check) -> schemas.CreditCheckOut | None:
    """The stored credit check."""
    if check is None:
        return None
    return schemas.CreditCheckOut(
        id=check.id, eligible=check.eligible, source=check.source.value,
        degraded=bool(check.degraded), needs_review=bool(check.needs_review),
        risk_level=check.risk_level, reasons=list(check.reasons or []),
        checked_at=check.checked_dt)


def verify_url(licence) -> str:
    """The public verification page of a licence (the one printed as a QR code)."""
    return url(licence)


def licence_ref(licence) -> schemas.LicenceRef | None:
    """A licence in an application's answer."""
    if licence is None:
        return None

    return schemas.LicenceRef(number=licence.number, status=public_status(licence).value,
                              verify_url=verify_url(licence), issued_on=licence.issued_on)


def task_of(application):
    """The verification task of an application, if one was opened."""
    return db.session.scalar(select(VerificationTask).where(
        VerificationTask.application_id == application.id))


def task_ref(task) -> schemas.TaskRef | None:
    """A verification task in an application's answer."""
    if task is None:
        return None
    return schemas.TaskRef(id=task.id, status=task.status.value, due_on=task.verification_due_on,
                           provisional=bool(task.verification_provisional))


_LOOK_UP = object()


def application(application, task=_LOOK_UP) -> schemas.ApplicationOut:
    """An application and what followed it.

    ``task``: its verification task when the caller holds it already (the decision just
    opened it, or ``None`` for none); by default it is looked up, and only once decided
    (a task is opened by an approval, never before).
    """
    if task is _LOOK_UP:
        task = task_of(application) if application.decided_dt is not None else None

    version = application.item_version
    letter = application.letter
    decision = None
    if application.decision is not None:
        decision = schemas.DecisionOut(outcome=application.decision.value,
                                       reason=application.decision_reason,
                                       decided_on=application.decided_on)
    materials = []
    if application.materials:
        materials = [schemas.MaterialOut(material_code=m.code, name=m.name,
                                         handling=handling.value)
                     for m, handling in commitment_choices(application)
                     if any(row.material_id == m.id for row in application.materials)]
    return schemas.ApplicationOut(
        id=application.public_id,
        case_number=application.case_number,
        status=application.status.value,
        purpose=application.purpose.value if application.purpose else "issue",
        track=application.track.value if application.track else None,
        channel=application.channel.value,
        item_code=version.code,
        item_version=version.number,
        item_name=version.name,
        applicant=applicant(application.applicant),
        credit_ineligible=bool(application.credit_ineligible),
        credit_check=credit_check(application.credit_check),
        materials=materials,
        letter=(schemas.LetterOut(sha256=letter.sha256, signer_name=letter.signer_name,
                                  signer_capacity=letter.signer_capacity.value,
                                  capacity_defaulted=bool(letter.capacity_defaulted),
                                  signed_at=letter.signed_dt, channel=letter.channel.value,
                                  text=letter.masked_text,
                                  power_of_attorney=letter.power_of_attorney,
                                  power_of_attorney_sha256=letter.power_of_attorney_sha256)
                if letter is not None else None),
        statutory_due_on=application.statutory_due_on,
        statutory_provisional=(bool(application.statutory_provisional)
                               if application.statutory_due_on is not None else None),
        created_at=application.created_dt,
        submitted_at=application.submitted_dt,
        decision=decision,
        licence=licence_ref(application.licence or (
            application.licence_request.licence if application.licence_request else None)),
        task=task_ref(task),
        verification_task=task_ref(task),
        supplements=[
            schemas.SupplementOut(material_code=s.material.code, status=s.status.value,
                                  due_on=s.supplement_due_on,
                                  provisional=bool(s.supplement_provisional))
            for s in application.supplements
        ],
    )


def routine_inspection(inspection) -> schemas.RoutineInspectionOut:
    """A routine inspection."""
    licence = inspection.licence
    return schemas.RoutineInspectionOut(
        id=inspection.id, licence_number=licence.number,
        holder_name=licence.holder_name or licence.applicant.name,
        risk_level=inspection.risk_level, draw_seed=inspection.draw_seed,
        drawn_at=inspection.drawn_dt,
        outcome=inspection.outcome.value if inspection.outcome else None,
        checked_on=inspection.checked_on, findings=inspection.findings,
        finding=inspection.finding)


_UNREAD = object()


def task(task, *, revocation=_UNREAD, breach=_UNREAD) -> schemas.TaskOut:
    """A verification task (its revocation and breach cases read here unless given)."""
    case = revocation
    if case is _UNREAD:
        case = db.session.scalar(select(RevocationCase).where(
            RevocationCase.task_id == task.id).order_by(RevocationCase.id.desc()))
    if breach is _UNREAD:
        breach = db.session.scalar(select(BreachCase.id).where(BreachCase.task_id == task.id))
    licence = task.licence
    return _task_out(task, order=task.rectification, case=case, breach=breach,
                     application_id=task.application.public_id,
                     licence_number=licence.number, item_code=task.item_version.code,
                     item_name=task.item_version.name, holder_name=licence.applicant.name,
                     approval_department=task.approval_department.code,
                     supervisory_department=task.supervisory_department.code)


def _task_out(task, *, order, case, breach, **names) -> schemas.TaskOut:
    """A task's answer from its own columns (a task or a row of them), its rectification
    order (or ``None``), revocation case, breach case id, and the names of its relations."""
    rectification = None
    if order is not None:
        rectification = schemas.RectificationOut(
            status=order.status.value, ordered_on=order.ordered_on,
            due_on=order.rectification_due_on,
            provisional=bool(order.rectification_provisional),
            requirements=order.requirements or "", outcome_note=order.outcome_note)
    return schemas.TaskOut(
        id=task.id,
        status=task.status.value,
        **names,
        due_on=task.verification_due_on,
        provisional=bool(task.verification_provisional),
        outcome=task.outcome.value if task.outcome else None,
        checked_on=task.checked_on,
        findings=task.findings,
        result_push_due_on=task.result_push_due_on,
        result_push_provisional=(bool(task.result_push_provisional)
                                 if task.result_push_due_on is not None else None),
        pushed_at=task.pushed_dt,
        pushed_late=bool(task.pushed_late),
        rectification=rectification,
        revocation_case=(schemas.RevocationCaseRef(id=case.id, status=case.status.value,
                                                   origin=case.origin.value)
                         if case is not None else None),
        breach_case_id=breach,
        revocation_case_id=case.id if case is not None else None,
    )


def task_list(ids: list[int]) -> list[schemas.TaskOut]:
    """The tasks ``ids`` in that order, as a list answers them: one joined read of their
    columns and their relations' names, and one each for their revocation and breach cases
    (no task, licence or application objects are built)."""
    if not ids:
        return []
    t, order = VerificationTask, RectificationOrder
    approval, supervisory = aliased(Department), aliased(Department)
    task_columns = [getattr(t, name).label(name) for name in (
        "id", "status", "verification_due_on", "verification_provisional", "outcome",
        "checked_on", "findings", "result_push_due_on", "result_push_provisional",
        "pushed_dt", "pushed_late")]
    order_columns = [getattr(order, name).label(f"order_{name}") for name in (
        "id", "status", "ordered_on", "rectification_due_on", "rectification_provisional",
        "requirements", "outcome_note")]
    stmt = (task_lines(select(*task_columns, *order_columns,
                              Application.public_id.label("application_id"),
                              Licence.number.label("licence_number"),
                              Item.code.label("item_code"),
                              ItemVersion.name.label("item_name"),
                              Applicant.name.label("holder_name"),
                              approval.code.label("approval_department"),
                              supervisory.code.label("supervisory_department")), ids)
            .join(Application, Application.id == t.application_id)
            .join(Item, Item.id == ItemVersion.item_id)
            .join(approval, approval.id == t.approval_department_id)
            .join(supervisory, supervisory.id == t.supervisory_department_id))
    rows = {row.id: row for row in db.session.execute(stmt)}
    revocations = {}
    for case in db.session.scalars(select(RevocationCase).where(
            RevocationCase.task_id.in_(ids)).order_by(RevocationCase.id)):
        revocations[case.task_id] = case  # the newest wins, as for one task
    breaches = dict(db.session.execute(select(BreachCase.task_id, BreachCase.id).where(
        BreachCase.task_id.in_(ids)).order_by(BreachCase.id.desc())).tuples().all())
    names = ("application_id", "licence_number", "item_code", "item_name", "holder_name",
             "approval_department", "supervisory_department")
    answers = []
    for task_id in ids:
        row = rows[task_id]
        fields = row._mapping
        order_row = (SimpleNamespace(**{k.removeprefix("order_"): v for k, v in fields.items()
                                        if k.startswith("order_")})
                     if fields["order_id"] is not None else None)
        answers.append(_task_out(row, order=order_row, case=revocations.get(task_id),
                                 breach=breaches.get(task_id),
                                 **{name: fields[name] for name in names}))
    return answers


def licence(licence) -> schemas.LicenceOut:
    """A licence and, once revoked, the revocation decision."""
    case = db.session.scalar(select(RevocationCase).where(
        RevocationCase.licence_id == licence.id,
        RevocationCase.status == RevocationStatus.revoked))
    revocation = None
    if case is not None:
        revocation = schemas.RevocationOut(case_id=case.id, letter_number=case.letter_number,
                                           decided_on=case.decided_on,
                                           legal_basis=case.legal_basis,
                                           reason=case.decision_reason,
                                           served_on=case.served_on,
                                           finding=case.finding.value)
    versions = history(licence)
    public_ids = dict(db.session.execute(select(Application.id, Application.public_id).where(
        Application.id.in_([v.application_id for v in versions if v.application_id]))).all())
    entries = [schemas.LicenceVersionOut(
        version=v.number, event=v.event.value, effective_on=v.effective_on,
        decision_number=v.decision_number, reason=v.reason,
        application_id=public_ids.get(v.application_id),
        holder_name=v.facts.get("holder_name"), valid_until=v.facts.get("valid_until"))
        for v in versions]
    if case is not None and not any(v.event.value == "revoked" for v in versions):
        # a revocation served before service added a licence version (older data): shown
        # from its own case
        entries.append(schemas.LicenceVersionOut(
            version=len(entries) + 1, event="revoked",
            effective_on=case.served_on or case.decided_on,
            decision_number=case.letter_number, reason=case.decision_reason,
            application_id=None, holder_name=licence.holder_name,
            valid_until=licence.valid_until))
    return schemas.LicenceOut(
        number=licence.number, status=public_status(licence).value,
        issued_on=licence.issued_on, valid_from=licence.valid_from,
        valid_until=licence.valid_until, revoked_at=licence.revoked_dt,
        cancelled_on=licence.cancelled_on,
        cancel_reason=licence.cancel_reason.value if licence.cancel_reason else None,
        verify_url=verify_url(licence), application_id=licence.application.public_id,
        item_code=licence.item_code or licence.item_version.code,
        item_name=licence.item_name or licence.item_version.name,
        holder_name=licence.holder_name or licence.applicant.name,
        holder_code=mask_code(licence.applicant.kind, licence.holder_code
                              or licence.applicant.code),
        legal_representative=licence.legal_representative, address=licence.address,
        scope=licence.scope, decision_number=licence.decision_number,
        authority_name=licence.authority_name, version=licence.version_number or 1,
        history=entries, revocation=revocation)


def credit(applicant_obj, records, assessment, risk_level, latest) -> schemas.CreditOut:
    """An applicant's credit record and current eligibility."""
    barring = {r.id for r in assessment.barring}
    return schemas.CreditOut(
        applicant=applicant(applicant_obj),
        risk_level=risk_level,
        eligible=assessment.eligible,
        barring_record_ids=sorted(barring),
        suspended_record_ids=sorted(r.id for r in assessment.suspended),
        records=[
            schemas.CreditRecordOut(
                id=r.id, record_type=r.record_type.value, record_type_label=r.record_type.label,
                status=r.status.value, source=r.source.value, start_on=r.start_on,
                repaired_on=r.repaired_on, issuer=r.issuer, summary=r.summary,
                description=r.describe(), under_objection=r.open_objection is not None,
                bars_commitment=r.id in barring)
            for r in records
        ],
        latest_check=credit_check(latest),
    )
