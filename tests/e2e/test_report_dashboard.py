"""The reform office's city dashboard, the monthly report and a head's deadlines, in Chromium.

The server is this module's own: the demo data plus a year of case history written straight
into the tables (``_history``): a growing share of commitment-track applications, checks
mostly on time, some late pushes, breaches with rectifications and revocations, and a few
months already finalised, so the charts have something to show. Screenshots go to
test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from licensing import create_app
from licensing.demo import load_all
from licensing.extensions import db
from tests.conftest import make_settings
from tests.e2e.conftest import login, screenshot

DESKTOP = {"width": 1280, "height": 900}


def _instant(day: date, minutes: int) -> datetime:
    from licensing.clock import LOCAL_TZ

    return (datetime.combine(day, time(8, 30), tzinfo=LOCAL_TZ)
            + timedelta(minutes=minutes)).astimezone(UTC)


def _deadline(prefix: str, rule, start: date, days: int | None, event: str) -> dict:
    from licensing.calendar.models import DEADLINE_FIELDS
    from licensing.calendar.services import compute_deadline

    deadline = compute_deadline(rule, start_on=start, working_days=days, start_event=event)
    return {f"{prefix}_{name}": getattr(deadline, name) for name in DEADLINE_FIELDS}


def _history(today: date, cases: int = 1600, seed: int = 20261) -> None:
    """Write a year of cases ending yesterday, through bulk inserts (no services)."""
    from licensing.applicants.models import Applicant
    from licensing.auth.models import User
    from licensing.calendar.deadlines import DeadlineRule
    from licensing.cases.models import Application, Licence
    from licensing.catalogue.models import ItemVersion, VersionStatus
    from licensing.credit.models import OutboxMessage
    from licensing.enforcement.models import RevocationCase
    from licensing.supervision.models import RectificationOrder, VerificationTask
    from tests.case_factories import enterprise_code

    rnd = random.Random(seed)
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    approver, inspector = users["approver"].id, users["inspector"].id
    versions = [v for v in db.session.scalars(sa.select(ItemVersion).where(
        ItemVersion.status == VersionStatus.published)) if v.offers_commitment]
    db.session.execute(sa.insert(Applicant), [
        {"kind": "enterprise", "code": enterprise_code(70000 + i),
         "name": f"定州市示例{i}商贸有限公司"} for i in range(400)])
    applicant_ids = list(db.session.scalars(sa.select(Applicant.id)))
    base_id = (db.session.scalar(sa.select(sa.func.max(Application.id))) or 0) + 1
    start = today - timedelta(days=364)
    apps, licences, tasks, orders, revocations, outbox = [], [], [], [], [], []
    for n in range(cases):
        # more cases, and more of them on the commitment track, as the reform takes hold
        progress = rnd.random() ** 0.8
        day = start + timedelta(days=int(progress * 363))
        if day.weekday() >= 5:
            day -= timedelta(days=day.weekday() - 4)
        moment = _instant(day, rnd.randrange(0, 480))
        # the demo head's department (市卫生健康局) gets a larger share, for its dashboard
        version = rnd.choice(versions + [v for v in versions
                                         if v.supervisory_department.code == "wsjkj"] * 4)
        app_id = base_id + n
        kind = rnd.random()
        commitment = kind < 0.45 + 0.35 * progress
        refused = not commitment and kind > 0.97
        row = {"id": app_id, "public_id": f"hist{app_id}", "item_version_id": version.id,
               "approval_department_id": version.approval_department_id,
               "supervisory_department_id": version.supervisory_department_id,
               "applicant_id": rnd.choice(applicant_ids), "channel": rnd.choice(
                   ["counter", "online"]), "created_dt": moment, "notice_given_dt": moment,
               "credit_ineligible": refused}
        if refused:
            apps.append({**row, "track": None, "status": "draft"})
            continue
        decided_on = day if commitment else day + timedelta(days=rnd.randrange(5, 18))
        if decided_on >= today:
            apps.append({**row, "track": "commitment" if commitment else "general",
                         "status": "submitted" if commitment else "accepted",
                         "submitted_dt": moment, "accepted_on": None if commitment else day})
            continue
        decided_dt = _instant(decided_on, rnd.randrange(0, 480))
        apps.append({**row, "track": "commitment" if commitment else "general",
                     "status": "approved", "submitted_dt": moment,
                     "accepted_on": None if commitment else day, "decision": "approve",
                     "decided_dt": decided_dt, "decided_on": decided_on,
                     "decided_by_id": approver})
        licences.append({"id": app_id, "number": f"XZSPJ-H-{app_id:06d}",
                         "application_id": app_id,
                         "approval_department_id": version.approval_department_id,
                         "year": decided_on.year, "seq": 900000 + app_id,
                         "item_version_id": version.id, "applicant_id": row["applicant_id"],
                         "issued_on": decided_on, "issued_dt": decided_dt,
                         "verify_token": f"hist-{app_id}"})
        if not commitment:
            continue
        outbox.append({"kind": "commitment_made", "idempotency_key": f"hist:{app_id}",
                       "payload": {}, "applicant_id": row["applicant_id"],
                       "status": "delivered" if decided_on < today - timedelta(days=2)
                       else "pending", "attempts": 1, "next_attempt_dt": decided_dt,
                       "created_dt": decided_dt,
                       "delivered_dt": decided_dt + timedelta(minutes=1)
                       if decided_on < today - timedelta(days=2) else None})
        rule = version.verification_rule.value
        days = version.verification_working_days
        deadline_rule = {"standard": DeadlineRule.standard_60,
                         "public_interest": DeadlineRule.public_interest_7}.get(
                             rule, DeadlineRule.item_specific)
        task = {"id": app_id, "licence_id": app_id, "application_id": app_id,
                "supervisory_department_id": version.supervisory_department_id,
                "approval_department_id": version.approval_department_id,
                "item_version_id": version.id, "status": "open", "moved_checks": [],
                "created_dt": decided_dt, "pushed_late": False,
                "assigned_to_id": inspector if version.supervisory_department.code == "wsjkj"
                and rnd.random() < 0.7 else None,
                **_deadline("verification", deadline_rule, decided_on,
                            days if deadline_rule == DeadlineRule.item_specific else None,
                            "licence_issued")}
        tasks.append(task)
        due_on = task["verification_due_on"]
        span = (due_on - decided_on).days
        on_time = rnd.random() < 0.82 + 0.15 * progress
        checked_on = (decided_on + timedelta(days=rnd.randrange(1, max(span, 2))) if on_time
                      else due_on + timedelta(days=rnd.randrange(1, 20)))
        if checked_on >= today or rnd.random() < 0.02:  # not yet, or forgotten
            continue
        nonconform = rnd.random() < 0.05
        task.update({"status": "checked", "outcome": "nonconform" if nonconform else "conform",
                     "checked_on": checked_on, "checked_by_id": inspector,
                     "findings": "经营场所与承诺不符" if nonconform else None,
                     "result_recorded_dt": _instant(checked_on, 300),
                     **_deadline("result_push", DeadlineRule.result_push_5, checked_on, None,
                                 "verification_checked")})
        late = rnd.random() < 0.12 - 0.08 * progress
        pushed_on = (task["result_push_due_on"] + timedelta(days=rnd.randrange(1, 4)) if late
                     else checked_on + timedelta(days=rnd.randrange(0, 3)))
        if pushed_on >= today:
            continue
        pushed_dt = _instant(pushed_on, 420)
        task.update({"pushed_dt": pushed_dt, "pushed_by_id": inspector,
                     "pushed_late": pushed_on > task["result_push_due_on"]})
        if not nonconform:
            task.update({"status": "closed", "closed_dt": pushed_dt})
            continue
        task["status"] = "breach"
        ordered_on = pushed_on + timedelta(days=2)
        if ordered_on + timedelta(days=20) >= today:
            continue
        rectified = rnd.random() < 0.7
        outcome_dt = _instant(ordered_on + timedelta(days=15), 120)
        orders.append({"task_id": app_id, "status": "rectified" if rectified else "failed",
                       "requirements": "限期整改", "ordered_on": ordered_on,
                       "ordered_dt": _instant(ordered_on, 60), "ordered_by_id": inspector,
                       "outcome_note": None if rectified else "逾期未整改",
                       "outcome_recorded_dt": outcome_dt, "outcome_by_id": inspector,
                       **_deadline("rectification", DeadlineRule.rectification, ordered_on, 10,
                                   "rectification_ordered")})
        if rectified:
            task.update({"status": "closed", "closed_dt": outcome_dt})
            continue
        revoked_on = ordered_on + timedelta(days=18)
        revoked_dt = _instant(revoked_on, 200)
        task.update({"status": "revoked", "closed_dt": revoked_dt})
        if rnd.random() < 0.4:
            task.update({"judicial_transfer_ref": f"定公移〔{revoked_on.year}〕{app_id}号",
                         "judicial_transferred_on": revoked_on})
        licences[-1].update({"status": "revoked", "revoked_dt": revoked_dt})
        revocations.append({
            "licence_id": app_id, "application_id": app_id,
            "approval_department_id": version.approval_department_id,
            "supervisory_department_id": version.supervisory_department_id,
            "origin": "supervision_breach", "task_id": app_id, "status": "revoked",
            "request_reason": "逾期未整改", "requested_dt": outcome_dt,
            "decision_reason": "逾期未整改，依法撤销",
            "legal_basis": "《中华人民共和国行政许可法》第六十九条",
            "decided_by_id": approver, "decided_dt": revoked_dt, "decided_on": revoked_on,
            "letter_number": f"定审撤〔{revoked_on.year}〕{app_id}号",
            "served_on": revoked_on, "service_method": "direct", "service_receipt": "签收"})
    for model, rows in ((Application, apps), (Licence, licences), (VerificationTask, tasks),
                        (RectificationOrder, orders), (RevocationCase, revocations),
                        (OutboxMessage, outbox)):
        columns = {c.key for c in model.__table__.columns}
        if rows:
            keys = sorted({k for r in rows for k in r} & columns)
            db.session.execute(sa.insert(model), [{k: r.get(k) for k in keys} for r in rows])
    db.session.commit()


@pytest.fixture(scope="module")
def report_server(tmp_path_factory, suite_date) -> Iterator[str]:
    """Serve the demo data with a year of history; three past months finalised.

    Built on the test date (``suite_date``), again on each date of ``--test-dates``.
    """
    from licensing.auth.models import User
    from licensing.clock import local_today
    from licensing.reports.periods import Period
    from licensing.reports.services import finalise_report, save_draft

    tmp = tmp_path_factory.mktemp("reports")
    app = create_app(make_settings(f"sqlite:///{tmp / 'live.db'}", tmp, csrf_enabled=True))
    with app.app_context():
        db.create_all()
        load_all()
        from licensing.calendar.services import sync_official_data

        sync_official_data()
        db.session.commit()
        today = local_today()
        _history(today)
        reform = db.session.scalar(sa.select(User).where(User.username == "reform"))
        current = Period.of(today)
        for back in (4, 3, 2):
            finalise_report(current.shift(-back), actor=reform)
        save_draft(current.previous())
        db.session.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def desktop(browser, report_server):
    context = browser.new_context(base_url=report_server, locale="zh-CN", viewport=DESKTOP)
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: list[str] = []
    # (the browser's own request for /favicon.ico answers 404: not a problem of these pages)
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text else None)
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    yield page
    context.close()


def _last_twelve_months(today: date):
    from licensing.reports.periods import Period

    current = Period.of(today)
    return [current.shift(-back) for back in range(11, -1, -1)]


def test_reform_office_city_dashboard(desktop):
    from licensing.clock import local_today

    page = desktop
    login(page, "reform", "demo-reform-2026")
    page.wait_for_url("**/")
    assert "改革工作进展" in page.locator("main").inner_text()  # the home panel
    page.get_by_role("link", name="报表", exact=True).click()
    page.wait_for_url("**/reports/city")
    assert page.locator("h1").inner_text() == "全市告知承诺制工作看板"
    charts = page.locator("figure.chart svg[role=img]")
    assert charts.count() == 5
    for i in range(charts.count()):
        box = charts.nth(i).bounding_box()
        assert box["width"] > 300 and box["height"] > 30
    # 12 months, each with a column slot and an axis label, the current month drawn lighter
    # (and marked *). The history has commitment applications in every month before the
    # current one; the current month may have none yet (on the 1st, say), so no segment.
    trend = page.locator("#chart-applications")
    axis = [t.strip() for t in trend.locator("text.axis").all_text_contents()]
    months = _last_twelve_months(local_today())
    assert axis == [m.short_label for m in months[:-1]] + [months[-1].short_label + "*"]
    bar_titles = trend.locator("rect.bar.s-commitment title").all_text_contents()
    months_with_commitment = {t.split(" ")[0] for t in bar_titles}
    assert {m.short_label for m in months[:-1]} <= months_with_commitment
    assert len(months_with_commitment) in (11, 12)
    partial = trend.locator("rect.bar.partial title").all_text_contents()
    assert all(t.startswith(months[-1].short_label + " ") for t in partial), partial
    assert trend.locator("rect.bar:not(.partial)").count() >= 11
    assert page.locator("#chart-on-time circle.dot").count() >= 10
    assert page.locator("#chart-departments rect.bar.s-ontime").count() >= 5
    assert page.locator(".kpi").count() == 8
    assert "定稿" in page.locator("table.report-table").first.inner_text()
    # a tooltip names the month and the series
    title = trend.locator("rect.bar.s-commitment title").first.text_content()
    assert "告知承诺制" in title
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    screenshot(page, "reports-reform-city-dashboard")
    assert not page.problems, page.problems  # no CSP violation, no script error

    # the monthly report of the last month, with its exports
    page.get_by_role("link", name="月报详情").click()
    page.wait_for_selector("text=告知承诺制工作进展月报")
    assert page.locator("dd[data-figure=tasks_due]").count() == 1
    with page.expect_download() as download:
        page.get_by_role("link", name="导出电子表格（XLSX）").click()
    assert download.value.suggested_filename.endswith("-city.xlsx")
    screenshot(page, "reports-monthly-report")
    assert not page.problems, page.problems


def test_head_deadline_dashboard(desktop):
    page = desktop
    login(page, "head", "demo-head-2026")
    page.wait_for_url("**/")
    page.goto("/reports/sla")
    assert "市卫生健康局时效看板" in page.locator("h1").inner_text()
    table = page.locator("table.sla-table")
    assert "监管 张伟" in table.inner_text() and "待分派" in table.inner_text()
    assert "市市场监督管理局" not in page.locator("main").inner_text()
    screenshot(page, "reports-head-sla")
    assert not page.problems, page.problems
