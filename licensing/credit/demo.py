"""Demo applicants with credit records, and the data the fake platform serves for the demo.

Every code below carries a valid check character (GB 32100 / GB 11643); the README lists them.

* 91130682MA0CHT7K84 定州市恒通建材有限公司: serious dishonesty, not repaired → ineligible (D)
* 91130682MA0E6LX183 定州市润泽食品有限公司: serious dishonesty, repaired → eligible (B)
* 13068219850715431X 张建国: false commitment under objection → eligible (A)
* 130682199203082622 李秀兰: false commitment, not repaired → ineligible (D)
* 91130682MA0FQW3N7R 定州市示例餐饮有限公司: clean, a commitment kept; the demo user
  ``applicant`` acts for it → eligible (A)
* 91130682MA0GB8PU81 定州市鑫达运输有限公司: broken commitment → eligible (C); the fake
  platform also lists a serious dishonesty → ineligible when CREDIT_PLATFORM_URL points at it
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from licensing.applicants.identity import ApplicantKind
from licensing.applicants.services import get_or_create_applicant, link_user
from licensing.auth.models import User
from licensing.clock import local_today
from licensing.credit.importer import ImportRow, import_rows
from licensing.credit.models import CreditObjection, CreditRecord, CreditRecordType
from licensing.credit.services import (
    current_risk_level,
    file_objection,
    record_commitment_event,
)
from licensing.demo import demo_loader
from licensing.extensions import db

E, P = ApplicantKind.enterprise, ApplicantKind.individual
T = CreditRecordType

HENGTONG = "91130682MA0CHT7K84"  # unrepaired serious dishonesty: ineligible
RUNZE = "91130682MA0E6LX183"  # repaired serious dishonesty: eligible
ZHANG = "13068219850715431X"  # false commitment under objection: eligible
LI = "130682199203082622"  # unrepaired false commitment: ineligible (a person)
SHILI = "91130682MA0FQW3N7R"  # clean; the demo user "applicant" acts for it
XINDA = "91130682MA0GB8PU81"  # broken commitment locally; serious dishonesty on the platform

APPLICANTS = [
    (E, HENGTONG, "定州市恒通建材有限公司", "0312-2345678"),
    (E, RUNZE, "定州市润泽食品有限公司", "13930261234"),
    (P, ZHANG, "张建国", "13803125678"),
    (P, LI, "李秀兰", "15832109876"),
    (E, SHILI, "定州市示例餐饮有限公司", "13700312468"),
    (E, XINDA, "定州市鑫达运输有限公司", "0312-2567890"),
]


def _ago(days: int) -> date:
    """A date ``days`` before today: the demo's history stays coherent on any day it loads."""
    return local_today() - timedelta(days=days)


def demo_records() -> list[ImportRow]:
    """The local dishonesty list of the demo, dated relative to today."""
    return [
        ImportRow(line=0, kind=E, code=HENGTONG, name="定州市恒通建材有限公司",
                  record_type=T.serious_dishonesty, start_on=_ago(540),
                  external_ref="HB-YZSX-2025-0612", issuer="定州市市场监督管理局",
                  source_note="列入严重违法失信名单（拒不履行行政处罚决定）"),
        ImportRow(line=0, kind=E, code=RUNZE, name="定州市润泽食品有限公司",
                  record_type=T.serious_dishonesty, start_on=_ago(1000),
                  repaired_on=_ago(420), repair_basis="信用修复决定书 冀信修〔2025〕0917号",
                  external_ref="HB-YZSX-2024-0301", issuer="定州市市场监督管理局",
                  source_note="食品安全严重违法失信"),
        ImportRow(line=0, kind=P, code=ZHANG, name="张建国", record_type=T.false_commitment,
                  start_on=_ago(200), external_ref="DZ-XJCN-2026-0031",
                  issuer="定州市卫生健康局", source_note="公共场所卫生许可承诺内容不实"),
        ImportRow(line=0, kind=P, code=LI, name="李秀兰", record_type=T.false_commitment,
                  start_on=_ago(280), external_ref="DZ-XJCN-2026-0008",
                  issuer="定州市市场监督管理局", source_note="食品经营许可承诺内容不实"),
        ImportRow(line=0, kind=E, code=XINDA, name="定州市鑫达运输有限公司",
                  record_type=T.commitment_broken, start_on=_ago(120),
                  external_ref="DZ-WN-2026-0112", issuer="定州市交通运输局",
                  source_note="承诺限期补齐的材料逾期未提交"),
    ]


@demo_loader(order=40)
def load_credit_demo() -> None:
    """Create the demo applicants and their credit records (idempotent)."""
    applicants = {}
    for kind, code, name, phone in APPLICANTS:
        applicants[code] = get_or_create_applicant(kind, code, name, phone)
    import_rows(demo_records(), source_name="demo", digest="demo", progress=False)

    disputed = db.session.scalar(select(CreditRecord).where(
        CreditRecord.applicant_id == applicants[ZHANG].id,
        CreditRecord.record_type == T.false_commitment))
    if disputed is not None and db.session.scalar(select(CreditObjection.id).where(
            CreditObjection.record_id == disputed.id)) is None:
        filed_on = max(disputed.start_on, local_today() - timedelta(days=5))
        file_objection(disputed, "申请人提交了补正后的卫生检测报告，认为认定承诺不实所依据的"
                       "检测报告系检测机构出具错误，申请撤销该记录。", filed_on=filed_on)

    shili = applicants[SHILI]
    user = db.session.scalar(select(User).where(User.username == "applicant"))
    if user is not None:
        link_user(shili, user)
    record_commitment_event(shili, "commitment_made", ref="demo:commitment:2026-001",
                            payload={"item": "公共场所卫生许可", "note": "演示数据"},
                            occurred_on=_ago(150))
    record_commitment_event(shili, "commitment_kept", ref="demo:commitment:2026-001",
                            payload={"item": "公共场所卫生许可", "note": "演示数据"},
                            occurred_on=_ago(80))
    for applicant in applicants.values():
        current_risk_level(applicant)


def seed_fake_platform(fake) -> None:
    """Give the fake platform the demo subjects, as the provincial platform would know them."""
    fake.add_subject("enterprise", HENGTONG, "定州市恒通建材有限公司", risk_level="D")
    fake.add_record("enterprise", HENGTONG, "serious_dishonesty", _ago(540).isoformat(),
                    record_id="HB-YZSX-2025-0612", issuer="定州市市场监督管理局",
                    summary="列入严重违法失信名单（拒不履行行政处罚决定）")
    fake.add_subject("enterprise", RUNZE, "定州市润泽食品有限公司", risk_level="B")
    fake.add_record("enterprise", RUNZE, "serious_dishonesty", _ago(1000).isoformat(),
                    record_id="HB-YZSX-2024-0301", repaired_on=_ago(420).isoformat(),
                    issuer="定州市市场监督管理局", summary="食品安全严重违法失信")
    fake.add_subject("enterprise", SHILI, "定州市示例餐饮有限公司", risk_level="A")
    fake.add_subject("enterprise", XINDA, "定州市鑫达运输有限公司", risk_level="D")
    fake.add_record("enterprise", XINDA, "serious_dishonesty", _ago(50).isoformat(),
                    record_id="HB-YZSX-2026-1009", issuer="河北省交通运输厅",
                    summary="道路运输严重失信（平台记录，本地名单尚未导入）")
