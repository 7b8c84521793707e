"""Applicants, commitment events, repair and objections: transitions, errors and audit rows."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from licensing import clock
from licensing.applicants.errors import InvalidCreditCode, InvalidIdNumber, InvalidPhone
from licensing.applicants.models import Applicant, ApplicantVersion
from licensing.applicants.services import get_or_create_applicant, link_user
from licensing.audit.models import AuditEntry
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
    CreditObjection,
    CreditRecord,
    CreditRecordStatus,
    CreditRecordType,
    CreditSource,
    ObjectionStatus,
    OutboxMessage,
    OutboxStatus,
)
from licensing.credit.platform import LocalOnlyPlatform
from licensing.credit.services import (
    OBJECTION_FALLBACK_CALENDAR_DAYS,
    OBJECTION_WORKING_DAYS,
    check_eligibility,
    file_objection,
    mark_repaired,
    objection_due,
    open_objections,
    record_commitment_event,
    resolve_objection,
)
from licensing.errors import InvalidTransition
from licensing.extensions import db
from tests.credit_fake_platform import credit_record, enterprise_code, id_number, make_applicant
from tests.factories import create_test_user

T = CreditRecordType


def actions(session, object_type: str, object_id) -> list[str]:
    return session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id)).all()


def eligible(applicant) -> bool:
    return check_eligibility(applicant, platform=LocalOnlyPlatform()).eligible


# --- applicants -------------------------------------------------------------------------------


def test_get_or_create_applicant_normalises_updates_and_audits_masked(session):
    code = id_number(7)
    first = get_or_create_applicant("individual", code.lower(), " 王  小明 ", "138 1234 5678")
    assert first.code == code and first.name == "王 小明" and first.phone == "13812345678"
    again = get_or_create_applicant("individual", code, "王小明", "0312-1234567")
    assert again.id == first.id and again.name == "王小明" and again.phone == "0312-1234567"
    untouched = get_or_create_applicant("individual", code, "王小明", "")
    assert untouched.phone == "0312-1234567"
    trail = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "applicant",
                                                     AuditEntry.object_id == str(first.id))
                            .order_by(AuditEntry.id)).all()
    assert [e.action for e in trail] == ["applicant.created", "applicant.updated"]
    text = str([e.changes for e in trail])
    assert code not in text and "13812345678" not in text and "1234567" not in text
    assert "130682********" in text and "138****5678" in text


@pytest.mark.parametrize(
    ("kind", "code", "phone", "error"),
    [
        ("enterprise", "91350100M000100Y44", None, InvalidCreditCode),
        ("individual", "110105194912310021", None, InvalidIdNumber),
        ("enterprise", "91350100M000100Y43", "12345", InvalidPhone),
    ],
)
def test_get_or_create_applicant_refuses_bad_input(session, kind, code, phone, error):
    with pytest.raises(error):
        get_or_create_applicant(kind, code, "某某", phone)
    assert session.scalar(select(func.count(Applicant.id))) == 0


def test_same_code_may_exist_once_per_kind(session):
    a = get_or_create_applicant("enterprise", enterprise_code(1), "甲公司")
    b = get_or_create_applicant("enterprise", enterprise_code(1), "甲公司")
    assert a.id == b.id and session.scalar(select(func.count(Applicant.id))) == 1


def test_link_user_only_for_applicant_accounts(session):
    applicant = make_applicant()
    online = create_test_user("applicant")
    link_user(applicant, online)
    assert applicant.user_id == online.id
    with pytest.raises(Exception, match="只能关联申请人账号"):
        link_user(applicant, create_test_user("clerk"))


@pytest.mark.postgres_only
def test_concurrent_first_registrations_make_one_applicant(app, backend):
    if backend != "postgresql":
        pytest.skip("needs PostgreSQL")
    code = enterprise_code(4242)
    barrier = threading.Barrier(6)
    ids, errors = [], []

    def register():
        with app.app_context():
            try:
                barrier.wait()
                ids.append(get_or_create_applicant("enterprise", code, "并发公司").id)
                db.session.commit()
            except Exception as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=register) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(ids)) == 1
    assert db.session.scalar(select(func.count(Applicant.id))) == 1
    # The losers of the race (ON CONFLICT DO NOTHING) read the winner's row: they neither
    # snapshot a version nor audit a creation of their own.
    assert db.session.scalar(select(func.count(ApplicantVersion.id))) == 1
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "applicant.created")) == 1


# --- commitment events --------------------------------------------------------------------------


def test_commitment_event_writes_record_and_message_in_one_transaction(session):
    applicant = make_applicant()
    session.commit()
    event = record_commitment_event(applicant, "commitment_made", "licence:XZSPJ-2026-0001",
                                    {"item": "公共场所卫生许可", "decided_on": date(2026, 11, 2)})
    assert event.record.source == CreditSource.system
    assert event.record.record_type == T.commitment_made
    assert event.message.status == OutboxStatus.pending
    assert event.message.idempotency_key == "commitment_made:licence:XZSPJ-2026-0001"
    payload = event.message.payload
    assert payload["subject"] == {"kind": "enterprise", "code": applicant.code,
                                  "name": applicant.name}
    assert payload["details"]["decided_on"] == "2026-11-02"
    session.rollback()  # the business change failed: neither row survives
    assert session.scalar(select(func.count(CreditRecord.id))) == 0
    assert session.scalar(select(func.count(OutboxMessage.id))) == 0


def test_commitment_event_is_idempotent(session):
    applicant = make_applicant()
    first = record_commitment_event(applicant, "commitment_made", "case:1", {})
    second = record_commitment_event(applicant, "commitment_made", "case:1", {"other": 1})
    assert first.record.id == second.record.id and first.message.id == second.message.id
    assert session.scalar(select(func.count(OutboxMessage.id))) == 1
    assert actions(session, "credit_record", first.record.id) == ["credit.event_recorded"]


@pytest.mark.parametrize(
    ("kind", "record_type", "bars", "level"),
    [
        ("commitment_made", T.commitment_made, False, "A"),
        ("commitment_kept", T.commitment_kept, False, "A"),
        ("commitment_broken", T.commitment_broken, False, "C"),
        ("dishonesty", T.false_commitment, True, "D"),
        ("revocation", T.licence_revoked, False, "C"),
    ],
)
def test_each_event_kind_and_its_effect_on_the_gate(session, kind, record_type, bars, level):
    applicant = make_applicant()
    event = record_commitment_event(applicant, kind, f"ref:{kind}", {})
    assert event.record.record_type == record_type
    check = check_eligibility(applicant, platform=LocalOnlyPlatform())
    assert check.eligible is not bars
    assert applicant.risk_level == level


def test_unknown_event_kind_is_refused(session):
    with pytest.raises(UnknownCreditEvent):
        record_commitment_event(make_applicant(), "praise", "x", {})
    with pytest.raises(UnknownCreditEvent):
        record_commitment_event(make_applicant(), "commitment_made", "  ", {})


# --- repair -----------------------------------------------------------------------------------


def test_repair_lifts_the_bar_and_is_audited(session):
    applicant = make_applicant()
    record = credit_record(applicant, T.serious_dishonesty, start_on=date(2025, 1, 10))
    assert not eligible(applicant)
    mark_repaired(record, date(2026, 3, 1), "信用修复决定书 冀信修〔2026〕12号")
    assert record.status == CreditRecordStatus.repaired
    assert eligible(applicant)
    assert applicant.risk_level == "C"  # repaired less than a year ago
    assert "credit.record.repaired" in actions(session, "credit_record", record.id)
    with pytest.raises(RecordNotActive):
        mark_repaired(record, date(2026, 3, 2), "再次修复")


@pytest.mark.parametrize(
    ("setup", "repaired_on", "basis", "error"),
    [
        ({"record_type": T.commitment_made}, date(2026, 1, 1), "x", RecordNotRepairable),
        ({"record_type": T.serious_dishonesty, "source": CreditSource.platform},
         date(2026, 1, 1), "x", RecordManagedByPlatform),
        ({"record_type": T.serious_dishonesty, "status": CreditRecordStatus.withdrawn},
         date(2026, 1, 1), "x", RecordNotActive),
        ({"record_type": T.serious_dishonesty}, date(2026, 1, 1), "  ", InvalidRepair),
        ({"record_type": T.serious_dishonesty}, date(2024, 1, 1), "x", InvalidRepair),
        ({"record_type": T.serious_dishonesty}, None, "x", InvalidRepair),
    ],
)
def test_illegal_repairs_are_refused(session, setup, repaired_on, basis, error):
    record = credit_record(make_applicant(), start_on=date(2025, 1, 10), **setup)
    with pytest.raises(error):
        mark_repaired(record, repaired_on, basis)


def test_repair_in_the_future_is_refused(session):
    record = credit_record(make_applicant(), T.false_commitment)
    with pytest.raises(InvalidRepair, match="不能晚于今天"):
        mark_repaired(record, clock.local_today() + timedelta(days=1), "依据")


# --- objections -------------------------------------------------------------------------------


def test_objection_suspends_then_rejection_restores_the_bar(session):
    applicant = make_applicant()
    record = credit_record(applicant, T.false_commitment, start_on=date(2025, 1, 10))
    objection = file_objection(record, "检测报告系他人出具错误", filed_on=date(2026, 11, 2))
    assert objection.status == ObjectionStatus.open
    assert objection.due_on > objection.filed_on
    assert eligible(applicant)
    assert open_objections() == [objection]
    with pytest.raises(ObjectionAlreadyOpen):
        file_objection(record, "再次提出")
    resolve_objection(objection, "rejected", "经核查记录属实")
    assert record.status == CreditRecordStatus.active and not eligible(applicant)
    with pytest.raises(ObjectionNotOpen):
        resolve_objection(objection, "upheld", "改判")
    assert actions(session, "credit_objection", objection.id) == [
        "credit.objection.filed", "credit.objection.resolved"]


def test_upheld_objection_withdraws_the_record(session):
    applicant = make_applicant()
    record = credit_record(applicant, T.serious_dishonesty)
    objection = file_objection(record, "认定主体错误")
    resolve_objection(objection, ObjectionStatus.upheld, "经核查认定主体错误，予以撤销")
    assert record.status == CreditRecordStatus.withdrawn
    assert eligible(applicant) and applicant.risk_level == "A"
    assert "credit.record.withdrawn" in actions(session, "credit_record", record.id)
    with pytest.raises(RecordNotActive):
        file_objection(record, "又一次")


@pytest.mark.parametrize(
    ("record_type", "kwargs", "error"),
    [
        (T.commitment_kept, {}, InvalidObjection),
        (T.serious_dishonesty, {"reason": ""}, InvalidObjection),
        (T.serious_dishonesty, {"filed_on": date(2020, 1, 1)}, InvalidObjection),
    ],
)
def test_illegal_objections_are_refused(session, record_type, kwargs, error):
    record = credit_record(make_applicant(), record_type)
    kwargs = dict(kwargs)  # the parameter is shared by every backend's run
    with pytest.raises(error):
        file_objection(record, kwargs.pop("reason", "理由"), **kwargs)
    assert session.scalar(select(func.count(CreditObjection.id))) == 0


def test_illegal_resolutions_are_refused(session):
    objection = file_objection(credit_record(make_applicant(), T.false_commitment), "理由")
    with pytest.raises(InvalidObjection):
        resolve_objection(objection, "open", "x")
    with pytest.raises(InvalidObjection):
        resolve_objection(objection, "upheld", " ")
    with pytest.raises(InvalidObjection):
        resolve_objection(objection, "upheld", "x",
                          resolved_on=objection.filed_on - timedelta(days=1))
    assert issubclass(ObjectionNotOpen, InvalidTransition)


def test_objection_deadline_without_calendar_is_provisional_calendar_days(wipe_all, session):
    filed = date(2026, 11, 2)
    due_on, provisional, basis = objection_due(filed)
    assert due_on == filed + timedelta(days=OBJECTION_FALLBACK_CALENDAR_DAYS)
    assert provisional and "暂定" in basis


def test_objection_deadline_counts_working_days_with_the_calendar(session):
    from licensing.calendar import services as calendar

    calendar.sync_official_data(date(2026, 11, 29))
    session.flush()
    filed = date(2026, 9, 25)  # the count crosses the National Day holidays
    expected = calendar.due(filed, OBJECTION_WORKING_DAYS)
    due_on, provisional, basis = objection_due(filed)
    assert (due_on, provisional) == (expected.due_on, expected.provisional)
    assert due_on > filed + timedelta(days=OBJECTION_WORKING_DAYS * 7 // 5)
    assert basis == f"{OBJECTION_WORKING_DAYS}个工作日"
