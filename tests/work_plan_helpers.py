"""Helpers for the work-plan conformance tests (issue 15): an in-memory credit platform and
the two journeys to a licence."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from licensing.applicants.models import ApplicantKind
from licensing.auth.models import Role
from licensing.cases import services as cases
from licensing.cases.models import Channel, Decision, Track
from licensing.credit.models import CreditRecordType
from licensing.credit.platform import PlatformAnswer, PlatformRecord, PlatformUnavailable
from tests.factories import create_test_user

COMMIT_MODES = {"M1": None, "M2": "supplement", "M3": "substitute", "M4": "exempt_review"}


class MemoryPlatform:
    """A configured credit platform held in memory; ``down`` makes every call fail."""

    configured = True

    def __init__(self) -> None:
        self.subjects: dict[str, tuple[str | None, list[PlatformRecord]]] = {}
        self.down = False
        self.queries = 0
        self.pushed: list[tuple[str, str, dict]] = []

    def add(self, code: str, *records: tuple[CreditRecordType, date],
            risk_level: str | None = None) -> None:
        """Give the subject ``code`` these records (type, start date)."""
        self.subjects[code] = (risk_level, [
            PlatformRecord(external_ref=f"{code}-{n}", record_type=kind, start_on=start)
            for n, (kind, start) in enumerate(records, start=1)])

    def query(self, kind, code: str) -> PlatformAnswer:
        self.queries += 1
        if self.down:
            raise PlatformUnavailable("平台无应答（测试）")
        level, records = self.subjects.get(code, (None, []))
        return PlatformAnswer(kind=ApplicantKind(kind), code=code, name=None, risk_level=level,
                              records=tuple(records), raw={"code": code})

    def push(self, message) -> dict:
        if self.down:
            raise PlatformUnavailable("平台无应答（测试）")
        self.pushed.append((str(message.kind.value if hasattr(message.kind, "value")
                                 else message.kind), message.idempotency_key,
                            dict(message.payload)))
        return {"receipt": message.idempotency_key}


def staff():
    """A clerk and an approver of the approval department."""
    return create_test_user(Role.clerk), create_test_user(Role.approver)


def licensed(version, applicant, track: Track, *, clerk, approver, signer: dict | None = None):
    """Take ``applicant`` through ``track`` to an approved licence; return the application."""
    application = cases.start_application(version, applicant, Channel.counter, actor=clerk)
    cases.give_notice(application)
    cases.require_eligible(cases.choose_track(application, track))
    if track == Track.commitment:
        cases.set_commitments(application, COMMIT_MODES)
        text = cases.letter_text(application)
        cases.sign_letter(application, "张三", cases.letter_digest(text), Channel.counter,
                          **(signer or {}))
    else:
        cases.accept_general(application, ["M1", "M2", "M3", "M4"])
    cases.decide(application, Decision.approve, approver)
    return application


def codes(items: Iterable) -> list[str]:
    """The codes of applicants."""
    return [a.code for a in items]
