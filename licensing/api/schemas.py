"""Request and response schemas of the API v1 (pydantic), the source of the OpenAPI document.

Requests are validated strictly: unknown fields, wrong JSON types and dates not written as
``YYYY-MM-DD`` are refused (422 ``validation_failed``) before any service runs. Responses are
built through these models, so what the server answers is what the document promises.
Free texts refuse control characters: they would end up in legal documents and PostgreSQL
refuses NUL bytes.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from licensing.cases.models import ApplicationStatus, Channel, LicenceStatus, MaterialHandling
from licensing.credit.models import CheckSource, CreditRecordStatus
from licensing.enforcement.models import RevocationStatus
from licensing.supervision.models import RectificationStatus, TaskStatus
from licensing.supervision.services import CURSOR_PATTERN
from licensing.supplements.models import SupplementStatus

# --- building blocks --------------------------------------------------------------------------


def _values(enum_class) -> Any:
    """A ``Literal`` of an enum's values: the document lists the values the domain has now."""
    return Literal[tuple(member.value for member in enum_class)]


ApplicationStatusName = _values(ApplicationStatus)
TaskStatusName = _values(TaskStatus)
RectificationStatusName = _values(RectificationStatus)
RevocationStatusName = _values(RevocationStatus)
SupplementStatusName = _values(SupplementStatus)
LicenceStatusName = _values(LicenceStatus)
CreditRecordStatusName = _values(CreditRecordStatus)
CheckSourceName = _values(CheckSource)
HandlingName = _values(MaterialHandling)
ChannelName = _values(Channel)
TaskFilterName = Literal[("active", "all", *(member.value for member in TaskStatus))]

#: Codes of items and materials (the catalogue's ``CODE_RE``).
CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$"
#: The public id of an application (``secrets.token_urlsafe(16)``).
APPLICATION_ID_PATTERN = r"^[A-Za-z0-9_-]{1,43}$"
#: A licence number such as ``XZSPJ-2026-000123``.
LICENCE_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$"
#: A unified social credit code or a resident ID number, as typed (normalised by the service).
IDENTITY_CODE_PATTERN = r"^[0-9A-Za-z]{1,18}$"
#: What clients may use as ``Idempotency-Key`` (a UUID fits).
IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:-]{1,64}$"
#: No control characters except tab and line breaks.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
#: Dates of this system: the calendar covers 2004 onwards; nothing is dated after 2099.
ISO_DATE_PATTERN = r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}$"
_ISO_DATE = re.compile(ISO_DATE_PATTERN)
MAX_INT = 2_147_483_647


def _no_control_characters(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _iso_date(value):
    if isinstance(value, str):
        if not _ISO_DATE.match(value):
            raise ValueError("must be a date written YYYY-MM-DD, in 2000-2099")
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError("must be a valid calendar date (YYYY-MM-DD)") from None
    return value


#: A date in ``YYYY-MM-DD`` form, and only that form.
IsoDate = Annotated[date, BeforeValidator(_iso_date),
                    WithJsonSchema({"type": "string", "format": "date",
                                    "pattern": ISO_DATE_PATTERN})]


#: The same rule as ``_CONTROL``, stated in the document (``pattern``) so clients see it.
NO_CONTROL_PATTERN = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$"


def Text(max_length: int, min_length: int = 0):
    """A free text without control characters (tab and line breaks allowed)."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length,
                                pattern=NO_CONTROL_PATTERN),
                     AfterValidator(_no_control_characters)]


Code = Annotated[str, Field(pattern=CODE_PATTERN)]


class Request(BaseModel):
    """A request body: strict JSON types, no unknown fields."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query parameters: strings converted to their types; unknown parameters ignored."""

    model_config = ConfigDict(extra="ignore")


class Response(BaseModel):
    """A response body."""


# --- errors -----------------------------------------------------------------------------------


class FieldError(Response):
    """One problem of a request, located in its body, query or headers."""

    location: list[str | int] = Field(description="Where: e.g. ['body', 'applicant', 'code'].")
    type: str = Field(description="Stable kind of problem, e.g. missing, extra_forbidden.")
    message: str


class ErrorDetail(Response):
    """What went wrong: a stable snake_case ``code`` and a Chinese ``message``."""

    code: str
    message: str
    reasons: list[str] | None = Field(
        None, description="credit_ineligible: why the credit check refused the commitment "
                          "track, one sentence per reason.")
    errors: list[FieldError] | None = Field(None, description="validation_failed: each problem.")


class ErrorBody(Response):
    """Every error answer of the API."""

    error: ErrorDetail


# --- tokens -----------------------------------------------------------------------------------


class TokenOut(Response):
    """A new bearer token: shown once, never again."""

    token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the scheme name
    expires_at: datetime


# --- the catalogue (served by licensing.catalogue.api) ------------------------------------------


class ItemsQuery(Query):
    """Filters of the catalogue list."""

    on: IsoDate | None = Field(None, description="The items in force on this day (default "
                                                 "today).")
    q: Text(100) | None = Field(None, description="Part of an item's code or name.")


class ItemQuery(Query):
    """Which version of an item."""

    on: IsoDate | None = Field(None, description="The version in force on this day.")
    v: Annotated[int, Field(ge=1, le=MAX_INT)] | None = Field(
        None, description="A published version number instead.")


class ItemSummary(Response):
    """One item of the city's list, as in force."""

    code: str
    name: str
    version: int
    valid_from_on: date
    offers_commitment: bool
    approval_department: str = Field(description="Code of the approval department.")
    supervisory_department: str = Field(description="Code of the supervisory department.")


class ItemList(Response):
    """The catalogue."""

    items: list[ItemSummary]


class Labelled(Response):
    """A coded value with its Chinese label."""

    code: str
    label: str


class DepartmentRef(Response):
    """A department by code and name."""

    code: str
    name: str


class ItemHead(Response):
    """The item and the version shown."""

    code: str
    name: str
    version: int
    status: Labelled
    valid_from_on: date | None
    valid_until_on: date | None
    legal_basis: str


class TimeLimits(Response):
    """Time limits of the general track, in working days."""

    statutory_working_days: int
    promised_working_days: int


class MaterialMode(Response):
    """A commitment mode allowed for a material."""

    code: Literal["supplement", "substitute", "exempt_review"]
    label: str
    description: str
    supplement_working_days: int | None


class MaterialRules(Response):
    """One material and how a commitment may stand in for it."""

    code: str
    name: str
    required_general: bool
    paper_at_counter: bool
    modes: list[MaterialMode]


class VerificationRules(Response):
    """How and by when the supervisory department verifies the commitment."""

    rule: Labelled
    working_days: int
    basis: str
    method: Labelled
    checklist: list[str]
    moved_checks: list[Labelled]
    report_working_days: int
    summary: str


class CommitmentRules(Response):
    """What the applicant commits to, and what breaking it costs."""

    conditions: str
    content: str
    breach_consequences: str


class ExclusionAnswer(Response):
    """One exclusion ground and whether the publisher confirmed that the item touches it."""

    code: str
    label: str
    applies: bool


class PublishIn(Request):
    """Publish a draft: its validity date and the publisher's yes/no to each exclusion ground.

    ``exclusion_check`` must answer every ground (``national_security``, ``state_secrets``,
    ``public_safety``, ``financial_prudential``, ``ecological_protection``,
    ``personal_health_life_property``, ``foreign_affairs``) with ``true`` (the item touches
    it) or ``false``: 422 ``exclusions_unconfirmed`` names the grounds left open, 422
    ``exclusions_mismatch`` a ground answered otherwise than the draft records.
    """

    valid_from_on: IsoDate
    exclusion_check: dict[str, bool]


class PublishedVersion(Response):
    """A version just published, with the publisher's answers kept on it."""

    code: str
    version: int
    status: Literal["published"]
    valid_from_on: date
    exclusion_check: list[ExclusionAnswer]


class ItemRules(Response):
    """The rules of an item: the one-time notice (一次性告知) as data."""

    item: ItemHead
    approval_department: DepartmentRef
    supervisory_department: DepartmentRef
    applicant_kinds: list[Labelled]
    tracks: list[Labelled]
    offers_commitment: bool
    time_limits: TimeLimits
    materials: list[MaterialRules]
    verification: VerificationRules
    commitment: CommitmentRules
    supervision_measures: str
    exclusions: list[Labelled]
    exclusion_check: list[ExclusionAnswer] | None = Field(
        None, description="The publisher's yes/no to each exclusion ground (工作方案 二（一）), "
                          "given when the version was published; null on older versions.")
    policy: dict[str, str]
    notice_url: str = Field(description="The printable one-time notice (HTML).")
    notice_pdf_url: str = Field(description="The one-time notice as a PDF.")
    letter_specimen: str = Field(
        description="The commitment letter with blanks: the text an applicant signs.")


# --- applications -----------------------------------------------------------------------------

ApplicantKind = Literal["enterprise", "individual"]
CommitmentModeName = Literal["supplement", "substitute", "exempt_review"]


class ApplicantIn(Request):
    """The applicant: an enterprise by its unified social credit code, a person by ID number."""

    kind: ApplicantKind
    name: Text(200, 1)
    code: Annotated[str, Field(pattern=IDENTITY_CODE_PATTERN)]
    phone: Annotated[str, Field(pattern=r"^[0-9+() -]{0,32}$")] | None = None
    legal_representative: Text(100) | None = None
    address: Text(300) | None = None


class CommitmentIn(Request):
    """The commitment mode chosen for one material."""

    material_code: Code
    mode: CommitmentModeName


class AttachmentIn(Request):
    """A file sent inside a JSON request: its name and its content in Base64.

    Checked like every upload: a photo (JPEG, PNG, WEBP) or PDF by its content, not empty,
    not larger than the upload limit (``upload_refused``, ``upload_empty``,
    ``upload_too_large``); ``power_of_attorney_file_invalid`` when not Base64.
    """

    filename: Text(200, 1)
    content_base64: Annotated[str, Field(min_length=4, max_length=30 * 1024 * 1024)]


class SignatureIn(Request):
    """Who signs the commitment letter, and in what capacity.

    ``capacity``: ``legal_representative`` or ``agent`` for an enterprise, ``self`` or
    ``agent`` for a person; ``id_number`` is the signer's resident ID number (checked). An
    agent uploads the power of attorney as a material (``power_of_attorney_file``; refused
    with ``power_of_attorney_required`` without it) and may describe it
    (``power_of_attorney``). A v1 client
    that omits ``capacity`` gets the default of the applicant's kind
    (``legal_representative`` / ``self``), recorded as defaulted and said so in the letter.
    """

    signer_name: Text(100, 1)
    capacity: Literal["legal_representative", "agent", "self"] | None = None
    id_number: Text(18, 15) | None = None
    power_of_attorney: Text(200, 1) | None = None
    power_of_attorney_file: AttachmentIn | None = None


#: What each track takes, as the document states it (``_fits_the_track`` enforces it).
TRACK_RULES = {
    "if": {"properties": {"track": {"const": "commitment"}}},
    "then": {"required": ["signature"],
             "properties": {"signature": {"type": "object"},
                            "materials_received": {"type": "null"}}},
    "else": {"properties": {"commitments": {"type": "array", "maxItems": 0},
                            "signature": {"type": "null"}}},
}


class ApplicationIn(Request):
    """An application of the online channel, taken in one request.

    Commitment track: ``commitments`` (materials not listed are handed in) and ``signature``.
    General track: ``materials_received``, the codes of every statutory material received (an
    extension of the contract); staff accept at once, an applicant's own account leaves it to
    the counter.
    """

    model_config = ConfigDict(json_schema_extra={"allOf": [TRACK_RULES], "examples": [{
        "item_code": "SP-001",
        "track": "commitment",
        "applicant": {"kind": "enterprise", "name": "定州市示例商贸有限公司",
                      "code": "91130682MA0ABCDE1J", "phone": "13812345678"},
        "commitments": [{"material_code": "M2", "mode": "supplement"},
                        {"material_code": "M3", "mode": "substitute"}],
        "signature": {"signer_name": "张三"},
    }]})

    item_code: Code
    track: Literal["commitment", "general"]
    applicant: ApplicantIn
    commitments: Annotated[list[CommitmentIn], Field(max_length=100)] = []
    signature: SignatureIn | None = None
    materials_received: Annotated[list[Code], Field(max_length=100)] | None = None
    licensed_scope: Text(2000) | None = None

    @model_validator(mode="after")
    def _fits_the_track(self) -> ApplicationIn:
        # the same rule as TRACK_RULES, which states it in the document
        if self.track == "commitment":
            if self.signature is None:
                raise ValueError("the commitment track needs signature.signer_name")
            if self.materials_received is not None:
                raise ValueError("materials_received belongs to the general track")
        elif self.commitments or self.signature is not None:
            raise ValueError("commitments and signature belong to the commitment track")
        return self


class ApplicantOut(Response):
    """The applicant, with an ID number masked."""

    kind: ApplicantKind
    name: str
    code: str = Field(description="Credit codes in full, ID numbers masked.")


class CreditCheckOut(Response):
    """The credit check kept with the case as evidence (信用核查)."""

    id: int
    eligible: bool
    source: CheckSourceName
    degraded: bool
    needs_review: bool
    risk_level: str | None
    reasons: list[str]
    checked_at: datetime


class MaterialOut(Response):
    """How one material is handled in the application."""

    material_code: str
    name: str
    handling: HandlingName


class LetterOut(Response):
    """The signed commitment letter: the exact text, and its SHA-256."""

    sha256: str
    signer_name: str
    signer_capacity: Literal["legal_representative", "agent", "self"]
    capacity_defaulted: bool
    signed_at: datetime
    channel: ChannelName
    text: str
    power_of_attorney: str | None = Field(
        None, description="An agent's power of attorney: its description (or file name).")
    power_of_attorney_sha256: str | None = Field(
        None, description="The SHA-256 of the uploaded power of attorney file.")


class DecisionOut(Response):
    """The decision on the application."""

    outcome: Literal["approve", "reject"]
    reason: str | None
    decided_on: date


class LicenceRef(Response):
    """The licence issued on approval."""

    number: str
    status: LicenceStatusName
    verify_url: str = Field(description="The public verification page (also in the QR code).")
    issued_on: date


class TaskRef(Response):
    """The verification task pushed to the supervisory department."""

    id: int
    status: TaskStatusName
    due_on: date = Field(description="The last day of the on-site verification.")
    provisional: bool = Field(description="True when the due date reaches a year whose "
                                          "holiday notice is not loaded yet: it may move.")


class SupplementOut(Response):
    """A material promised for later (承诺限期补齐补全)."""

    material_code: str
    status: SupplementStatusName
    due_on: date
    provisional: bool


class ApplicationOut(Response):
    """An application and everything that followed it."""

    id: str = Field(description="The application's public id (unguessable).")
    case_number: str | None = Field(
        None, description="The case number (受理编号) people read aloud, e.g. SL2026-000123.")
    status: ApplicationStatusName
    purpose: Literal["issue", "change", "renewal", "reissue"] = Field(
        "issue", description="A new licence, or a change, renewal or reissue of ``licence``.")
    track: Literal["commitment", "general"] | None
    channel: ChannelName
    item_code: str
    item_version: int
    item_name: str
    applicant: ApplicantOut
    credit_ineligible: bool
    credit_check: CreditCheckOut | None
    materials: list[MaterialOut]
    letter: LetterOut | None
    statutory_due_on: date | None = Field(description="General track: the statutory limit.")
    statutory_provisional: bool | None
    created_at: datetime
    submitted_at: datetime | None
    decision: DecisionOut | None
    licence: LicenceRef | None
    task: TaskRef | None
    verification_task: TaskRef | None = Field(
        None, description="The verification task (the contract's name; ``task`` is kept).")
    supplements: list[SupplementOut]


class DecisionIn(Request):
    """The on-the-spot decision (当场作出决定)."""

    outcome: Literal["approve", "reject"]
    reason: Text(2000) | None = Field(None, description="Required to reject.")


# --- verification tasks -----------------------------------------------------------------------



class TasksQuery(Query):
    """Filters of the department's verification tasks."""

    status: TaskFilterName = Field(
        "active", description="A task status, 'active' (still to be worked) or 'all'.")
    page: Annotated[int, Field(ge=1, le=100_000)] = 1
    per_page: Annotated[int, Field(ge=1, le=100)] = 50
    after: Annotated[str, Field(max_length=40, pattern=f"^{CURSOR_PATTERN.pattern}$",
                                description="The `next` of the previous page: the page after "
                                            "it (paging by key; `page` is then ignored).")
                     ] | None = None


class RectificationOut(Response):
    """The rectification order (责令限期整改)."""

    status: RectificationStatusName
    ordered_on: date
    due_on: date
    provisional: bool
    requirements: str
    outcome_note: str | None


class RevocationCaseRef(Response):
    """A revocation case opened for the approval department."""

    id: int
    status: RevocationStatusName
    origin: str


class TaskOut(Response):
    """A verification task of a supervisory department."""

    id: int
    status: TaskStatusName
    application_id: str
    licence_number: str
    item_code: str
    item_name: str
    holder_name: str
    approval_department: str
    supervisory_department: str
    due_on: date = Field(description="The last day of the on-site verification.")
    provisional: bool
    outcome: Literal["conform", "nonconform"] | None
    checked_on: date | None
    findings: str | None
    result_push_due_on: date | None = Field(
        description="The last day for the result to reach the approval department.")
    result_push_provisional: bool | None
    pushed_at: datetime | None
    pushed_late: bool
    rectification: RectificationOut | None
    revocation_case: RevocationCaseRef | None
    breach_case_id: int | None = Field(None, description="The breach case the nonconform "
                                                         "result opened.")
    revocation_case_id: int | None = None


class RoutineInspectionOut(Response):
    """A routine inspection (日常监管检查) drawn by the routine sample, and its result."""

    id: int
    licence_number: str
    holder_name: str
    risk_level: str
    draw_seed: str = Field(description="The seed recorded after the draw (to reproduce it).")
    drawn_at: datetime
    outcome: Literal["conform", "nonconform"] | None
    checked_on: date | None
    findings: str | None
    finding: Literal["false_commitment", "breach"] | None = Field(
        None, description="For a nonconform result: 不实承诺 or 违反承诺.")


class RoutineInspectionList(Response):
    """The department's routine inspections still to be done, oldest draw first."""

    inspections: list[RoutineInspectionOut]


class RoutineResultIn(Request):
    """The result of a routine inspection.

    ``nonconform`` needs ``findings`` (the facts; 422 ``findings_required``) and ``finding``
    (422 ``finding_required``): it opens a breach case with that classification.
    """

    outcome: Literal["conform", "nonconform"]
    findings: Text(5000) | None = Field(None, description="Required when nonconform.")
    finding: Literal["false_commitment", "breach"] | None = Field(
        None, description="Required when nonconform: 不实承诺 or 违反承诺.")
    checked_on: IsoDate


class TaskList(Response):
    """One page of the department's tasks, the next due date first."""

    tasks: list[TaskOut]
    page: int
    per_page: int
    next: str | None = Field(None, description="Pass as `after` for the following page; "
                                               "absent on the last page.")


class ResultIn(Request):
    """The result of the on-site check; it is pushed to the approval department at once."""

    outcome: Literal["conform", "nonconform"]
    findings: Text(5000) | None = Field(None, description="Required when nonconform.")
    checked_on: IsoDate
    checklist: Annotated[list[Text(500)], Field(max_length=100)] | None = Field(
        None, description="The checklist points found in order (an extension).")
    finding: Literal["false_commitment", "breach"] | None = Field(
        None, description="When nonconform: 不实承诺 or 违反承诺 (default ``breach``); the "
                          "breach case opened by the result carries it.")


class RectificationIn(Request):
    """A rectification order with its due date."""

    due_on: IsoDate
    requirements: Text(5000) | None = Field(None, description="What must be put right "
                                                              "(an extension).")


class RectificationOutcomeIn(Request):
    """Whether the breach was put right."""

    rectified: bool
    note: Text(5000) | None = Field(
        None, description="Required when not rectified: what is still short (an extension; "
                          "it becomes the reason of the revocation request).")
    reinspected_on: IsoDate | None = Field(
        None, description="The re-inspection (复查) that found the breach still there; "
                          "required to record not rectified before the due date.")


# --- licences ---------------------------------------------------------------------------------


class RevocationIn(Request):
    """The revocation decision (撤销行政许可决定)."""

    reason: Text(5000, 1)
    legal_basis: Text(5000) | None = Field(
        None, description="Default: the legal basis of the case's origin (an extension).")


class RevocationOut(Response):
    """The revocation decision of a licence."""

    case_id: int
    letter_number: str
    decided_on: date
    legal_basis: str
    reason: str
    served_on: date | None = None
    finding: str | None = None


class LicenceVersionOut(Response):
    """One version of a licence: what made it and what the licence stated after it."""

    version: int
    event: Literal["issued", "changed", "renewed", "reissued", "cancelled", "revoked",
                   "reinstated"]
    effective_on: date
    decision_number: str | None
    reason: str | None
    application_id: str | None
    holder_name: str | None
    valid_until: date | None


class LicenceOut(Response):
    """A licence as issued (its own copy of every fact it states) and whether it is in force.

    ``status``: ``valid``, ``revoked``, ``cancelled`` (注销) or ``expired`` (past
    ``valid_until``, not yet cancelled).
    """

    number: str
    status: LicenceStatusName
    issued_on: date
    valid_from: date | None
    valid_until: date | None
    revoked_at: datetime | None
    cancelled_on: date | None
    cancel_reason: Literal["surrender", "dissolved", "expired", "revoked"] | None
    verify_url: str
    application_id: str
    item_code: str
    item_name: str
    holder_name: str
    holder_code: str
    legal_representative: str | None
    address: str | None
    scope: str | None
    decision_number: str | None
    authority_name: str | None
    version: int
    history: list[LicenceVersionOut]
    revocation: RevocationOut | None


class LicenceChangeIn(Request):
    """A change of particulars (变更, 行政许可法 第四十九条): the facts to change, and the
    case's track as in ``ApplicationIn`` (the item's current version)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "track": "general", "changes": {"address": "定州市北城区中山东路 20 号"},
        "materials_received": ["M1", "M2", "M3", "M4"]}]})

    track: Literal["commitment", "general"]
    changes: dict[Literal["holder_name", "legal_representative", "address", "scope"],
                  Text(2000, 1)]
    commitments: Annotated[list[CommitmentIn], Field(max_length=100)] = []
    signature: SignatureIn | None = None
    materials_received: Annotated[list[Code], Field(max_length=100)] | None = None


class LicenceStepIn(Request):
    """A renewal (延续) or reissue (补证): the case's track as in ``ApplicationIn``."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "track": "general", "materials_received": ["M1", "M2", "M3", "M4"]}]})

    track: Literal["commitment", "general"]
    commitments: Annotated[list[CommitmentIn], Field(max_length=100)] = []
    signature: SignatureIn | None = None
    materials_received: Annotated[list[Code], Field(max_length=100)] | None = None


class CancellationIn(Request):
    """Cancel a licence (注销, 行政许可法 第七十条)."""

    reason: Literal["surrender", "dissolved", "expired", "revoked"]
    note: Text(500) | None = None


class ServiceIn(Request):
    """The service (送达) of a licence's latest certificate or decision."""

    document: Literal["certificate", "decision", "cancellation"]
    method: Literal["in_person", "post", "electronic", "entrusted", "public_notice"]
    served_on: date
    served_to: Text(200, 1)


class RegisterQuery(Query):
    """Search the public register: a licence number, a holder's code or the start of a name."""

    q: Text(100) | None = None
    after: Annotated[str, Field(max_length=400, pattern=r"^[A-Za-z0-9_=-]*$")] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20


class RegisterEntry(Response):
    """One licensing decision in the public register (a person's identity masked)."""

    number: str
    holder_name: str
    holder_code: str
    item_name: str
    scope: str
    authority_name: str
    decision_number: str
    status: LicenceStatusName
    issued_on: date
    valid_from: date | None
    valid_until: date | None
    ended_on: date | None


class RegisterPage(Response):
    """A page of the register; ``next`` is the ``after`` of the following page, if any."""

    items: list[RegisterEntry]
    next: str | None


# --- credit -----------------------------------------------------------------------------------


class CreditQuery(Query):
    """Enterprises only: a person's ID number never goes into a URL (``POST /credit-lookups``)."""

    kind: Literal["enterprise"] | None = None


class CreditLookupIn(Request):
    """Whose credit record to read: the code travels in the body, not in the URL."""

    code: Annotated[str, Field(pattern=IDENTITY_CODE_PATTERN,
                               description="Unified social credit code or resident ID number.")]
    kind: ApplicantKind | None = None


class CreditRecordOut(Response):
    """One credit record."""

    id: int
    record_type: str
    record_type_label: str
    status: CreditRecordStatusName
    source: str
    start_on: date
    repaired_on: date | None
    issuer: str | None
    summary: str | None
    description: str
    under_objection: bool
    bars_commitment: bool = Field(description="Whether the record keeps the applicant off the "
                                              "commitment track now.")


class CreditOut(Response):
    """An applicant's credit record and eligibility for the commitment track."""

    applicant: ApplicantOut
    risk_level: str | None
    eligible: bool = Field(description="By the local registry now; the credit check at "
                                       "intake asks the platform as well.")
    barring_record_ids: list[int]
    suspended_record_ids: list[int] = Field(description="Barring records under an open "
                                                        "objection (suspended meanwhile).")
    records: list[CreditRecordOut]
    latest_check: CreditCheckOut | None


# --- calendar ---------------------------------------------------------------------------------


class DueQuery(Query):
    """A working-day count."""

    start: IsoDate
    working_days: Annotated[int, Field(ge=1, le=1000)]


class DueOut(Response):
    """The n-th working day after ``start`` (the start day is not counted)."""

    start: date
    working_days: int
    due_on: date
    provisional: bool
