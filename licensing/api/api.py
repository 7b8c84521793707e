"""The endpoints of ``/api/v1``: thin handlers over the services the pages call.

Each handler loads what it acts on through the same scoped queries as the pages (another
department's object answers 404), calls one service, and answers the response model. Who may
call it is declared with the same role tuples as the corresponding page.
"""

from __future__ import annotations

import re

from flask import Blueprint, current_app, g, jsonify, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from licensing.api import auth, intake, present, schemas, tokens
from licensing.api.errors import (
    AmbiguousApplicant,
    ApplicantNotFound,
    BadRequest,
    LicenceNotFound,
    RequestInvalid,
    TokenRequired,
)
from licensing.api.openapi import openapi_document
from licensing.api.routing import ApiRoutes, HeaderParam, Operation, PathParam, document
from licensing.applicants.identity import ApplicantKind, mask_code, normalise_code
from licensing.applicants.models import Applicant
from licensing.audit.services import record_audit
from licensing.auth.access import (
    HEADER_CREDENTIALS_USER,
    InvalidCredentials,
    carries_header_credentials,
    get_scoped_or_404,
    public,
    roles_required,
)
from licensing.auth.models import Role
from licensing.auth.throttle import login_throttle
from licensing.calendar import services as calendar
from licensing.cases import licences
from licensing.cases.errors import ApplicationNotFound
from licensing.cases.models import Application, Decision, Licence, Purpose
from licensing.cases.queries import (
    answer_graph,
    decision_graph,
    load_application,
    visible_applications,
)
from licensing.cases.services import decide as decide_application
from licensing.cases.views import INTAKE, VIEWERS
from licensing.catalogue import services as catalogue
from licensing.credit.services import assess, current_risk_level, latest_check, records_of
from licensing.credit.views import VIEW_ROLES as CREDIT_READERS
from licensing.enforcement import services as enforcement
from licensing.errors import NotFound
from licensing.extensions import db, limiter
from licensing.register import services as register_services
from licensing.supervision import services as supervision
from licensing.supervision.models import RoutineInspection
from licensing.supervision.services import (
    InboxCursor,
    InboxFilters,
    inbox_page,
    load_task,
)
from licensing.supervision.views import INBOX_READERS, TASK_READERS, WORKERS
from licensing.web import error_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")
routes = ApiRoutes(bp)

# The role tuples are the pages' own, so the API can never grant more (or less) than they do.
ALL_ROLES = tuple(Role)
DECIDERS = (Role.approver,)  # cases.views.decide and revocation.views.decide

IDEMPOTENCY_KEY = HeaderParam(
    "Idempotency-Key", True, schemas.IDEMPOTENCY_KEY_PATTERN,
    "Chosen by the client, unique per application it means to create (a UUID). The same key "
    "again gets the same answer and creates nothing.")
APPLICATION_ID = {"application_id": PathParam(str, schemas.APPLICATION_ID_PATTERN,
                                              ApplicationNotFound, "The application's id.")}
TASK_ID = {"task_id": PathParam(int, None, NotFound, "The verification task's id.")}
LICENCE_NUMBER = {"number": PathParam(str, schemas.LICENCE_NUMBER_PATTERN, LicenceNotFound,
                                      "The licence number, e.g. XZSPJ-2026-000123.")}


@bp.record_once
def _install(state) -> None:
    auth.init_app(state.app)


@bp.errorhandler(RequestInvalid)
def _request_invalid(exc: RequestInvalid):
    db.session.rollback()
    return error_response(exc.http_status, exc.code, exc.message, errors=exc.errors)


@bp.after_request
def _challenge(response):
    if response.status_code == 401:
        scheme = "Basic" if request.endpoint == auth.TOKEN_ENDPOINT else "Bearer"
        response.headers.setdefault("WWW-Authenticate", f'{scheme} realm="licensing"')
    return response


def _user():
    return current_user._get_current_object()


# --- the document -----------------------------------------------------------------------------


@bp.get("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 document of /api/v1."""
    return jsonify(openapi_document(current_app))


# --- tokens -----------------------------------------------------------------------------------


@routes.operation("POST", "/tokens", summary="Get a bearer token (HTTP Basic)", tag="tokens",
                  responses={201: schemas.TokenOut, 429: schemas.ErrorBody}, auth="basic")
@roles_required(*ALL_ROLES)
@login_throttle
def create_token():
    """Exchange a username and password, sent with HTTP Basic, for a bearer token.

    Failed attempts are throttled with the login page's counters: per client address and per
    address and username, in growing windows (429 ``too_many_requests`` with
    ``Retry-After``); the account itself is never locked. The token expires
    (``expires_at``), and dies earlier when revoked, when its user is disabled, or when the
    user's sessions end (logout, password change).
    """
    credentials = request.authorization
    if credentials is None or credentials.type != "basic" or (
            g.get(HEADER_CREDENTIALS_USER) is not _user()):
        raise InvalidCredentials("请使用 HTTP Basic 提交用户名和密码以获取访问令牌。")
    clear, token = tokens.issue_token(_user())
    return 201, schemas.TokenOut(token=clear, expires_at=token.expires_dt)


@routes.operation("DELETE", "/tokens/current", summary="Revoke the token of this request",
                  tag="tokens", responses={204: None, 400: schemas.ErrorBody})
@roles_required(*ALL_ROLES)
def revoke_current_token():
    """Revoke the bearer token this request was made with; it stops working at once."""
    token = g.get("api_token")
    if not carries_header_credentials() or token is None or token.user_id != _user().id:
        raise TokenRequired()
    tokens.revoke_token(token, actor=_user())
    return 204, None


# --- the catalogue (served by licensing.catalogue.api, documented here) ---------------------

document(Operation(
    method="get", path="/items", endpoint="catalogue_api.items", tag="catalogue",
    summary="The items of the city's list in force",
    description="The published catalogue: each item in force with its approval and "
                "supervisory departments.",
    query=schemas.ItemsQuery, responses={200: schemas.ItemList}, auth="none"))
document(Operation(
    method="get", path="/items/{code}", endpoint="catalogue_api.item", tag="catalogue",
    summary="The rules of one item: the one-time notice as data",
    description="Materials with their allowed commitment modes, the verification rule with "
                "its working days, the commitment and its breach consequences, links to the "
                "printable notice and the letter specimen.",
    path_params={"code": PathParam(str, schemas.CODE_PATTERN, None, "The item code.")},
    query=schemas.ItemQuery, responses={200: schemas.ItemRules}, auth="none"))




@routes.operation("POST", "/items/{code}/versions/{number}/publish",
                  summary="Publish a draft, answering each exclusion ground", tag="catalogue",
                  path_params={"code": PathParam(str, schemas.CODE_PATTERN, None,
                                                 "The item code."),
                               "number": PathParam(int, None, None, "The draft's number.")},
                  body=schemas.PublishIn,
                  responses={200: schemas.PublishedVersion, 409: schemas.ErrorBody})
@roles_required(Role.admin)
def publish_item_version(code: str, number: int, body: schemas.PublishIn):
    """Publish a draft from ``valid_from_on``; it never changes afterwards.

    The publisher answers each exclusion ground of the work plan (工作方案 二（一）) yes or no;
    an empty list of exclusions is not a pass. The answers are kept on the version.
    """
    version = catalogue.get_version(code, number)
    catalogue.publish_version(version, body.valid_from_on, exclusion_check=body.exclusion_check,
                              actor=_user())
    rules = catalogue.item_rules_dict(version)
    return 200, schemas.PublishedVersion(
        code=code, version=version.number, status="published",
        valid_from_on=version.valid_from_on, exclusion_check=rules["exclusion_check"])


# --- applications -----------------------------------------------------------------------------


def _idempotency_key() -> str:
    key = request.headers.get("Idempotency-Key")
    if not key:
        raise BadRequest("缺少 Idempotency-Key 请求头。", code="idempotency_key_required")
    if not re.fullmatch(schemas.IDEMPOTENCY_KEY_PATTERN, key):
        raise BadRequest("Idempotency-Key 只能包含字母、数字和 ._:-，长度 1–64。",
                         code="idempotency_key_invalid")
    return key


@routes.operation("POST", "/applications", summary="Apply: the whole intake in one request",
                  tag="applications", body=schemas.ApplicationIn, headers=(IDEMPOTENCY_KEY,),
                  responses={201: schemas.ApplicationOut, 404: schemas.ErrorBody,
                             409: schemas.ErrorBody})
@roles_required(*INTAKE)
def create_application(body: schemas.ApplicationIn):
    """Take an application of the online channel, as the counter would step by step.

    The caller attests that the applicant was given the item's one-time notice (GET
    /items/{code}). Commitment track: the credit check runs first; an ineligible applicant
    gets 422 ``credit_ineligible`` with ``reasons`` (the check is kept as evidence, and the
    general track stays open with a new key); then the commitments are recorded, the letter
    rendered and signed as ``signature.signer_name`` (channel online): status ``submitted``.
    General track: ``materials_received`` accepts at once (staff only): status ``accepted``;
    without it the application waits for the counter (``draft``).
    """
    key = _idempotency_key()
    user = _user()
    try:
        answer = intake.submit_application(user, body, key)
    except IntegrityError:
        db.session.rollback()
        answer = intake.replay_after_race(user, body, key)
        if answer is None:
            raise
    if answer.status >= 400 and not answer.replayed:
        db.session.commit()  # the refusal is an answer: keep it, and its credit check evidence
    response = jsonify(answer.body)
    response.status_code = answer.status
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@routes.operation("GET", "/applications/{application_id}", summary="An application",
                  tag="applications", path_params=APPLICATION_ID,
                  responses={200: schemas.ApplicationOut})
@roles_required(*VIEWERS)
def get_application(application_id: str):
    """Where an application stands, with its decision, licence, task and supplements."""
    return 200, present.application(load_application(application_id, _user(),
                                                      options=answer_graph()))


@routes.operation("POST", "/applications/{application_id}/decision",
                  summary="Decide on the spot: approve (licence) or reject", tag="applications",
                  path_params=APPLICATION_ID, body=schemas.DecisionIn,
                  responses={200: schemas.ApplicationOut, 409: schemas.ErrorBody})
@roles_required(*DECIDERS)
def decide(application_id: str, body: schemas.DecisionIn):
    """Approve or reject a submitted (or accepted) application.

    Approval issues the licence; on the commitment track it also pushes the verification task
    to the supervisory department and opens one supplement per promised material, in the same
    transaction. A second decision answers 409 ``already_decided``.
    """
    application = load_application(application_id, _user(), for_update=True,
                                   options=decision_graph())
    result = decide_application(application, Decision(body.outcome), _user(), body.reason)
    return 200, present.application(application, task=result.task)


# --- verification tasks -----------------------------------------------------------------------


@routes.operation("GET", "/verification-tasks", summary="The department's verification tasks",
                  tag="supervision", query=schemas.TasksQuery,
                  responses={200: schemas.TaskList})
@roles_required(*INBOX_READERS)
def list_tasks(query: schemas.TasksQuery):
    """The tasks of the caller's supervisory department (the reform office: every one).

    ``status=active`` (default) lists those still to be worked, the next due date first.
    Paging by key: pass ``next`` as ``after`` for the following page (``page`` counts pages
    from the top and stays for the first ones).
    """
    # The query's pattern is the cursor's (``CURSOR_PATTERN``): every ``after`` that reaches
    # here has its place in the order (422 ``validation_failed`` for any other, at the schema).
    after = InboxCursor.parse(query.after) if query.after else None
    page = inbox_page(_user(), InboxFilters(status=query.status), limit=query.per_page,
                      offset=(query.page - 1) * query.per_page, after=after)
    more = len(page) == query.per_page
    return 200, schemas.TaskList(tasks=present.task_list([task_id for task_id, _ in page]),
                                 page=query.page, per_page=query.per_page,
                                 next=str(InboxCursor(page[-1][1], page[-1][0]))
                                 if more else None)


@routes.operation("GET", "/verification-tasks/{task_id}", summary="A verification task",
                  tag="supervision", path_params=TASK_ID, responses={200: schemas.TaskOut})
@roles_required(*TASK_READERS)
def get_task(task_id: int):
    """A task of the caller's supervisory department, or one that reached their approval
    department (an extension of the contract)."""

    return 200, present.task(load_task(task_id, _user()))


@routes.operation("POST", "/verification-tasks/{task_id}/result",
                  summary="Record the result of the check (pushed at once)", tag="supervision",
                  path_params=TASK_ID, body=schemas.ResultIn,
                  responses={200: schemas.TaskOut, 409: schemas.ErrorBody})
@roles_required(*WORKERS)
def record_result(task_id: int, body: schemas.ResultIn):
    """Record the on-site check's outcome and push it to the approval department.

    ``result_push_due_on`` is the legal deadline of that push (5 working days after
    ``checked_on``); ``pushed_late`` says whether it was missed. A nonconform result moves the
    task to ``breach``: a rectification order is next.
    """
    task = load_task(task_id, _user(), for_action=True)
    supervision.record_result(task, body.outcome, body.findings, body.checked_on, actor=_user(),
           checklist=body.checklist, push=True, finding=body.finding)
    return 200, present.task(task)


ROUTINE_ID = {"inspection_id": PathParam(int, None, NotFound,
                                         "The routine inspection's id.")}


@routes.operation("GET", "/routine-inspections",
                  summary="The department's routine inspections still to be done",
                  tag="supervision", responses={200: schemas.RoutineInspectionList})
@roles_required(Role.inspector, Role.head)
def list_routine_inspections():
    """Routine inspections (日常监管检查) drawn for the caller's department, oldest first."""
    return 200, schemas.RoutineInspectionList(inspections=[
        present.routine_inspection(i) for i in supervision.open_routine_inspections(_user())])


@routes.operation("POST", "/routine-inspections/{inspection_id}/result",
                  summary="Record a routine inspection's result", tag="supervision",
                  path_params=ROUTINE_ID, body=schemas.RoutineResultIn,
                  responses={200: schemas.RoutineInspectionOut, 409: schemas.ErrorBody})
@roles_required(Role.inspector, Role.head)
def record_routine_result(inspection_id: int, body: schemas.RoutineResultIn):
    """Record the result; a nonconform one, classified, opens a breach case (违诺案件)."""
    inspection = get_scoped_or_404(RoutineInspection, inspection_id,
                                   RoutineInspection.supervisory_department_id)
    supervision.record_routine_result(inspection, body.outcome, body.findings, body.checked_on,
                                      actor=_user(), finding=body.finding)
    return 200, present.routine_inspection(inspection)


@routes.operation("POST", "/verification-tasks/{task_id}/rectification",
                  summary="Order the breach put right by a date", tag="supervision",
                  path_params=TASK_ID, body=schemas.RectificationIn,
                  responses={200: schemas.TaskOut, 409: schemas.ErrorBody})
@roles_required(*WORKERS)
def order_rectification(task_id: int, body: schemas.RectificationIn):
    """Order rectification (责令限期整改) of a task in ``breach``; it becomes ``rectifying``."""
    task = load_task(task_id, _user(), for_action=True)
    supervision.order_rectification(task, body.due_on, requirements=body.requirements or "",
                                    actor=_user())
    return 200, present.task(task)


@routes.operation("POST", "/verification-tasks/{task_id}/rectification/outcome",
                  summary="Record whether the breach was put right", tag="supervision",
                  path_params=TASK_ID, body=schemas.RectificationOutcomeIn,
                  responses={200: schemas.TaskOut, 409: schemas.ErrorBody})
@roles_required(*WORKERS)
def rectification_outcome(task_id: int, body: schemas.RectificationOutcomeIn):
    """Rectified: the task is closed. Not rectified (``note`` required): the task asks the
    approval department to revoke, and ``revocation_case`` names the case opened."""

    task = load_task(task_id, _user(), for_action=True)
    supervision.record_rectification_outcome(task, body.rectified, note=body.note or "",
                                             actor=_user(), reinspected_on=body.reinspected_on)
    return 200, present.task(task)


# --- licences ---------------------------------------------------------------------------------


def _licence(number: str):
    application = db.session.scalars(
        visible_applications(_user()).join(Licence, Licence.application_id == Application.id)
        .where(Licence.number == number)).first()
    if application is None or application.licence is None:
        raise LicenceNotFound()
    return application.licence


@routes.operation("GET", "/licences/{number}", summary="A licence and whether it is in force",
                  tag="licences", path_params=LICENCE_NUMBER,
                  responses={200: schemas.LicenceOut})
@roles_required(*VIEWERS)
def get_licence(number: str):
    """A licence: ``status`` is ``valid`` or ``revoked`` (with the revocation decision)."""
    return 200, present.licence(_licence(number))


@routes.operation("POST", "/licences/{number}/revocation", summary="Revoke a licence",
                  tag="licences", path_params=LICENCE_NUMBER, body=schemas.RevocationIn,
                  responses={200: schemas.LicenceOut, 409: schemas.ErrorBody})
@roles_required(*DECIDERS)
def revoke_licence(number: str, body: schemas.RevocationIn):
    """Revoke the licence on its revocation case (撤销行政许可决定), as the approval department.

    A licence is revoked only on a case: a breach not put right, reported by the supervisory
    department, or a promised material missed or rejected; otherwise 409
    ``no_revocation_request``. The procedure applies: without the notice of intended
    revocation 409 ``notice_required`` (see ``/revocation-cases/{id}/notice``); the licence
    stays ``valid`` until the decision is served (``/revocation-cases/{id}/service``).
    """
    licence = _licence(number)
    enforcement.revoke(licence, body.reason, legal_basis=body.legal_basis, actor=_user())
    return 200, present.licence(licence)


def _licence_request(number: str, purpose_name: str, body, changes=None):
    licence = _licence(number)  # another department's licence is 404 before anything else
    key = _idempotency_key()
    user = _user()
    try:
        answer = intake.submit_licence_request(user, licence, Purpose(purpose_name), body, key,
                                               changes)
    except IntegrityError:
        db.session.rollback()
        answer = intake.stored_answer(user, key, "", f"licence_{purpose_name}")
        if answer is None:
            raise
    if answer.status >= 400 and not answer.replayed:
        db.session.commit()
    response = jsonify(answer.body)
    response.status_code = answer.status
    if answer.replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


LIFECYCLE_RESPONSES = {201: schemas.ApplicationOut, 404: schemas.ErrorBody,
                       409: schemas.ErrorBody}


@routes.operation("POST", "/licences/{number}/changes",
                  summary="Apply for a change of particulars (变更)", tag="licences",
                  path_params=LICENCE_NUMBER, body=schemas.LicenceChangeIn,
                  headers=(IDEMPOTENCY_KEY,), responses=LIFECYCLE_RESPONSES)
@roles_required(*INTAKE)
def change_licence(number: str, body: schemas.LicenceChangeIn):
    """Open the change case of a licence in force (行政许可法 第四十九条).

    ``changes`` names the facts to change (holder_name, legal_representative, address,
    scope). The case runs the track like ``POST /applications``; its approval (``POST
    /applications/{id}/decision``) makes a new version of the licence with the new facts.
    409 ``licence_not_in_force`` for a revoked, cancelled or expired licence.
    """
    return _licence_request(number, "change", body, dict(body.changes))


@routes.operation("POST", "/licences/{number}/renewals", summary="Apply for a renewal (延续)",
                  tag="licences", path_params=LICENCE_NUMBER, body=schemas.LicenceStepIn,
                  headers=(IDEMPOTENCY_KEY,), responses=LIFECYCLE_RESPONSES)
@roles_required(*INTAKE)
def renew_licence(number: str, body: schemas.LicenceStepIn):
    """Open the renewal case of a licence (行政许可法 第五十条).

    Only up to 30 days before ``valid_until`` (422 ``renewal_too_late`` after that). The
    approval extends ``valid_until`` by the item's validity, as a new version.
    """
    return _licence_request(number, "renewal", body)


@routes.operation("POST", "/licences/{number}/reissue",
                  summary="Apply for a reissue of a lost certificate (补证)", tag="licences",
                  path_params=LICENCE_NUMBER, body=schemas.LicenceStepIn,
                  headers=(IDEMPOTENCY_KEY,), responses=LIFECYCLE_RESPONSES)
@roles_required(*INTAKE)
def reissue_licence(number: str, body: schemas.LicenceStepIn):
    """Open the reissue case of a licence; its approval issues a new certificate version."""
    return _licence_request(number, "reissue", body)


@routes.operation("POST", "/licences/{number}/cancellation",
                  summary="Cancel a licence (注销)", tag="licences",
                  path_params=LICENCE_NUMBER, body=schemas.CancellationIn,
                  responses={200: schemas.LicenceOut, 409: schemas.ErrorBody})
@roles_required(*DECIDERS)
def cancel_licence(number: str, body: schemas.CancellationIn):
    """Cancel a licence under 行政许可法 第七十条, with its cancellation decision.

    ``reason``: ``surrender`` (the holder asks), ``dissolved`` (the holder ended),
    ``expired`` (past ``valid_until``, not renewed) or ``revoked`` (after a revocation).
    409 when the licence's state does not fit the reason.
    """
    licence = _licence(number)
    licences.cancel(licence, body.reason, actor=_user(), note=body.note or "")
    return 200, present.licence(licence)


@routes.operation("POST", "/licences/{number}/service",
                  summary="Record the service (送达) of a licence document", tag="licences",
                  path_params=LICENCE_NUMBER, body=schemas.ServiceIn,
                  responses={200: schemas.LicenceOut, 404: schemas.ErrorBody})
@roles_required(Role.clerk, Role.approver)
def serve_licence_document(number: str, body: schemas.ServiceIn):
    """Record how and when the latest certificate, decision or cancellation was served."""
    licence = _licence(number)
    document = licences.latest_document(licence, body.document)
    if document is None:
        raise NotFound("该许可证没有此类文书。")
    licences.record_service(document, body.method, body.served_on, body.served_to, actor=_user())
    return 200, present.licence(licence)


# --- the public register ----------------------------------------------------------------------


@routes.operation("GET", "/register", summary="The public register of licensing decisions",
                  tag="register", query=schemas.RegisterQuery,
                  responses={200: schemas.RegisterPage}, auth="none")
@public
def register(query: schemas.RegisterQuery):
    """Search licensing decisions (行政许可法 第四十条), without login.

    ``q``: a licence number, a holder's unified social credit code (or ID number), or the
    start of a holder's name (the city's name may be left out). A person's name and ID
    number are masked. Revoked, cancelled and expired licences are shown with their status.
    Paging by key: pass ``next`` as ``after`` for the following page.
    """
    page = register_services.search(query.q, after=query.after, limit=query.limit)
    return 200, schemas.RegisterPage(
        items=[schemas.RegisterEntry(
            number=e.number, holder_name=e.holder_name, holder_code=e.holder_code,
            item_name=e.item_name, scope=e.scope, authority_name=e.authority_name,
            decision_number=e.decision_number, status=e.status.value, issued_on=e.issued_on,
            valid_from=e.valid_from, valid_until=e.valid_until, ended_on=e.ended_on)
            for e in page.items],
        next=page.next)


# --- credit -----------------------------------------------------------------------------------


@routes.operation("GET", "/applicants/{code}/credit",
                  summary="An enterprise's credit record and eligibility", tag="credit",
                  path_params={"code": PathParam(str, schemas.IDENTITY_CODE_PATTERN,
                                                 ApplicantNotFound,
                                                 "Unified social credit code.")},
                  query=schemas.CreditQuery, responses={200: schemas.CreditOut})
@roles_required(*CREDIT_READERS)
def applicant_credit(code: str, query: schemas.CreditQuery):
    """An enterprise's credit records, whether it may use the commitment track now (by the
    local registry), and the latest credit check kept as evidence.

    Enterprises only: a person's ID number would end up in access logs, so a person is looked
    up with ``POST /credit-lookups`` (audited, rate-limited); here a person's code answers 404.
    """
    return 200, _credit_of(_applicant_by_code(code, ApplicantKind.enterprise))


def _applicant_by_code(code: str, kind):
    stmt = select(Applicant).where(Applicant.code == normalise_code(code))
    if kind is not None:
        stmt = stmt.where(Applicant.kind == kind)
    found = db.session.scalars(stmt.limit(2)).all()
    if len(found) > 1:
        raise AmbiguousApplicant()
    return found[0] if found else None


def _credit_of(subject):
    if subject is None:
        raise ApplicantNotFound()
    records = records_of(subject)
    return present.credit(subject, records, assess(records), current_risk_level(subject),
                          latest_check(subject))


def _lookup_limit() -> str:
    return current_app.config["SETTINGS"].credit_lookup_limits


@routes.operation("POST", "/credit-lookups",
                  summary="Look up anyone's credit record by code (audited)", tag="credit",
                  body=schemas.CreditLookupIn,
                  responses={200: schemas.CreditOut, 404: schemas.ErrorBody,
                             429: schemas.ErrorBody})
@roles_required(*CREDIT_READERS)
@limiter.limit(_lookup_limit, key_func=lambda: f"user:{current_user.id}",
               error_message="信用查询过于频繁，请稍后再试。")
def credit_lookup(body: schemas.CreditLookupIn):
    """A person's (or an enterprise's) credit records, eligibility and latest check.

    The code travels in the body, so it never reaches an access log. Every look-up is audited
    (``credit.looked_up``, with the code masked), found or not, and each user may look up at
    most ``Settings.credit_lookup_limits`` (429 ``too_many_requests`` beyond).
    """
    subject = _applicant_by_code(body.code, body.kind)
    kind = subject.kind if subject is not None else (body.kind or ApplicantKind.individual)
    record_audit("credit.looked_up", object_type="applicant",
                 object_id=subject.id if subject is not None else "-",
                 changes={"code": mask_code(kind, normalise_code(body.code)),
                          "found": subject is not None})
    if subject is None:
        db.session.commit()  # a look-up that found nobody is audited too
    return 200, _credit_of(subject)


# --- calendar ---------------------------------------------------------------------------------


@routes.operation("GET", "/calendar/due", summary="The n-th working day after a date",
                  tag="calendar", query=schemas.DueQuery, responses={200: schemas.DueOut},
                  auth="none")
@public
def calendar_due(query: schemas.DueQuery):
    """Count ``working_days`` Chinese working days after ``start`` (not counting ``start``).

    ``provisional`` is true when the count reaches a year whose holiday notice is not loaded
    yet: the date may still move when it is.
    """
    result = calendar.due(query.start, query.working_days)
    return 200, schemas.DueOut(start=query.start, working_days=query.working_days,
                               due_on=result.due_on, provisional=result.provisional)


# The enforcement endpoints register on the same blueprint (breaches, revocation procedure).
from licensing.api import enforcement as _enforcement  # noqa: E402,F401
