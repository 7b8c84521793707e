"""Publicity records (双公示): one per decision, due in 7 working days, exported by the mapping."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

import pytest
import yaml
from sqlalchemy import select

from licensing import clock
from licensing.applicants.services import get_or_create_applicant
from licensing.auth.models import Department, Role
from licensing.cases import licences, services
from licensing.cases.models import Channel, Decision, LicenceStatus, Track
from licensing.credit.platform import PlatformRejected, PlatformUnavailable
from licensing.extensions import db
from licensing.publicity import services as publicity
from licensing.publicity.mapping import DEFAULT_PATH, MappingError, load_mapping, parse_mapping
from licensing.publicity.models import PublicityEvent, PublicityRecord, PublicityStatus
from tests.case_factories import calendar_loaded, enterprise_code, id_number, published_item
from tests.factories import create_test_user, login_as

WEDNESDAY = datetime(2026, 11, 18, 10, 0, tzinfo=clock.LOCAL_TZ)


@pytest.fixture
def world(app, session):
    calendar_loaded()
    clock.set_frozen(WEDNESDAY)
    clerk = create_test_user(Role.clerk)
    approver = create_test_user(Role.approver)
    department = db.session.scalar(select(Department).where(Department.code == "xzspj"))
    department.credit_code = "11130682MB0123456X"
    version = published_item("PUB-1", validity_years=5)
    issued = []
    for kind, name, code in (("enterprise", "定州市润泽食品有限公司", enterprise_code(21)),
                             ("individual", "王小明", id_number(22))):
        who = get_or_create_applicant(kind, code, name, "13812345678",
                                      legal_representative="王建国" if kind == "enterprise"
                                      else None)
        app_ = services.start_application(version, who, Channel.counter, actor=clerk,
                                          licensed_scope="预包装食品销售")
        services.give_notice(app_)
        services.choose_track(app_, Track.general)
        services.accept_general(app_, ["M1", "M2", "M3", "M4"])
        issued.append(services.decide(app_, Decision.approve, approver).licence)
    db.session.commit()
    return issued, approver


def _records():
    return db.session.scalars(select(PublicityRecord).order_by(PublicityRecord.id)).all()


def test_each_decision_gets_one_record_due_in_seven_working_days(world):
    (runze, person), approver = world
    assert publicity.collect() == 2
    licences.cancel(person, "surrender", actor=approver)
    runze.status = LicenceStatus.revoked  # as the revocation procedure leaves it
    runze.revoked_dt = clock.utcnow()
    assert publicity.collect() == 2
    assert publicity.collect() == 0  # idempotent
    db.session.commit()
    records = _records()
    assert [r.event for r in records] == [PublicityEvent.issued, PublicityEvent.issued,
                                          PublicityEvent.cancelled, PublicityEvent.revoked]
    first = records[0]
    # Wednesday 2026-11-18 + 7 working days = Friday 2026-11-27, with its provenance
    assert first.publicity_due_on == date(2026, 11, 27)
    assert first.publicity_deadline.rule.value == "publicity_7"
    assert first.publicity_deadline.start_on == date(2026, 11, 18)
    assert first.status == PublicityStatus.pending


def test_export_follows_the_field_mapping(world, app):
    (runze, person), approver = world
    licences.cancel(person, "dissolved", actor=approver)
    publicity.collect()
    db.session.commit()
    mapping_file = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    names = [f["name"] for f in mapping_file["fields"]]
    client = app.test_client()
    login_as(client, approver)

    answer = client.get("/publicity/export.json?from=2026-11-01&to=2026-11-30")
    assert answer.status_code == 200
    body = json.loads(answer.get_data(as_text=True))
    assert [f["name"] for f in body["fields"]] == names
    records = body["records"]
    assert len(records) == 3
    assert all(list(r) == names for r in records)
    by_holder = {r["XK_XDR_MC"]: r for r in records if r["XK_WSH"].count("-") == 0}
    company = by_holder["定州市润泽食品有限公司"]
    assert company["XK_XDR_LB"] == "法人及非法人组织"
    assert company["XK_XDR_SHXYM"] == runze.holder_code
    assert company["XK_FRDB"] == "王建国"
    assert company["XK_XKWS"] == "准予行政许可决定书"
    assert company["XK_WSH"] == runze.decision_number
    assert company["XK_XKLB"] == "普通"  # the file's default
    assert company["XK_XKBH"] == runze.number
    assert company["XK_NR"] == "预包装食品销售"
    assert company["XK_JDRQ"] == "2026-11-18" and company["XK_YXQZ"] == "2026-11-18"
    assert company["XK_YXQJZ"] == "2031-11-17"
    assert company["XK_XKJG"] == "定州市行政审批局"
    assert company["XK_XKJGDM"] == "11130682MB0123456X"
    assert company["XK_ZT"] == "1"
    # a person: ID number masked, never in full; the licence now cancelled
    person_rows = [r for r in records if r["XK_XDR_LB"] == "自然人"]
    assert {r["XK_XKWS"] for r in person_rows} == {"准予行政许可决定书", "注销行政许可决定书"}
    assert all(r["XK_ZT"] == "2" for r in person_rows)
    assert person.holder_code not in json.dumps(records, ensure_ascii=False)
    assert all("*" in r["XK_XDR_ZJHM"] for r in person_rows)

    answer = client.get("/publicity/export.csv?from=2026-11-01&to=2026-11-30")
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == names and len(rows) == 4
    assert rows[1:] == [[r[n] for n in names] for r in records]


def test_a_city_adjusts_the_mapping_file(world, app, tmp_path):
    mapping_file = yaml.safe_load(DEFAULT_PATH.read_text(encoding="utf-8"))
    mapping_file["fields"] = [
        {"name": "xdrmc", "label": "行政相对人名称", "source": "holder_name"},
        {"name": "xkbh", "label": "许可编号", "source": "licence_number"},
        {"name": "sjly", "label": "数据来源", "constant": "定州市"},
    ]
    custom = tmp_path / "fields.yaml"
    custom.write_text(yaml.safe_dump(mapping_file, allow_unicode=True), encoding="utf-8")
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = settings.__class__(
        **{**settings.__dict__, "extra": {"publicity_fields": str(custom)}})
    publicity.collect()
    rows = publicity.export_rows(date(2026, 11, 1), date(2026, 11, 30))
    assert rows[0] == {"xdrmc": "定州市润泽食品有限公司", "xkbh": world[0][0].number,
                       "sjly": "定州市"}


@pytest.mark.parametrize("broken", [
    {"format_version": 2, "fields": [{"name": "a", "label": "a", "source": "holder_name"}]},
    {"format_version": 1, "fields": [{"name": "a", "label": "a", "source": "nope"}]},
    {"format_version": 1, "fields": [{"name": "a", "label": "a"}]},
    {"format_version": 1, "fields": [{"name": "a", "label": "a", "source": "scope"},
                                     {"name": "a", "label": "b", "source": "scope"}]},
])
def test_a_broken_mapping_is_refused(broken):
    with pytest.raises(MappingError):
        parse_mapping(broken)


def test_the_shipped_mapping_loads():
    mapping = load_mapping(DEFAULT_PATH)
    assert "XK_XDR_MC" in mapping.names and "XK_ZT" in mapping.names


class FakePlatform:
    configured = True

    def __init__(self, outcome):
        self.outcome = outcome
        self.pushed = []

    def push(self, message):
        self.pushed.append((message.kind, message.idempotency_key, dict(message.payload)))
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return {"receipt_id": f"r-{len(self.pushed)}"}


def test_records_go_out_through_the_outbox(world):
    publicity.collect()
    db.session.commit()
    refused = FakePlatform(PlatformRejected("字段缺失", 400))
    down = FakePlatform(PlatformUnavailable("超时"))
    up = FakePlatform(None)
    first, second = _records()
    assert publicity.deliver_pending(clock.utcnow(), platform=down, batch=1) == 0
    db.session.refresh(first)
    assert first.status == PublicityStatus.pending and first.attempts == 1
    assert first.next_attempt_dt > clock.utcnow()  # backoff
    assert publicity.deliver_pending(clock.utcnow(), platform=up) == 1  # only the second
    kind, key, payload = up.pushed[0]
    assert kind == "licensing_publicity" and key == second.idempotency_key
    assert payload["XK_XKBH"] == second.licence.number
    with clock.freeze(datetime(2026, 11, 18, 12, 0, tzinfo=clock.LOCAL_TZ)):
        assert publicity.deliver_pending(clock.utcnow(), platform=refused) == 0
    db.session.expire_all()
    assert [r.status for r in _records()] == [PublicityStatus.failed, PublicityStatus.delivered]


def test_overdue_records_show_on_the_page_and_in_the_report_query(world, app):
    _, approver = world
    publicity.collect()
    db.session.commit()
    with clock.freeze(datetime(2026, 11, 27, 18, 0, tzinfo=clock.LOCAL_TZ)):
        assert db.session.scalars(publicity.overdue()).all() == []  # due today
    with clock.freeze(datetime(2026, 11, 30, 9, 0, tzinfo=clock.LOCAL_TZ)):
        assert len(db.session.scalars(publicity.overdue()).all()) == 2
        client = app.test_client()
        login_as(client, approver)
        page = client.get("/publicity").get_data(as_text=True)
        assert "逾期未公示（2）" in page


def test_overdue_records_count_in_the_monthly_report(world):
    from licensing.reports.periods import Period
    from licensing.reports.services import build_monthly_report

    publicity.collect()
    db.session.commit()
    up = FakePlatform(None)
    with clock.freeze(datetime(2026, 11, 30, 9, 0, tzinfo=clock.LOCAL_TZ)):
        publicity.deliver_pending(clock.utcnow(), platform=up, batch=1)  # late, on the 30th
        report = build_monthly_report(Period(2026, 11))
    figures = report.totals
    assert figures["publicity_late"] == 1
    assert figures["publicity_overdue"] == 1
