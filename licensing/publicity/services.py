"""Publicity records (双公示): made from the licences' versions, delivered, exported.

* ``collect`` makes one record per licensing decision (issue, change, renewal), cancellation
  and revocation that has none yet, with its deadline: made public within 7 working days of
  the decision (``DeadlineRule.publicity_7``, provenance kept). It reads the licences' own
  versions, so the case journey needs to know nothing about publicity.
* ``deliver_pending`` sends the pending records through the credit information sharing
  platform's push interface (the same platform and idempotency keys as the credit outbox).
* ``export_rows`` gives the records in the format of ``config/publicity/fields.yaml`` for the
  CSV and JSON exports.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from datetime import date, datetime, timedelta

from sqlalchemy import exists, select

from licensing.applicants.identity import ApplicantKind, mask_code
from licensing.audit.services import record_audit
from licensing.calendar.deadlines import DeadlineRule
from licensing.calendar.services import compute_deadline
from licensing.cases.licences import facts as licence_facts
from licensing.cases.licences import public_status
from licensing.cases.models import Licence, LicenceEvent, LicenceStatus, LicenceVersion
from licensing.clock import local_date, local_today, utcnow
from licensing.credit.outbox import backoff
from licensing.credit.platform import PlatformError, PlatformRejected, get_platform
from licensing.extensions import db
from licensing.publicity.mapping import load_mapping
from licensing.publicity.models import PublicityEvent, PublicityRecord, PublicityStatus

log = logging.getLogger(__name__)

#: Licence versions that are decisions to make public (a reissued certificate is not one).
PUBLISHED_EVENTS = {LicenceEvent.issued: PublicityEvent.issued,
                    LicenceEvent.changed: PublicityEvent.changed,
                    LicenceEvent.renewed: PublicityEvent.renewed,
                    LicenceEvent.cancelled: PublicityEvent.cancelled,
                    LicenceEvent.revoked: PublicityEvent.revoked}
DOCUMENT_NAMES = {PublicityEvent.issued: "准予行政许可决定书",
                  PublicityEvent.changed: "准予变更行政许可决定书",
                  PublicityEvent.renewed: "准予延续行政许可决定书",
                  PublicityEvent.cancelled: "注销行政许可决定书",
                  PublicityEvent.revoked: "撤销行政许可决定书"}
EVENT_STATUS = {PublicityEvent.cancelled: LicenceStatus.cancelled,
                PublicityEvent.revoked: LicenceStatus.revoked}
LEASE = timedelta(minutes=5)


def record_facts(licence: Licence, facts: dict, event: PublicityEvent, decided_on: date,
                 decision_number: str | None, note: str | None = None) -> dict:
    """The facts of a publicity record, from what the licence stated after the decision."""
    kind = ApplicantKind(facts.get("holder_kind") or licence.holder_kind)
    code = facts.get("holder_code") or licence.holder_code
    person = kind == ApplicantKind.individual
    return {
        "event": event.value,
        "holder_name": facts.get("holder_name"),
        "holder_kind": kind.value,
        "enterprise_code": None if person else code,
        "legal_representative": facts.get("legal_representative"),
        "id_type": "身份证" if person else None,
        "id_number_masked": mask_code(kind, code) if person else None,
        "document_name": DOCUMENT_NAMES[event],
        "decision_number": decision_number,
        "licence_category": None,
        "certificate_name": facts.get("item_name"),
        "licence_number": licence.number,
        "scope": facts.get("scope"),
        "item_code": facts.get("item_code"),
        "item_name": facts.get("item_name"),
        "decided_on": decided_on.isoformat(),
        "valid_from": facts.get("valid_from"),
        "valid_until": facts.get("valid_until"),
        "authority_name": facts.get("authority_name"),
        "authority_code": licence.approval_department.credit_code,
        "status": EVENT_STATUS.get(event, LicenceStatus.valid).value,
        "note": note,
    }


def _add(licence: Licence, event: PublicityEvent, key: str, facts: dict, decided_on: date,
         version_id: int | None) -> PublicityRecord:
    record = PublicityRecord(
        idempotency_key=key, licence_id=licence.id, licence_version_id=version_id,
        event=event, approval_department_id=licence.approval_department_id,
        item_version_id=licence.item_version_id, decided_on=decided_on, facts=facts,
        status=PublicityStatus.pending, next_attempt_dt=utcnow())
    record.publicity_deadline = compute_deadline(
        DeadlineRule.publicity_7, start_on=decided_on, start_event=f"licence_{event.value}")
    db.session.add(record)
    db.session.flush()
    record_audit("publicity.record_created", object_type="publicity_record",
                 object_id=record.id, changes={"licence": licence.number, "event": event,
                                               "due": record.publicity_deadline.as_dict()})
    return record


def collect() -> int:
    """Make the records of every decision that has none yet; return how many. Flushes.

    Idempotent: a version with a record, or a revoked licence with its revocation record,
    is not selected again (and the idempotency key is unique besides).
    """
    made = 0
    versions = db.session.scalars(
        select(LicenceVersion).where(
            LicenceVersion.event.in_(list(PUBLISHED_EVENTS)),
            ~exists().where(PublicityRecord.licence_version_id == LicenceVersion.id))
        .order_by(LicenceVersion.id)).all()
    for version in versions:
        event = PUBLISHED_EVENTS[version.event]
        licence = version.licence
        facts = record_facts(licence, version.facts, event, version.effective_on,
                             version.decision_number, version.reason)
        _add(licence, event, f"publicity:{licence.id}:v{version.number}", facts,
             version.effective_on, version.id)
        made += 1
    # A revocation recorded on the licence alone (the revocation procedure keeps its own
    # decision): made public from the licence's state.
    revoked = db.session.scalars(
        select(Licence).where(
            Licence.status == LicenceStatus.revoked,
            ~exists().where(PublicityRecord.licence_id == Licence.id,
                            PublicityRecord.event == PublicityEvent.revoked))
        .order_by(Licence.id)).all()
    for licence in revoked:
        decided_on = local_date(licence.revoked_dt)
        facts = record_facts(licence, licence_facts(licence), PublicityEvent.revoked,
                             decided_on, None, "行政许可已依法撤销")
        _add(licence, PublicityEvent.revoked, f"publicity:{licence.id}:revoked", facts,
             decided_on, None)
        made += 1
    return made


def _due(now: datetime, batch: int) -> list[int]:
    stmt = (select(PublicityRecord.id)
            .where(PublicityRecord.status == PublicityStatus.pending,
                   PublicityRecord.next_attempt_dt <= now)
            .order_by(PublicityRecord.id).limit(batch))
    if db.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(db.session.scalars(stmt))


def deliver_pending(now: datetime | None = None, *, platform=None, batch: int = 100) -> int:
    """Send the due pending records; return how many were delivered. Commits per record.

    Claim (lease by moving ``next_attempt_dt``, commit), send with no transaction open,
    record the outcome: delivered with the receipt; refused (4xx) → ``failed``; anything
    else → pending, retried after a backoff. A sender that dies mid-way leaves the lease to
    run out; the record goes again with the same idempotency key, which the platform drops.
    """
    now = now or utcnow()
    platform = platform or get_platform()
    ids = _due(now, batch)
    for record_id in ids:
        record = db.session.get(PublicityRecord, record_id)
        record.next_attempt_dt = now + LEASE
        record.attempts += 1
    db.session.commit()
    delivered = 0
    for record_id in ids:
        record = db.session.get(PublicityRecord, record_id)
        try:
            receipt = platform.push(record)
        except PlatformRejected as exc:
            record.status = PublicityStatus.failed
            record.last_error = str(exc)[:1000]
        except PlatformError as exc:
            record.next_attempt_dt = now + backoff(record.attempts)
            record.last_error = str(exc)[:1000]
        else:
            record.status = PublicityStatus.delivered
            record.delivered_dt = utcnow()
            record.delivered_on = local_today()
            record.receipt = receipt
            record.last_error = None
            delivered += 1
            record_audit("publicity.record_delivered", object_type="publicity_record",
                         object_id=record.id,
                         changes={"late": record.delivered_on > record.publicity_due_on})
        db.session.commit()
    return delivered


def overdue(today: date | None = None):
    """A query of the records not made public by their due date (late or still pending)."""
    today = today or local_today()
    return select(PublicityRecord).where(
        PublicityRecord.publicity_due_on < today,
        PublicityRecord.status != PublicityStatus.delivered).order_by(
        PublicityRecord.publicity_due_on, PublicityRecord.id)


def export_rows(start: date, end: date, *, department_ids: list[int] | None = None,
                today: date | None = None) -> list[dict[str, str]]:
    """The records decided in ``[start, end]``, mapped; the status is the licence's now."""
    stmt = select(PublicityRecord).where(PublicityRecord.decided_on.between(start, end))
    if department_ids is not None:
        stmt = stmt.where(PublicityRecord.approval_department_id.in_(department_ids))
    mapping = load_mapping()
    rows = []
    for record in db.session.scalars(stmt.order_by(PublicityRecord.decided_on,
                                                   PublicityRecord.id)):
        facts = dict(record.facts)
        facts["status"] = public_status(record.licence, today).value
        rows.append(mapping.apply(facts))
    return rows


def to_csv(rows: list[dict[str, str]]) -> str:
    """CSV (UTF-8 with BOM for spreadsheet programs): the field names, then one row each."""
    mapping = load_mapping()
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.DictWriter(buffer, fieldnames=mapping.names, lineterminator="\r\n")
    writer.writeheader()
    # a cell that a spreadsheet would run as a formula is written as text
    writer.writerows({k: "'" + v if v[:1] in ("=", "+", "-", "@") else v
                      for k, v in row.items()} for row in rows)
    return buffer.getvalue()


def to_json(rows: list[dict[str, str]]) -> str:
    """JSON: the record's name, its fields (name and label), and the records."""
    mapping = load_mapping()
    return json.dumps({"record_name": mapping.record_name,
                       "fields": [{"name": f.name, "label": f.label} for f in mapping.fields],
                       "records": rows}, ensure_ascii=False, indent=1)
