"""The fake credit platform for tests, adapters on it with their own circuit breakers, and
small factories for credit tests.

The server lives in ``licensing.credit.fake_platform`` (the demo runs it too); this module adds
what tests need: a context manager that starts and always stops it, and an adapter whose
breaker is private to the test, so that one test's outage never opens another test's breaker.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pybreaker

from licensing.applicants.identity import credit_code_check_char, id_number_check_char
from licensing.applicants.models import Applicant
from licensing.applicants.services import get_or_create_applicant
from licensing.credit.fake_platform import MODES, FakeCreditPlatform
from licensing.credit.models import (
    CreditRecord,
    CreditRecordStatus,
    CreditRecordType,
    CreditSource,
)
from licensing.credit.platform import HttpCreditPlatform, PlatformRejected
from licensing.extensions import db

__all__ = ["MODES", "FakeCreditPlatform", "credit_record", "enterprise_code", "http_platform",
           "id_number", "make_applicant", "running_fake_platform"]

_seq = itertools.count(1)


@contextmanager
def running_fake_platform(slow_s: float = 5.0) -> Iterator[FakeCreditPlatform]:
    """Start a fake platform on 127.0.0.1 (a free port); stop it afterwards."""
    fake = FakeCreditPlatform(slow_s=slow_s).start()
    try:
        yield fake
    finally:
        fake.stop()


def http_platform(fake_or_url: FakeCreditPlatform | str, *, timeout_s: float = 4.0,
                  retries: int = 1, fail_max: int = 3, reset_s: float = 60.0
                  ) -> HttpCreditPlatform:
    """An HTTP adapter for the fake with a fresh, private circuit breaker.

    The default timeout is for tests that expect an answer: the fake answers in milliseconds,
    but on a machine whose cores are busy with other test processes a 0.5 s budget ran out
    once (CI, 2 cores). Tests of a timeout set their own, shorter than the fake's ``slow``.
    """
    url = fake_or_url if isinstance(fake_or_url, str) else fake_or_url.url
    breaker = pybreaker.CircuitBreaker(fail_max=fail_max, reset_timeout=reset_s,
                                       exclude=[PlatformRejected], throw_new_error_on_trip=False)
    return HttpCreditPlatform(url, timeout_s=timeout_s, retries=retries, retry_pause_s=0.05,
                              breaker=breaker)


# --- factories --------------------------------------------------------------------------------


def enterprise_code(seed: int) -> str:
    """A valid unified social credit code built from a number (distinct from other factories)."""
    first17 = f"91130682CR{seed:07d}"
    return first17 + credit_code_check_char(first17)


def id_number(seed: int, birth: str = "19800101") -> str:
    """A valid resident ID number built from a number."""
    first17 = f"130682{birth}{seed % 1000:03d}"
    return first17 + id_number_check_char(first17)


def make_applicant(kind: str = "enterprise", *, seed: int | None = None,
                   name: str | None = None, phone: str | None = None) -> Applicant:
    """Register an applicant with a valid code (flushed)."""
    seed = seed if seed is not None else next(_seq)
    code = enterprise_code(seed) if kind == "enterprise" else id_number(seed)
    return get_or_create_applicant(kind, code, name or f"信用测试{seed}有限公司", phone)


def credit_record(applicant: Applicant, record_type: CreditRecordType | str, *,
                  source: CreditSource = CreditSource.local_import,
                  start_on: date = date(2025, 3, 1), repaired_on: date | None = None,
                  status: CreditRecordStatus | None = None, external_ref: str | None = None,
                  issuer: str | None = None) -> CreditRecord:
    """Add a credit record directly (flushed); repaired when ``repaired_on`` is given."""
    if status is None:
        status = CreditRecordStatus.repaired if repaired_on else CreditRecordStatus.active
    record = CreditRecord(
        applicant_id=applicant.id, source=source, record_type=CreditRecordType(record_type),
        status=status, start_on=start_on, repaired_on=repaired_on,
        repair_basis="测试修复依据" if repaired_on else None, external_ref=external_ref,
        issuer=issuer, dedupe_key=f"test:{next(_seq)}")
    db.session.add(record)
    db.session.flush()
    return record
