"""Factories for the case journey: a published item, an applicant, a loaded calendar."""

from __future__ import annotations

import itertools
from datetime import date

from licensing.applicants.identity import credit_code_check_char, id_number_check_char
from licensing.applicants.services import get_or_create_applicant
from licensing.calendar.services import sync_official_data
from licensing.catalogue.content import MaterialContent, VersionContent
from licensing.catalogue.models import (
    ApplicantKind,
    CommitmentMode,
    MovedCheck,
    Track,
    VerificationRule,
)
from licensing.catalogue.services import create_item, publish_version
from licensing.clock import local_today
from licensing.extensions import db
from tests import dbclean
from tests.catalogue_factories import answered
from tests.dbclean import reference
from tests.factories import departments

_seq = itertools.count(1)

LETTER = """告知承诺书
申请人：{{ applicant_name }}（{{ applicant_code }}）
申请事项：{{ item_name }}
{{ approval_department_name }}已一次性告知许可条件和材料要求。
许可条件：{{ commitment_conditions }}
本人（单位）承诺：
{{ commitments }}
所填写信息及提交材料真实有效；如有虚假承诺，自愿承担被撤销许可和纳入信用记录的后果。
违反承诺的后果：{{ breach_consequences }}
签署人：{{ signer }}
{{ date }}
"""


_calendar_rows: dict[str, dbclean.KeptRows] = {}


def forget_calendar_snapshots() -> None:
    """Forget the calendars kept for reloading (the suite moved to another date)."""
    _calendar_rows.clear()
    dbclean.forget_replays()


def synced_calendar(today: date | None = None) -> None:
    """What ``sync_official_data(today)`` writes on a database without calendar, committed.

    The first call per database runs the real sync; a later one on empty tables puts the
    same rows (calendar and audit entries) back in bulk (``tests.dbclean.replayed``).
    """
    def build() -> None:
        sync_official_data(today)
        db.session.commit()

    dbclean.replayed(db.session, ("calendar sync", today), build)


def calendar_loaded() -> None:
    """Load the official working-day calendar: reference data, kept between tests.

    The first load per database runs the real sync; a later one (after a test wrote to the
    calendar and it was emptied) puts the same rows back in bulk (``tests.dbclean.reference``).
    """
    from licensing.calendar import models as calendar_models

    tables = [m.__table__ for m in (calendar_models.CalendarVersion,
                                    calendar_models.CalendarNotice,
                                    calendar_models.CalendarYear,
                                    calendar_models.CalendarDay)]

    def load() -> None:
        key = str(db.engine.url)
        kept = _calendar_rows.get(key)
        if db.session.execute(tables[0].select().limit(1)).first() is not None:
            return
        if kept is None:
            sync_official_data()
            db.session.commit()
            _calendar_rows[key] = dbclean.KeptRows(db.session, [t.name for t in tables])
            return
        kept.put_back(db.session)
        db.session.commit()

    reference(db.engine, "calendar", [t.name for t in tables], load)


def enterprise_code(seed: int) -> str:
    """A valid unified social credit code built from a number."""
    first17 = f"91130682MA{seed:07d}"[:17]
    return first17 + credit_code_check_char(first17)


def id_number(seed: int, birth: str = "19850315") -> str:
    """A valid resident ID number built from a number."""
    first17 = f"130682{birth}{seed % 1000:03d}"
    return first17 + id_number_check_char(first17)


def applicant(kind: str = "enterprise", name: str | None = None, seed: int | None = None,
              phone: str | None = "13812345678"):
    """Register an applicant with a valid code."""
    seed = seed if seed is not None else next(_seq)
    code = enterprise_code(seed) if kind == "enterprise" else id_number(seed)
    return get_or_create_applicant(kind, code, name or f"测试申请人{seed}有限公司", phone)


def published_item(
    code: str | None = None,
    *,
    rule: VerificationRule = VerificationRule.standard,
    working_days: int = 60,
    supervisory: str = "wsjkj",
    tracks=(Track.general, Track.commitment),
    valid_from: date | None = None,
    statutory_limit_days: int = 20,
    validity_years: int | None = None,
):
    """Create and publish an item with four materials covering every mode."""
    departments()
    code = code or f"T-{next(_seq):03d}"
    content = VersionContent(
        name=f"测试许可事项{code}",
        approval_department="xzspj",
        supervisory_department=supervisory,
        legal_basis="《测试条例》第八条",
        applicant_kinds=(ApplicantKind.enterprise, ApplicantKind.individual),
        tracks=tuple(tracks),
        statutory_limit_days=statutory_limit_days,
        promised_limit_days=min(5, statutory_limit_days),
        verification_rule=rule,
        verification_working_days=working_days,
        verification_basis="" if rule == VerificationRule.standard else "涉及公共利益",
        verification_checklist=("核对经营场所", "核对从业人员"),
        moved_checks=(MovedCheck.site_survey,),
        supervision_measures="双随机一公开抽查。",
        commitment_conditions="具备经营场所。",
        commitment_content="所提交材料真实有效。",
        breach_consequences="撤销许可，纳入信用记录。",
        letter_template=LETTER if Track.commitment in tracks else "",
        licence_validity_years=validity_years,
        qualification_reasons="风险可控、纠错成本低，不会产生严重危害后果。",
        list_approval_document="定政办字〔2022〕96号",
        letter_template_source="河北省测试告知承诺书（示范文本）",
        materials=(
            MaterialContent("M1", "申请书", True, ()),
            MaterialContent("M2", "场所平面图", True, (CommitmentMode.supplement,), 20),
            MaterialContent("M3", "从业人员健康证明", True, (CommitmentMode.substitute,)),
            MaterialContent("M4", "卫生管理制度", True,
                            (CommitmentMode.exempt_review, CommitmentMode.substitute)),
        ),
    )
    version = create_item(code, content)
    publish_version(version, valid_from or local_today(), exclusion_check=answered(version))
    db.session.commit()
    return version
