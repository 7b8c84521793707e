"""Factories for catalogue tests: item content with traits, drafts, published items, the demo."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date

import sqlalchemy as sa

from licensing.auth.models import Department
from licensing.catalogue.content import MaterialContent, VersionContent
from licensing.catalogue.demo import DEMO_FILE, POLICY_START_ON
from licensing.catalogue.importer import import_catalogue
from licensing.catalogue.models import (
    ApplicantKind,
    CommitmentMode,
    Exclusion,
    ItemVersion,
    MovedCheck,
    Track,
    VerificationMethod,
    VerificationRule,
)
from licensing.catalogue.services import create_item, exclusion_answers, publish_version
from licensing.extensions import db
from tests import dbclean
from tests.factories import departments

_seq = itertools.count(1)

LETTER = (
    "{{ item_name }}告知承诺书\n"
    "申请人：{{ applicant_name }}（{{ applicant_code }}）\n"
    "许可条件：{{ commitment_conditions }}\n"
    "{{ approval_department_name }}已一次性告知。本申请人承诺：\n"
    "{{ commitments }}\n"
    "违反承诺的后果：{{ breach_consequences }}\n"
    "签署人：{{ signer }}\n"
    "{{ date }}"
)

MATERIALS = (
    MaterialContent("M1", "申请书", True, ()),
    MaterialContent("M2", "场所平面布局图", True, (CommitmentMode.supplement,), 20),
    MaterialContent("M3", "从业人员健康证明", True, (CommitmentMode.substitute,)),
    MaterialContent("M4", "卫生管理制度", True,
                    (CommitmentMode.exempt_review, CommitmentMode.substitute),
                    paper_at_counter=True),
)


def content(*, general_only: bool = False, public_interest: bool = False,
            excluded: tuple[Exclusion, ...] = (), **overrides) -> VersionContent:
    """Complete, publishable content of a commitment item; traits change the usual cases."""
    values = dict(
        name="公共场所卫生许可（测试）",
        approval_department="xzspj",
        supervisory_department="wsjkj",
        legal_basis="《公共场所卫生管理条例》第四条",
        applicant_kinds=(ApplicantKind.enterprise, ApplicantKind.individual),
        tracks=(Track.general, Track.commitment),
        statutory_limit_days=20,
        promised_limit_days=5,
        verification_rule=VerificationRule.standard,
        verification_working_days=60,
        verification_method=VerificationMethod.on_site,
        verification_checklist=("核对经营场所", "查验卫生设施"),
        moved_checks=(MovedCheck.site_survey,),
        supervision_measures="纳入双随机一公开抽查。",
        commitment_conditions="具备与经营规模相适应的场所和设施。",
        commitment_content="所提交材料真实有效，场所符合卫生标准。",
        breach_consequences="责令限期整改；逾期不改的撤销许可，记入信用记录。",
        letter_template=LETTER,
        qualification_reasons="风险可控、纠错成本低，不会产生严重危害后果。",
        list_approval_document="定政办字〔2022〕96号",
        letter_template_source="河北省卫生健康委员会公共场所卫生许可告知承诺书（示范文本）",
        materials=MATERIALS,
    )
    if public_interest:
        values.update(verification_rule=VerificationRule.public_interest,
                      verification_working_days=7)
    if general_only:
        values.update(tracks=(Track.general,), letter_template="", commitment_conditions="",
                      qualification_reasons="", list_approval_document="",
                      letter_template_source="",
                      commitment_content="", breach_consequences="",
                      materials=tuple(dataclasses.replace(m, modes=(), supplement_days=None)
                                      for m in MATERIALS))
    if excluded:
        values["exclusions"] = excluded
    values.update(overrides)
    return VersionContent(**values)


def next_code() -> str:
    """A fresh item code."""
    return f"T-CAT-{next(_seq):03d}"


def draft_item(code: str | None = None, **content_overrides) -> ItemVersion:
    """Create an item whose version 1 is a draft; commit."""
    departments()
    version = create_item(code or next_code(), content(**content_overrides))
    db.session.commit()
    return version


def answered(version: ItemVersion) -> dict[str, bool]:
    """The publisher's yes/no to every exclusion ground: yes to those the draft records."""
    return exclusion_answers(version.exclusions)


def published_item(code: str | None = None, valid_from: date = date(2022, 12, 1),
                   **content_overrides) -> ItemVersion:
    """Create an item and publish version 1 from ``valid_from``; commit."""
    version = draft_item(code, **content_overrides)
    publish_version(version, valid_from, exclusion_check=answered(version))
    db.session.commit()
    return version


def demo_catalogue() -> None:
    """Load the demo departments and the demo catalogue (published from 2022-12-01); commit.

    The import runs once per database; a later call on empty catalogue tables puts the same
    rows back in bulk (``tests.dbclean.replayed``), on the same departments.
    """
    departments()
    db.session.commit()

    def build() -> None:
        import_catalogue(DEMO_FILE.read_bytes(), publish=True,
                         exclusions_confirmed=True, valid_from_on=POLICY_START_ON)
        db.session.commit()

    kept = tuple(db.session.execute(sa.select(Department.id, Department.code)
                                    .order_by(Department.id)))
    dbclean.replayed(db.session, ("demo catalogue", kept), build)
