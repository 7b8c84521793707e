"""Credit rules without a database: the gate's assessment, risk levels, backoff, the contract."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from licensing.credit.models import CreditRecordStatus, CreditRecordType
from licensing.credit.outbox import BASE_DELAY, MAX_DELAY, backoff
from licensing.credit.platform import PlatformBadAnswer, parse_answer
from licensing.credit.services import assess, derive_risk_level, sampling_ratio

TODAY = date(2026, 11, 29)
T = CreditRecordType
S = CreditRecordStatus


def rec(record_type, status=S.active, repaired_on=None, objection=False):
    return SimpleNamespace(record_type=record_type, status=status, repaired_on=repaired_on,
                           open_objection=object() if objection else None)


# --- the gate ---------------------------------------------------------------------------------


@pytest.mark.parametrize("record_type", list(T))
@pytest.mark.parametrize("state", ["active", "repaired", "withdrawn", "objection"])
def test_assessment_for_every_kind_and_state(record_type, state):
    record = rec(record_type,
                 status=S.active if state in ("active", "objection") else S(state),
                 repaired_on=TODAY if state == "repaired" else None,
                 objection=state == "objection")
    result = assess([record])
    bars = record_type in (T.serious_dishonesty, T.false_commitment)
    assert result.eligible is not (bars and state == "active")
    assert (record in result.suspended) is (bars and state == "objection")


# --- risk levels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("records", "level"),
    [
        ([], "A"),
        ([rec(T.commitment_made), rec(T.commitment_kept)], "A"),
        ([rec(T.serious_dishonesty)], "D"),
        ([rec(T.false_commitment)], "D"),
        ([rec(T.serious_dishonesty, objection=True)], "A"),
        ([rec(T.serious_dishonesty, S.withdrawn)], "A"),
        ([rec(T.commitment_broken)], "C"),
        ([rec(T.licence_revoked)], "C"),
        ([rec(T.administrative_penalty)], "B"),
        ([rec(T.abnormal_operation)], "B"),
        ([rec(T.serious_dishonesty, S.repaired, TODAY - timedelta(days=100))], "C"),
        ([rec(T.serious_dishonesty, S.repaired, TODAY - timedelta(days=400))], "B"),
        ([rec(T.serious_dishonesty, S.repaired, TODAY - timedelta(days=1200))], "A"),
        ([rec(T.commitment_broken, S.repaired, TODAY - timedelta(days=30))], "B"),
        ([rec(T.administrative_penalty), rec(T.commitment_broken)], "C"),
        ([rec(T.commitment_broken), rec(T.false_commitment)], "D"),
    ],
)
def test_derived_risk_level(records, level):
    assert derive_risk_level(records, TODAY) == level


def test_sampling_ratios_default_outside_an_application():
    assert sampling_ratio("A") == Decimal("0.05")
    assert sampling_ratio("B") == Decimal("0.10")
    assert sampling_ratio("C") == Decimal("0.30")
    assert sampling_ratio("D") == Decimal("1.00")
    assert sampling_ratio(None) == sampling_ratio("B")


# --- outbox backoff ---------------------------------------------------------------------------


def test_backoff_grows_exponentially_with_bounded_jitter_and_a_cap():
    rng = random.Random(7)
    for attempts in range(1, 40):
        wait = backoff(attempts, rng)
        base = min(BASE_DELAY * 2 ** min(attempts - 1, 20), MAX_DELAY)
        assert base * 0.75 <= wait <= min(base * 1.25, MAX_DELAY)
        assert wait <= MAX_DELAY
    assert backoff(1, random.Random(1)) < timedelta(minutes=2)
    assert backoff(30, random.Random(1)) >= MAX_DELAY * 0.75


# --- the platform contract --------------------------------------------------------------------

CODE = "91350100M000100Y43"


def answer(**overrides):
    body = {"code": CODE, "kind": "enterprise", "name": "某公司", "risk_level": "B",
            "records": [{"id": "P1", "record_type": "serious_dishonesty",
                         "start_on": "2025-01-02", "repaired_on": None, "status": "active"}]}
    body.update(overrides)
    return body


def test_a_good_answer_is_parsed():
    parsed = parse_answer(answer(), "enterprise", CODE.lower())
    assert parsed.risk_level == "B" and parsed.name == "某公司"
    (record,) = parsed.records
    assert record.record_type == T.serious_dishonesty and record.start_on == date(2025, 1, 2)
    repaired = parse_answer(answer(records=[{"id": 9, "record_type": "false_commitment",
                                             "start_on": "2025-01-02",
                                             "repaired_on": "2025-06-01"}]), "enterprise", CODE)
    assert repaired.records[0].status == "repaired"


@pytest.mark.parametrize(
    "body",
    [
        [],
        "ok",
        answer(records=None),
        answer(records="none"),
        answer(risk_level="E"),
        answer(code="91350100M000100Y44"),
        answer(records=[{"id": "P1", "record_type": "unknown_kind", "start_on": "2025-01-02"}]),
        answer(records=[{"record_type": "serious_dishonesty", "start_on": "2025-01-02"}]),
        answer(records=[{"id": "P1", "record_type": "serious_dishonesty", "start_on": "soon"}]),
        answer(records=[{"id": "P1", "record_type": "serious_dishonesty",
                         "start_on": "2025-01-02", "status": "maybe"}]),
        answer(records=[{"id": "P1", "record_type": "serious_dishonesty",
                         "start_on": "2025-01-02", "status": "repaired"}]),
        answer(records=[{"id": "P1", "record_type": "serious_dishonesty",
                         "start_on": "2025-01-02", "repaired_on": "2024-01-01"}]),
        answer(records=["P1"]),
    ],
)
def test_a_malformed_answer_is_refused(body):
    with pytest.raises(PlatformBadAnswer):
        parse_answer(body, "enterprise", CODE)
