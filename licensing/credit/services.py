"""The credit rules: the eligibility gate, commitment events, repair, objections, risk levels.

The rules themselves are written down in docs/credit-rules.md. Every function here changes
state in the current session, flushes, writes its audit entry, and never commits (the request
wrapper, the CLI command or the job does). The outbox sender, which commits per message, lives
in ``licensing.credit.outbox``; the CSV import in ``licensing.credit.importer``.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from time import monotonic
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from licensing.applicants.identity import mask_code
from licensing.applicants.models import RISK_LEVELS, Applicant
from licensing.audit.services import id_of, record_audit
from licensing.auth.acting import acting_user
from licensing.calendar.services import current_version as current_calendar_version
from licensing.calendar.services import due
from licensing.clock import local_today, utcnow
from licensing.credit.errors import (
    InvalidObjection,
    InvalidRepair,
    ObjectionAlreadyOpen,
    ObjectionNotOpen,
    RecordManagedByPlatform,
    RecordNotActive,
    RecordNotRepairable,
    UnknownCreditEvent,
)
from licensing.credit.models import (
    EVENT_RECORD_TYPES,
    NEUTRAL_TYPES,
    OBJECTION_WORKING_DAYS,
    CheckSource,
    CreditCheck,
    CreditObjection,
    CreditRecord,
    CreditRecordStatus,
    CreditRecordType,
    CreditSource,
    ObjectionStatus,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
)
from licensing.credit.platform import (
    CreditPlatform,
    PlatformAnswer,
    PlatformError,
    get_platform,
)
from licensing.credit.rechecks import queue_recheck, resolve_rechecks
from licensing.errors import DomainError
from licensing.extensions import db

log = logging.getLogger(__name__)

#: Used, and marked provisional, when the working-day calendar cannot answer.
OBJECTION_FALLBACK_CALENDAR_DAYS = 21
#: A barring record repaired less than this long ago still puts the applicant in level C.
RECENT_REPAIR = timedelta(days=365)
#: Any adverse record repaired less than this long ago keeps the applicant out of level A.
RISK_MEMORY = timedelta(days=3 * 365)
#: Routine supervision sampling ratio per risk level (分级分类监管). Overridable with
#: ``settings.extra["credit_sampling_ratios"]``.
DEFAULT_SAMPLING_RATIOS: Mapping[str, Decimal] = {
    "A": Decimal("0.05"), "B": Decimal("0.10"), "C": Decimal("0.30"), "D": Decimal("1.00"),
}
#: The level used for an applicant whose level is not known (never checked, no records read).
UNKNOWN_RISK_LEVEL = "B"

_MAX_TEXT = 2000
_MAX_REF = 150


def _settings():
    from flask import current_app

    return current_app.config["SETTINGS"]


def _jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def _lock(model, object_id: int):
    """Re-read one row with a row lock (PostgreSQL; SQLite serialises writers anyway)."""
    pk = model.__mapper__.primary_key[0]
    return db.session.scalars(
        select(model).where(pk == object_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _clean_text(value: str | None, error: type[DomainError], message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise error(message)
    if len(text) > _MAX_TEXT:
        raise error(f"内容不能超过{_MAX_TEXT}个字。")
    return text


def _applicant_ref(applicant: Applicant) -> dict[str, Any]:
    return {"applicant_id": applicant.id, "code": mask_code(applicant.kind, applicant.code)}


# --- reading the registry ---------------------------------------------------------------------


def records_of(applicant: Applicant, *, include_neutral: bool = True) -> list[CreditRecord]:
    """Return an applicant's records, newest first, with their objections loaded."""
    stmt = (select(CreditRecord)
            .where(CreditRecord.applicant_id == applicant.id)
            .options(selectinload(CreditRecord.objections))
            .order_by(CreditRecord.start_on.desc(), CreditRecord.id.desc()))
    if not include_neutral:
        stmt = stmt.where(CreditRecord.record_type.not_in(list(NEUTRAL_TYPES)))
    return list(db.session.scalars(stmt))


def _records_for_check(applicant: Applicant) -> list[CreditRecord]:
    """``records_of`` for the gate, flushing only when pending rows could change it.

    That is: credit records or objections added, changed or deleted in this session, or an
    applicant not inserted yet.

    An autoflush before the read would also write whatever else is pending (at intake, the
    application's UPDATE, which the check's own flush writes a moment later anyway): one
    flush of the unit of work more per submit, for nothing the query reads.
    """
    session = db.session
    if applicant.id is None or any(isinstance(obj, CreditRecord | CreditObjection)
                                   for obj in (*session.new, *session.dirty, *session.deleted)):
        session.flush()
    with session.no_autoflush:
        return records_of(applicant, include_neutral=False)


def checks_of(applicant: Applicant, limit: int = 20) -> list[CreditCheck]:
    """Return an applicant's latest credit checks, newest first."""
    return list(db.session.scalars(
        select(CreditCheck).where(CreditCheck.applicant_id == applicant.id)
        .order_by(CreditCheck.checked_dt.desc(), CreditCheck.id.desc()).limit(limit)))


def latest_check(applicant: Applicant) -> CreditCheck | None:
    """Return the applicant's most recent credit check."""
    checks = checks_of(applicant, limit=1)
    return checks[0] if checks else None


@dataclass(frozen=True)
class Assessment:
    """What an applicant's records mean for the gate."""

    barring: tuple[CreditRecord, ...]  # active barring records, not under objection
    suspended: tuple[CreditRecord, ...]  # active barring records under an open objection

    @property
    def eligible(self) -> bool:
        """Whether nothing bars the commitment track."""
        return not self.barring


def assess(records: Iterable[CreditRecord]) -> Assessment:
    """Sort the records that bar the commitment track from those suspended by an objection.

    A record bars when it is a serious dishonesty or false commitment record, still active
    (neither repaired nor withdrawn), and not under an open objection.
    """
    barring, suspended = [], []
    for record in records:
        if not record.record_type.bars_commitment or record.status != CreditRecordStatus.active:
            continue
        (suspended if record.open_objection is not None else barring).append(record)
    return Assessment(tuple(barring), tuple(suspended))


# --- risk levels ------------------------------------------------------------------------------


def _worse(*levels: str | None) -> str | None:
    known = [lv for lv in levels if lv in RISK_LEVELS]
    return max(known) if known else None


def derive_risk_level(records: Iterable[CreditRecord], today: date) -> str:
    """Derive a risk level A-D from local records (the rule of docs/credit-rules.md).

    Records under an open objection and withdrawn records do not count.

    * D: an active serious dishonesty or false commitment record.
    * C: an active broken commitment or revoked licence; or a barring record repaired less
      than a year ago.
    * B: any other active adverse record (penalty, abnormal operation); or any adverse record
      repaired less than three years ago.
    * A: none of these.
    """
    level = "A"
    for record in records:
        kind = record.record_type
        if not kind.adverse or record.status == CreditRecordStatus.withdrawn:
            continue
        if record.open_objection is not None:
            continue
        if record.status == CreditRecordStatus.active:
            if kind.bars_commitment:
                return "D"
            if kind in (CreditRecordType.commitment_broken, CreditRecordType.licence_revoked):
                level = _worse(level, "C")
            else:
                level = _worse(level, "B")
        elif record.repaired_on is not None:
            since = today - record.repaired_on
            if kind.bars_commitment and since < RECENT_REPAIR:
                level = _worse(level, "C")
            elif since < RISK_MEMORY:
                level = _worse(level, "B")
    return level


def refresh_risk_level(applicant: Applicant, *, records: Sequence[CreditRecord] | None = None,
                       today: date | None = None, actor=None, flush: bool = True) -> str:
    """Recompute and store the applicant's effective risk level; audit a change.

    The effective level is the platform's last level, unless the local records put the
    applicant in a worse one (records this system produced may not have reached the platform
    yet). Without a platform level it is the locally derived one. ``flush=False`` leaves the
    flush to a caller working in batches.
    """
    today = today or local_today()
    if records is None:
        records = records_of(applicant, include_neutral=False)
    local = derive_risk_level(records, today)
    level = _worse(applicant.platform_risk_level, local) or local
    if level != applicant.risk_level:
        previous = applicant.risk_level
        applicant.risk_level = level
        applicant.risk_level_dt = utcnow()
        if flush:
            db.session.flush()
        record_audit("applicant.risk_level_changed", object_type="applicant",
                     object_id=applicant.id, actor=actor,
                     changes={"risk_level": [previous, level], "local_level": local,
                              "platform_level": applicant.platform_risk_level})
    return level


def current_risk_level(applicant: Applicant) -> str:
    """Return the applicant's risk level, deriving and storing it when never computed."""
    if applicant.risk_level is None:
        return refresh_risk_level(applicant)
    return applicant.risk_level


def sampling_ratios() -> dict[str, Decimal]:
    """Return the routine-supervision sampling ratio of every level (settings may override)."""
    ratios = dict(DEFAULT_SAMPLING_RATIOS)
    try:
        overrides = (_settings().extra or {}).get("credit_sampling_ratios") or {}
    except RuntimeError:  # outside an application context: the defaults
        overrides = {}
    for level, ratio in overrides.items():
        if level in RISK_LEVELS:
            value = Decimal(str(ratio))
            if not Decimal(0) <= value <= Decimal(1):
                raise ValueError(f"sampling ratio of {level} must be between 0 and 1")
            ratios[level] = value
    return ratios


def sampling_ratio(level: str | None) -> Decimal:
    """Return the share (0..1) of applicants of a risk level drawn for routine supervision.

    The ratio follows the credit risk level only, never the track the licence came by (the
    work plan forbids harsher supervision of commitment-track licensees). An unknown level
    counts as ``UNKNOWN_RISK_LEVEL``.
    """
    level = level if level in RISK_LEVELS else UNKNOWN_RISK_LEVEL
    return sampling_ratios()[level]


# --- the gate ---------------------------------------------------------------------------------


def _sync_platform_records(applicant: Applicant, answer: PlatformAnswer,
                           actor=None) -> list[CreditRecord]:
    """Mirror the platform's records of one subject into the local registry.

    Keeping them lets objections refer to them and lets a degraded check still see what the
    platform last said. A record the platform no longer lists is withdrawn; a record withdrawn
    here by an upheld objection stays withdrawn.
    """
    prefix = f"platform:{applicant.kind.value}:{applicant.code}:"
    existing = {r.dedupe_key: r for r in db.session.scalars(
        select(CreditRecord).options(selectinload(CreditRecord.objections))
        .where(CreditRecord.applicant_id == applicant.id,
               CreditRecord.source == CreditSource.platform))}
    seen = set()
    for item in answer.records:
        key = prefix + item.external_ref
        seen.add(key)
        status = CreditRecordStatus(item.status)
        record = existing.get(key)
        if record is None:
            record = CreditRecord(
                applicant_id=applicant.id, source=CreditSource.platform,
                record_type=item.record_type, status=status, start_on=item.start_on,
                repaired_on=item.repaired_on, external_ref=item.external_ref, dedupe_key=key,
                issuer=item.issuer, summary=item.summary)
            db.session.add(record)
            db.session.flush()
            record_audit("credit.record.synced", object_type="credit_record",
                         object_id=record.id, actor=actor,
                         changes={**_applicant_ref(applicant), "created": True,
                                  "record_type": item.record_type, "status": status,
                                  "start_on": item.start_on, "repaired_on": item.repaired_on,
                                  "external_ref": item.external_ref})
            continue
        upheld = any(o.status == ObjectionStatus.upheld for o in record.objections)
        wanted = {
            "record_type": item.record_type, "start_on": item.start_on,
            "repaired_on": item.repaired_on, "issuer": item.issuer, "summary": item.summary,
            "status": record.status if upheld else status,
        }
        changes = {name: [getattr(record, name), value] for name, value in wanted.items()
                   if getattr(record, name) != value}
        if changes:
            for name, (_, value) in changes.items():
                setattr(record, name, value)
            db.session.flush()
            record_audit("credit.record.synced", object_type="credit_record",
                         object_id=record.id, actor=actor,
                         changes={**_applicant_ref(applicant), **changes})
    for key, record in existing.items():
        if key not in seen and record.status != CreditRecordStatus.withdrawn:
            previous = record.status
            record.status = CreditRecordStatus.withdrawn
            db.session.flush()
            record_audit("credit.record.withdrawn", object_type="credit_record",
                         object_id=record.id, actor=actor,
                         changes={**_applicant_ref(applicant), "status": [previous, "withdrawn"],
                                  "reason": "平台不再列出该记录"})
    return list(existing.values())


def _objection_note(record: CreditRecord) -> str:
    objection = record.open_objection
    due = f"，应于{objection.due_on.isoformat()}前处理完毕" if objection else ""
    return f"{record.describe()}正在异议处理中{due}，处理期间暂停使用。"


def check_eligibility(
    applicant: Applicant,
    *,
    platform: CreditPlatform | None = None,
    degraded_allows_commitment: bool | None = None,
    actor=None,
    flush: bool = True,
) -> CreditCheck:
    """Check whether the applicant may use the commitment track; keep the answer as evidence.

    Asks the platform (bounded by its timeout and circuit breaker; no database write happens
    before the answer is in, so no row lock is held while waiting), mirrors its records into
    the local registry, and decides on the merged records: the applicant is ineligible if and
    only if an active serious dishonesty or false commitment record exists that is not under
    an open objection. ``reasons`` says why, in Chinese, naming each record.

    When the platform cannot answer (timeout, refusal, 5xx, malformed body, breaker open) the
    local registry answers alone and the check is ``degraded``; then
    ``degraded_allows_commitment`` (default: the ``credit_degraded_allows_commitment``
    setting) decides whether an otherwise clean applicant may go on, flagged
    ``needs_review``. With no platform configured the local registry is the source
    (``source=local``, not degraded). Updates the applicant's risk level. Flushes and audits
    (``credit.checked``); never commits. ``flush=False`` (the intake): a clean check goes in
    with the transaction's next flush, and its entry names its id then.
    """
    started = monotonic()
    platform = platform if platform is not None else get_platform()
    answer: PlatformAnswer | None = None
    error: str | None = None
    if platform.configured:
        try:
            answer = platform.query(applicant.kind, applicant.code)
        except PlatformError as exc:
            error = str(exc)[:500]
            log.warning("credit platform unavailable for applicant %s: %s", applicant.id, error)
    source = (CheckSource.platform if answer is not None
              else CheckSource.degraded if platform.configured else CheckSource.local)

    if answer is not None:
        _sync_platform_records(applicant, answer, actor=actor)
        applicant.platform_risk_level = answer.risk_level  # None: the platform gives none now
    records = _records_for_check(applicant)
    assessment = assess(records)
    # Written by the check's own flush below.
    risk_level = refresh_risk_level(applicant, records=records, actor=actor, flush=False)

    degraded = source == CheckSource.degraded
    if degraded_allows_commitment is None:
        degraded_allows_commitment = _settings().credit_degraded_allows_commitment
    reasons: list[str] = []
    eligible = assessment.eligible
    for record in assessment.barring:
        reasons.append(f"存在未修复的{record.describe()}，在信用修复前不适用告知承诺制，"
                       "可按一般程序办理。")
    for record in assessment.suspended:
        reasons.append(_objection_note(record))
    if degraded:
        reasons.append(f"省信用信息共享平台暂时无法核查（{error}），已依据本地信用记录核查。")
        if eligible and not degraded_allows_commitment:
            eligible = False
            reasons.append("按照本系统设置，平台无法核查时不适用告知承诺制，"
                           "可稍后重新核查或按一般程序办理。")
        elif eligible:
            reasons.append("本次为降级核查，可以继续办理，事后须复核。")
    elif source == CheckSource.local:
        reasons.append("未接入省信用信息共享平台，依据本地信用记录核查。")
    if eligible and not assessment.barring and not assessment.suspended:
        reasons.insert(0, "未发现限制适用告知承诺制的信用记录。")

    check = CreditCheck(
        applicant_id=applicant.id,
        checked_dt=utcnow(),
        checked_by_id=getattr(actor, "id", None) or _current_user_id(),
        source=source,
        degraded=degraded,
        eligible=eligible,
        needs_review=degraded and eligible,
        reasons=reasons,
        barring_record_ids=[r.id for r in assessment.barring],
        suspended_record_ids=[r.id for r in assessment.suspended],
        raw_answer=_jsonable(dict(answer.raw)) if answer is not None else None,
        platform_error=error,
        risk_level=risk_level,
        elapsed_ms=int((monotonic() - started) * 1000),
    )
    db.session.add(check)
    if flush or degraded or source == CheckSource.platform:
        db.session.flush()  # the re-checks below refer to it by id
    record_audit("credit.checked", object_type="credit_check", object_id=id_of(check),
                 actor=actor,
                 changes={**_applicant_ref(applicant), "source": source, "eligible": eligible,
                          "degraded": degraded, "needs_review": check.needs_review,
                          "barring_record_ids": check.barring_record_ids,
                          "suspended_record_ids": check.suspended_record_ids,
                          "risk_level": risk_level})
    if degraded:
        # Decided on local records only: check again as soon as the platform answers.
        queue_recheck(check, actor=actor)
    elif source == CheckSource.platform:
        # The platform answers again: this answer settles the applicant's queued re-checks.
        resolve_rechecks(applicant, check, assessment.barring, actor=actor)
    return check


def repair_guidance(check: CreditCheck) -> list[str]:
    """How an applicant refused by ``check`` can make the commitment track apply again.

    One line per barring record (repair through its issuer, or an objection when it is
    wrong), one for records under objection, and one when the platform could not answer.
    """
    lines: list[str] = []
    records = {r.id: r for r in db.session.scalars(select(CreditRecord).where(
        CreditRecord.id.in_(list(check.barring_record_ids or [])
                            + list(check.suspended_record_ids or []))))}
    for record_id in check.barring_record_ids or []:
        record = records.get(record_id)
        if record is None:
            continue
        issuer = record.issuer or "认定该记录的部门"
        lines.append(f"{record.describe()}：可依法向{issuer}申请信用修复，修复完成后"
                     "（信用信息共享平台更新后）可重新申请以告知承诺制方式办理；认为记录有误的，"
                     "可以向本机关或认定部门提出异议，异议处理期间该记录暂停使用。")
    for record_id in check.suspended_record_ids or []:
        record = records.get(record_id)
        if record is not None:
            lines.append(f"{record.describe()}正在异议处理中，处理结果作出后可重新申请核查。")
    if check.degraded:
        lines.append("省信用信息共享平台恢复后，可以申请重新核查信用；也可以现在按一般程序办理。")
    return lines


def _current_user_id() -> int | None:
    user = acting_user()
    return user.id if user is not None else None


# --- records this system produces -------------------------------------------------------------


class CreditEvent(NamedTuple):
    """What ``record_commitment_event`` wrote: the local record and the push to the platform."""

    record: CreditRecord
    message: OutboxMessage


def record_commitment_event(
    applicant: Applicant,
    kind: OutboxKind | str,
    ref: str,
    payload: Mapping[str, Any] | None = None,
    *,
    occurred_on: date | None = None,
    summary: str | None = None,
    actor=None,
    fresh_ref: bool = False,
    flush: bool = True,
) -> CreditEvent:
    """Record a commitment event in the credit record and queue its push, in one transaction.

    ``kind``: ``commitment_made`` (a signed commitment, at the decision), ``commitment_kept``
    (verified true and fulfilled), ``commitment_broken`` (not fulfilled, e.g. supplements
    late), ``dishonesty`` (found false: written as a ``false_commitment`` record, which bars
    the commitment track) or ``revocation`` (licence revoked: ``licence_revoked``). ``ref``
    names the event uniquely in this system (e.g. ``licence:<number>``, ``case:<id>``); the
    push's idempotency key is ``<kind>:<ref>``, so recording the same event twice returns the
    first record and message and writes nothing. ``payload`` (JSON-able) goes to the platform
    with the subject's identity, the event and its date added. Flushes and audits; never
    commits, so the business change, the record and the message commit or roll back together.
    ``fresh_ref``: the caller knows no event can have this ``ref`` yet (a licence number taken
    in this very transaction), so the lookup is skipped; the unique keys of the record and of
    the message still refuse a duplicate, loudly. ``flush=False``: the rows go in with the
    transaction's next flush (its commit, for the decision); their entry names their ids then.
    """
    try:
        kind = OutboxKind(kind)
    except ValueError:
        raise UnknownCreditEvent(f"未知的信用事件类型：{kind}。") from None
    ref = (ref or "").strip()
    if not ref or len(ref) > _MAX_REF:
        raise UnknownCreditEvent("信用事件必须有不超过150个字符的业务编号。",
                                 code="invalid_credit_event_ref")
    if kind not in EVENT_RECORD_TYPES:
        raise UnknownCreditEvent(f"“{kind.label}”不是承诺事件，不能记入信用记录。")
    if applicant.id is None:
        db.session.flush()
    key = f"{kind.value}:{ref}"
    existing = None if fresh_ref else db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        record = db.session.get(CreditRecord, existing.record_id)
        return CreditEvent(record, existing)

    occurred_on = occurred_on or local_today()
    record_type = kind.record_type
    record = CreditRecord(
        applicant_id=applicant.id, source=CreditSource.system, record_type=record_type,
        status=CreditRecordStatus.active, start_on=occurred_on, external_ref=ref,
        dedupe_key=f"system:{kind.value}:{ref}", summary=summary)
    db.session.add(record)
    body = {
        "event": kind.value,
        "record_type": record_type.value,
        "ref": ref,
        "occurred_on": occurred_on.isoformat(),
        "subject": {"kind": applicant.kind.value, "code": applicant.code,
                    "name": applicant.name},
        "details": _jsonable(dict(payload or {})),
    }
    message = OutboxMessage(kind=kind, idempotency_key=key, payload=body,
                            applicant_id=applicant.id, record=record,
                            status=OutboxStatus.pending, attempts=0, next_attempt_dt=utcnow())
    db.session.add(message)
    if flush:
        db.session.flush()  # the record, then its message: one flush
    record_audit("credit.event_recorded", object_type="credit_record", object_id=id_of(record),
                 actor=actor,
                 changes={**_applicant_ref(applicant), "event": kind, "record_type": record_type,
                          "ref": ref, "occurred_on": occurred_on, "outbox_id": id_of(message)})
    if record_type.adverse:
        refresh_risk_level(applicant, actor=actor)
    return CreditEvent(record, message)


def _push_record_change(kind: OutboxKind, record: CreditRecord, key: str,
                        details: Mapping[str, Any], *, actor=None) -> OutboxMessage:
    """Queue the push of a change to an existing record (its repair, an upheld objection).

    The platform holds the records too (工作方案 二（五）: 信用修复、异议处理工作机制): a change
    made here goes out through the outbox like the records themselves, in the same
    transaction as the change. Idempotent by ``key``.
    """
    existing = db.session.scalar(select(OutboxMessage).where(OutboxMessage.idempotency_key == key))
    if existing is not None:
        return existing
    applicant = record.applicant
    body = {
        "event": kind.value,
        "record_type": record.record_type.value,
        "ref": record.external_ref or record.dedupe_key,
        "record_source": record.source.value,
        "subject": {"kind": applicant.kind.value, "code": applicant.code,
                    "name": applicant.name},
        "details": _jsonable(dict(details)),
    }
    message = OutboxMessage(kind=kind, idempotency_key=key, payload=body,
                            applicant_id=applicant.id, record_id=record.id,
                            status=OutboxStatus.pending, attempts=0, next_attempt_dt=utcnow())
    db.session.add(message)
    db.session.flush()
    record_audit("credit.push_queued", object_type="credit_record", object_id=record.id,
                 actor=actor, changes={**_applicant_ref(applicant), "event": kind,
                                       "outbox_id": message.id})
    return message


# --- repair -----------------------------------------------------------------------------------


def mark_repaired(record: CreditRecord, repaired_on: date, basis: str, *, actor=None
                  ) -> CreditRecord:
    """Mark an adverse local record repaired (信用修复) on ``repaired_on`` for ``basis``.

    From then on it no longer bars the commitment track. Refused for neutral records
    (``RecordNotRepairable``), for records mirrored from the platform, which the platform
    repairs (``RecordManagedByPlatform``), for records no longer active (``RecordNotActive``),
    and for an empty basis or a date before the record or after today (``InvalidRepair``).
    Flushes and audits (``credit.record.repaired``).
    """
    record = _lock(CreditRecord, record.id)
    if not record.record_type.adverse:
        raise RecordNotRepairable()
    if record.source == CreditSource.platform:
        raise RecordManagedByPlatform()
    if record.status != CreditRecordStatus.active:
        raise RecordNotActive()
    basis = _clean_text(basis, InvalidRepair, "请填写信用修复的依据（如修复决定书文号）。")
    if not isinstance(repaired_on, date):
        raise InvalidRepair("请填写信用修复日期。")
    if repaired_on < record.start_on:
        raise InvalidRepair("信用修复日期不能早于该记录的认定日期。")
    if repaired_on > local_today():
        raise InvalidRepair("信用修复日期不能晚于今天。")
    record.status = CreditRecordStatus.repaired
    record.repaired_on = repaired_on
    record.repair_basis = basis
    db.session.flush()
    record_audit("credit.record.repaired", object_type="credit_record", object_id=record.id,
                 actor=actor,
                 changes={**_applicant_ref(record.applicant), "status": ["active", "repaired"],
                          "repaired_on": repaired_on, "repair_basis": basis})
    _push_record_change(OutboxKind.record_repaired, record, f"record_repaired:{record.id}",
                        {"repaired_on": repaired_on, "repair_basis": basis}, actor=actor)
    refresh_risk_level(record.applicant, actor=actor)
    return record


# --- objections -------------------------------------------------------------------------------


def objection_due(filed_on: date) -> tuple[date, bool, str]:
    """Return ``(due_on, provisional, basis)`` for an objection filed on ``filed_on``.

    ``OBJECTION_WORKING_DAYS`` working days after filing, from the working-day calendar. When
    the calendar cannot answer (no data loaded, or out of its range), the fallback is
    ``OBJECTION_FALLBACK_CALENDAR_DAYS`` calendar days, marked provisional.
    """
    try:
        result = due(filed_on, OBJECTION_WORKING_DAYS)
    except DomainError:
        pass
    else:
        if isinstance(result, date):
            return result, False, f"{OBJECTION_WORKING_DAYS}个工作日"
        provisional = bool(getattr(result, "provisional", False))
        return result.due_on, provisional, f"{OBJECTION_WORKING_DAYS}个工作日"
    return (filed_on + timedelta(days=OBJECTION_FALLBACK_CALENDAR_DAYS), True,
            f"{OBJECTION_FALLBACK_CALENDAR_DAYS}个自然日（工作日历不可用，暂定）")


def _calendar_version(basis: str) -> int | None:
    """The calendar version a working-day objection deadline was computed on."""
    if basis != f"{OBJECTION_WORKING_DAYS}个工作日":
        return None
    return current_calendar_version()


def file_objection(record: CreditRecord, reason: str, *, filed_on: date | None = None,
                   actor=None) -> CreditObjection:
    """File an objection (异议) against an active adverse record; it suspends the record's use.

    While the objection is open the record neither bars the commitment track nor counts for
    the risk level. One open objection per record (``ObjectionAlreadyOpen``); only active
    adverse records (``RecordNotActive``, ``InvalidObjection``). The objection gets its own
    deadline (``objection_due``). Flushes and audits (``credit.objection.filed``).
    """
    record = _lock(CreditRecord, record.id)
    if not record.record_type.adverse:
        raise InvalidObjection("只能对不良信用记录提出异议。")
    if record.status != CreditRecordStatus.active:
        raise RecordNotActive()
    if db.session.scalar(select(CreditObjection.id).where(
            CreditObjection.record_id == record.id,
            CreditObjection.status == ObjectionStatus.open)) is not None:
        raise ObjectionAlreadyOpen()
    reason = _clean_text(reason, InvalidObjection, "请填写异议理由。")
    filed_on = filed_on or local_today()
    if filed_on > local_today():
        raise InvalidObjection("异议提出日期不能晚于今天。")
    if filed_on < record.start_on:
        raise InvalidObjection("异议提出日期不能早于该记录的认定日期。")
    due_on, provisional, basis = objection_due(filed_on)
    actor_id = getattr(actor, "id", None) or _current_user_id()
    objection = CreditObjection(record=record, filed_on=filed_on, reason=reason, due_on=due_on,
                                due_provisional=provisional, due_basis=basis,
                                status=ObjectionStatus.open, filed_by_id=actor_id,
                                due_calendar_version=_calendar_version(basis))
    db.session.add(objection)
    db.session.flush()
    record_audit("credit.objection.filed", object_type="credit_objection",
                 object_id=objection.id, actor=actor,
                 changes={**_applicant_ref(record.applicant), "record_id": record.id,
                          "filed_on": filed_on, "due_on": due_on, "due_provisional": provisional,
                          "reason": reason})
    refresh_risk_level(record.applicant, actor=actor)
    return objection


def resolve_objection(objection: CreditObjection, outcome: ObjectionStatus | str,
                      resolution: str, *, resolved_on: date | None = None,
                      actor=None) -> CreditObjection:
    """Decide an open objection: ``upheld`` withdraws the record, ``rejected`` restores it.

    Refused when the objection is already decided (``ObjectionNotOpen``), for another outcome,
    an empty resolution, or a date before filing or after today (``InvalidObjection``).
    Flushes and audits (``credit.objection.resolved``, and ``credit.record.withdrawn``).
    """
    record = _lock(CreditRecord, objection.record_id)  # record first, as file_objection
    objection = _lock(CreditObjection, objection.id)
    if objection.status != ObjectionStatus.open:
        raise ObjectionNotOpen()
    try:
        outcome = ObjectionStatus(outcome)
    except ValueError:
        outcome = None
    if outcome not in (ObjectionStatus.upheld, ObjectionStatus.rejected):
        raise InvalidObjection("处理结果只能是“异议成立”或“异议不成立”。")
    resolution = _clean_text(resolution, InvalidObjection, "请填写异议处理意见。")
    resolved_on = resolved_on or local_today()
    if resolved_on < objection.filed_on or resolved_on > local_today():
        raise InvalidObjection("处理日期应在异议提出之日与今天之间。")
    objection.status = outcome
    objection.resolution = resolution
    objection.resolved_on = resolved_on
    objection.resolved_by_id = getattr(actor, "id", None) or _current_user_id()
    db.session.flush()
    record_audit("credit.objection.resolved", object_type="credit_objection",
                 object_id=objection.id, actor=actor,
                 changes={**_applicant_ref(record.applicant), "record_id": record.id,
                          "status": ["open", outcome], "resolved_on": resolved_on,
                          "resolution": resolution,
                          "overdue": resolved_on > objection.due_on})
    if outcome == ObjectionStatus.upheld and record.status == CreditRecordStatus.active:
        record.status = CreditRecordStatus.withdrawn
        db.session.flush()
        record_audit("credit.record.withdrawn", object_type="credit_record",
                     object_id=record.id, actor=actor,
                     changes={**_applicant_ref(record.applicant),
                              "status": ["active", "withdrawn"],
                              "reason": f"异议成立（异议{objection.id}）"})
    if outcome == ObjectionStatus.upheld:
        _push_record_change(OutboxKind.objection_upheld, record,
                            f"objection_upheld:{objection.id}",
                            {"objection_id": objection.id, "filed_on": objection.filed_on,
                             "resolved_on": resolved_on, "resolution": resolution},
                            actor=actor)
    db.session.expire(record, ["objections"])
    refresh_risk_level(record.applicant, actor=actor)
    return objection


def open_objections(*, overdue_on: date | None = None) -> list[CreditObjection]:
    """Return the open objections, oldest deadline first; only overdue ones if ``overdue_on``."""
    stmt = (select(CreditObjection).where(CreditObjection.status == ObjectionStatus.open)
            .order_by(CreditObjection.due_on, CreditObjection.id))
    if overdue_on is not None:
        stmt = stmt.where(CreditObjection.due_on < overdue_on)
    return list(db.session.scalars(stmt))


def count_records_by_type(applicant: Applicant) -> dict[CreditRecordType, int]:
    """Return how many records of each type the applicant has (every status)."""
    rows = db.session.execute(
        select(CreditRecord.record_type, func.count(CreditRecord.id))
        .where(CreditRecord.applicant_id == applicant.id)
        .group_by(CreditRecord.record_type)).all()
    return {CreditRecordType(t): n for t, n in rows}
