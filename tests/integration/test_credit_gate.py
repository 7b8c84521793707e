"""The credit gate against every record kind and state, the platform merge and degraded mode."""

from __future__ import annotations

import dataclasses
from datetime import date
from time import monotonic

import pytest
from sqlalchemy import func, select

from licensing.applicants.models import Applicant
from licensing.audit.models import AuditEntry
from licensing.credit.models import (
    CheckSource,
    CreditCheck,
    CreditRecord,
    CreditRecordStatus,
    CreditRecordType,
    CreditSource,
    ObjectionStatus,
)
from licensing.credit.platform import LocalOnlyPlatform, set_platform
from licensing.credit.services import (
    check_eligibility,
    file_objection,
    resolve_objection,
)
from tests.credit_fake_platform import (
    credit_record,
    http_platform,
    make_applicant,
    running_fake_platform,
)

T = CreditRecordType
BARRING = {T.serious_dishonesty, T.false_commitment}
STATES = ["active", "repaired", "withdrawn", "under_objection", "objection_rejected",
          "objection_upheld"]


def _put_in_state(record: CreditRecord, state: str) -> None:
    if state == "repaired":
        record.status = CreditRecordStatus.repaired
        record.repaired_on = date(2025, 9, 1)
        record.repair_basis = "修复决定书"
    elif state == "withdrawn":
        record.status = CreditRecordStatus.withdrawn
    elif state.startswith("objection") or state == "under_objection":
        objection = file_objection(record, "认定有误", filed_on=date(2025, 4, 1))
        if state == "objection_rejected":
            resolve_objection(objection, ObjectionStatus.rejected, "经核查记录属实")
        elif state == "objection_upheld":
            resolve_objection(objection, ObjectionStatus.upheld, "经核查认定错误")


def _states_of(record_type: CreditRecordType) -> list[str]:
    """Every state a record of this kind can be in (neutral records take no objection)."""
    return STATES if record_type.adverse else ["active", "repaired", "withdrawn"]


@pytest.mark.parametrize("record_type", list(T))
def test_gate_for_every_record_kind_and_state(session, record_type):
    """One applicant per (state, source): the gate's answer and its reasons for each."""
    for state in _states_of(record_type):
        for source in (CreditSource.local_import, CreditSource.system):
            where = (record_type, state, source)
            applicant = make_applicant()
            record = credit_record(applicant, record_type, source=source,
                                   start_on=date(2025, 3, 1), issuer="定州市市场监督管理局",
                                   external_ref="REF-1")
            _put_in_state(record, state)
            session.flush()

            check = check_eligibility(applicant, platform=LocalOnlyPlatform())

            bars = record_type in BARRING and state in ("active", "objection_rejected")
            assert check.eligible is not bars, where
            assert check.source == CheckSource.local and not check.degraded, where
            assert check.barring_record_ids == ([record.id] if bars else []), where
            if bars:
                reason = check.reasons[0]
                assert record_type.label in reason and "2025-03-01" in reason, where
                assert source.label in reason and "REF-1" in reason, where
                assert "信用修复前不适用" in reason, where
            else:
                assert not any("不适用告知承诺制" in r for r in check.reasons), where
            suspended = record_type in BARRING and state == "under_objection"
            assert check.suspended_record_ids == ([record.id] if suspended else []), where
            assert any("异议处理中" in r for r in check.reasons) is suspended, where


def test_clean_applicant_is_eligible_and_the_check_is_kept_and_audited(session):
    applicant = make_applicant("individual")
    check = check_eligibility(applicant, platform=LocalOnlyPlatform())
    assert check.eligible and check.id is not None
    assert check.reasons[0] == "未发现限制适用告知承诺制的信用记录。"
    assert check.risk_level == "A" and applicant.risk_level == "A"
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "credit.checked"))
    assert entry.object_id == str(check.id)
    assert entry.changes["code"] == applicant.masked_code
    assert applicant.code not in str(entry.changes)  # the full ID number never reaches the log


def test_platform_answer_is_merged_mirrored_and_kept(app, session):
    applicant = make_applicant()
    with running_fake_platform() as fake:
        fake.add_subject("enterprise", applicant.code, applicant.name, risk_level="C")
        fake.add_record("enterprise", applicant.code, "serious_dishonesty", "2026-01-05",
                        record_id="HB-1", issuer="河北省市场监督管理局")
        platform = http_platform(fake)
        check = check_eligibility(applicant, platform=platform)
        assert check.source == CheckSource.platform and not check.eligible
        assert check.raw_answer["records"][0]["id"] == "HB-1"
        (mirrored,) = session.scalars(select(CreditRecord).where(
            CreditRecord.applicant_id == applicant.id)).all()
        assert mirrored.source == CreditSource.platform and mirrored.external_ref == "HB-1"
        assert "省信用信息共享平台" in check.reasons[0]
        # the platform says C, the local mirror of its record says D: the worse level wins
        assert applicant.platform_risk_level == "C" and check.risk_level == "D"

        # the platform repairs the record: the next check follows it
        fake.subjects[("enterprise", applicant.code)]["records"][0].update(
            status="repaired", repaired_on="2026-06-01")
        fake.subjects[("enterprise", applicant.code)]["risk_level"] = "B"
        check = check_eligibility(applicant, platform=platform)
        assert check.eligible
        assert mirrored.status == CreditRecordStatus.repaired
        assert mirrored.repaired_on == date(2026, 6, 1)

        # the platform drops the record altogether: the mirror is withdrawn
        fake.subjects[("enterprise", applicant.code)]["records"].clear()
        check_eligibility(applicant, platform=platform)
        assert mirrored.status == CreditRecordStatus.withdrawn
        actions = session.scalars(select(AuditEntry.action).where(
            AuditEntry.object_type == "credit_record")).all()
        assert "credit.record.synced" in actions and "credit.record.withdrawn" in actions


def test_platform_risk_level_is_used_unless_local_records_are_worse(session):
    clean, broken = make_applicant(), make_applicant()
    credit_record(broken, T.commitment_broken, source=CreditSource.system)
    with running_fake_platform() as fake:
        fake.add_subject("enterprise", clean.code, risk_level="B")
        fake.add_subject("enterprise", broken.code, risk_level="A")
        platform = http_platform(fake)
        assert check_eligibility(clean, platform=platform).risk_level == "B"
        assert check_eligibility(broken, platform=platform).risk_level == "C"


def test_degraded_check_uses_local_records_and_is_flagged(session):
    clean, barred = make_applicant(), make_applicant()
    credit_record(barred, T.false_commitment)
    with running_fake_platform() as fake:
        platform = http_platform(fake)
    # the platform is gone: connections are refused
    check = check_eligibility(clean, platform=platform, degraded_allows_commitment=True)
    assert check.source == CheckSource.degraded and check.degraded
    assert check.eligible and check.needs_review
    assert check.platform_error and any("降级" in r or "无法核查" in r for r in check.reasons)
    barred_check = check_eligibility(barred, platform=platform, degraded_allows_commitment=True)
    assert not barred_check.eligible and not barred_check.needs_review


def test_degraded_check_refused_when_the_setting_says_so(app, session):
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"],
                                                 credit_degraded_allows_commitment=False)
    applicant = make_applicant()
    with running_fake_platform() as fake:
        fake.set_mode("error")
        check = check_eligibility(applicant, platform=http_platform(fake))
    assert check.degraded and not check.eligible and not check.needs_review
    assert any("平台无法核查时不适用告知承诺制" in r for r in check.reasons)


def test_degraded_check_still_sees_the_last_mirrored_platform_records(session):
    applicant = make_applicant()
    with running_fake_platform() as fake:
        fake.add_record("enterprise", applicant.code, "serious_dishonesty", "2026-02-02")
        platform = http_platform(fake)
        assert not check_eligibility(applicant, platform=platform).eligible
        fake.set_mode("malformed")
        check = check_eligibility(applicant, platform=platform)
    assert check.degraded and not check.eligible


def test_check_is_fast_during_an_outage_and_the_breaker_opens(app, session):
    applicant = make_applicant()
    with running_fake_platform(slow_s=10) as fake:
        fake.set_mode("slow")
        platform = http_platform(fake, timeout_s=1.0, fail_max=2)
        set_platform(app, platform)
        started = monotonic()
        first = check_eligibility(applicant)
        first_elapsed = monotonic() - started
        assert first.degraded and first.eligible
        assert first_elapsed < 3.0  # timeout 1 s, budget 1.5 s: the counter waits seconds at most
        check_eligibility(applicant)  # second failure: the breaker opens
        started = monotonic()
        third = check_eligibility(applicant)
        assert monotonic() - started < 0.5  # breaker open: an immediate local answer
        assert third.degraded and "熔断" in third.platform_error
    assert session.scalar(select(func.count(CreditCheck.id))) == 3


def test_check_with_settings_platform_url(app, session):
    """``get_platform`` builds the HTTP adapter from the settings' URL."""
    applicant = make_applicant()
    with running_fake_platform() as fake:
        fake.add_record("enterprise", applicant.code, "false_commitment", "2026-03-03")
        app.config["SETTINGS"] = dataclasses.replace(
            app.config["SETTINGS"], credit_platform_url=fake.url, credit_platform_timeout_s=1.0)
        set_platform(app, None)
        check = check_eligibility(applicant)
        set_platform(app, None)
    assert check.source == CheckSource.platform and not check.eligible


def test_applicant_count_is_unchanged_by_checks(session):
    applicant = make_applicant()
    before = session.scalar(select(func.count(Applicant.id)))
    check_eligibility(applicant, platform=LocalOnlyPlatform())
    assert session.scalar(select(func.count(Applicant.id))) == before
