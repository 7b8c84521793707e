"""The credit demo data: the codes the README lists, the verdicts it promises, idempotency."""

from __future__ import annotations

from sqlalchemy import func, select

from licensing.applicants.models import Applicant
from licensing.auth.demo import load_departments_and_users
from licensing.credit import demo
from licensing.credit.models import CreditObjection, CreditRecord, OutboxMessage
from licensing.credit.platform import LocalOnlyPlatform
from licensing.credit.services import check_eligibility
from licensing.extensions import db
from tests.credit_fake_platform import http_platform, running_fake_platform

EXPECTED = {  # code: (eligible on the local registry, risk level)
    demo.HENGTONG: (False, "D"),
    demo.RUNZE: (True, "B"),
    demo.ZHANG: (True, "A"),
    demo.LI: (False, "D"),
    demo.SHILI: (True, "A"),
    demo.XINDA: (True, "C"),
}


def _load() -> None:
    load_departments_and_users()
    db.session.commit()
    demo.load_credit_demo()
    db.session.commit()


def _counts():
    return tuple(db.session.scalar(select(func.count(model.id)))
                 for model in (Applicant, CreditRecord, CreditObjection, OutboxMessage))


def test_demo_applicants_get_the_promised_verdicts_and_loading_twice_changes_nothing(session):
    _load()
    first = _counts()
    _load()
    assert _counts() == first
    for code, (eligible, level) in EXPECTED.items():
        applicant = session.scalar(select(Applicant).where(Applicant.code == code))
        check = check_eligibility(applicant, platform=LocalOnlyPlatform())
        assert (check.eligible, applicant.risk_level) == (eligible, level), code
    shili = session.scalar(select(Applicant).where(Applicant.code == demo.SHILI))
    assert shili.user_id is not None


def test_fake_platform_demo_data_bars_xinda(session):
    _load()
    xinda = session.scalar(select(Applicant).where(Applicant.code == demo.XINDA))
    with running_fake_platform() as fake:
        demo.seed_fake_platform(fake)
        check = check_eligibility(xinda, platform=http_platform(fake))
    assert check.source.value == "platform" and not check.eligible
    assert "平台" in check.reasons[0]
