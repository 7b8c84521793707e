"""Time the monthly report over 1,000,000 cases on PostgreSQL.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/report.py [--cases 1000000] [--months 36] [--today 2026-11-25]

Works in a scratch database on the server of ``DATABASE_URL`` (else ``TEST_DATABASE_URL``,
else ``postgresql://postgres@127.0.0.1:5432/postgres``), created and dropped like the other
benches (``bench/_common.py``). Builds the schema from the models, loads the calendar and the
demo catalogue, then generates the cases with ``INSERT ... SELECT generate_series`` spread
evenly over ``--months`` months before ``--today``, with every foreign key and CHECK
constraint in force:

* applications: 60 % commitment track (55 % approved on the spot, 5 % rejected), 35 %
  general track (approved 15 days after acceptance), 5 % drafts (1 % refused by the credit
  check);
* licences for the approvals; verification tasks for the commitment-track licences (due 84
  days, about 60 working days, after the decision; checked 1 to 90 days after it, 3 % never;
  results pushed 0 to 8 days after the check, late after 7; 4 % nonconform, with
  rectification orders, a judicial transfer and revocations among them);
* one credit push per commitment-track licence, delivered a minute later except in the
  last day.

Then it times ``build_monthly_report`` (city, every department, every item) for the last
complete month: three runs after ``VACUUM ANALYZE``; prints each, the month a year earlier
and the reform office's 12-month trend, and on its last line ``report_s=`` the slowest of
the three runs. Target: under 2 seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date
from pathlib import Path

# bench/ holds a calendar.py that would shadow the standard library's: import from the root.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench._common import bench_app, drop_scratch  # noqa: E402


def _server_url() -> str:
    for name in ("DATABASE_URL", "TEST_DATABASE_URL"):
        url = os.environ.get(name, "")
        if url.startswith(("postgresql", "postgres:")):
            return url
    return "postgresql://postgres@127.0.0.1:5432/postgres"


def _users(db, sa) -> dict:
    """One approver, one reform office user, one inspector per supervisory department."""
    from licensing.auth.models import Department, DepartmentKind, Role, User

    departments = db.session.scalars(sa.select(Department).order_by(Department.id)).all()
    rows = []
    for dept in departments:
        if dept.kind == DepartmentKind.approval:
            rows.append({"username": f"approver{dept.id}", "role": Role.approver,
                         "department_id": dept.id})
        elif dept.kind == DepartmentKind.supervisory:
            rows.append({"username": f"inspector{dept.id}", "role": Role.inspector,
                         "department_id": dept.id})
        else:
            rows.append({"username": "reform", "role": Role.reform_office,
                         "department_id": dept.id})
    db.session.execute(sa.insert(User), [
        {**r, "display_name": r["username"], "password_hash": "x", "session_token": r["username"]}
        for r in rows])
    db.session.commit()
    return {u.username: u for u in db.session.scalars(sa.select(User))}


GENERATE = """
CREATE TEMP TABLE bench_versions AS
    SELECT (row_number() OVER (ORDER BY id)) - 1 AS k, id, approval_department_id,
           supervisory_department_id
    FROM item_versions WHERE status = 'published';

CREATE TEMP TABLE bench_inspectors AS
    SELECT department_id, min(id) AS user_id FROM users WHERE role = 'inspector'
    GROUP BY department_id;

INSERT INTO applicants (id, kind, code, name, created_dt, updated_dt, version_number)
SELECT g, 'enterprise', lpad(g::text, 18, '0'), '压测企业' || g || '有限公司', now(), now(), 1
FROM generate_series(1, :applicants) AS g;

INSERT INTO applications (
    id, public_id, item_version_id, approval_department_id, supervisory_department_id,
    applicant_id, track, channel, status, created_dt, notice_given_dt, credit_ineligible,
    submitted_dt, accepted_on, decision, decided_dt, decided_on, decided_by_id, lock_version,
    case_number, purpose)
SELECT g, 'b' || g, c.id, c.approval_department_id, c.supervisory_department_id,
       1 + g % :applicants,
       CASE WHEN r < 12 THEN 'commitment' WHEN r < 19 THEN 'general' END,
       CASE WHEN g % 3 = 0 THEN 'online' ELSE 'counter' END,
       CASE WHEN r = 19 THEN 'draft' WHEN r = 11 THEN 'rejected' WHEN r < 11 THEN 'approved'
            WHEN day + 15 <= :today THEN 'approved' ELSE 'accepted' END,
       ts, ts, (g % 100 = 19),
       CASE WHEN r < 19 THEN ts + interval '15 minutes' END,
       CASE WHEN r BETWEEN 12 AND 18 THEN day END,
       CASE WHEN r = 11 THEN 'reject' WHEN r < 11 THEN 'approve'
            WHEN r < 19 AND day + 15 <= :today THEN 'approve' END,
       CASE WHEN r < 12 THEN ts + interval '20 minutes'
            WHEN r < 19 AND day + 15 <= :today THEN (day + 15) + interval '2 hours' END,
       CASE WHEN r < 12 THEN day WHEN r < 19 AND day + 15 <= :today THEN day + 15 END,
       CASE WHEN r < 12 OR (r < 19 AND day + 15 <= :today) THEN :approver END,
       1, 'SL' || extract(year FROM day)::int || '-' || lpad((g % 1000000)::text, 6, '0'),
       'issue'
FROM (
    SELECT g, g % 20 AS r, d.day,
           d.day + make_interval(secs => (g::bigint * 7919 % 43200)::int) AS ts, v.*
    FROM generate_series(1, :cases) AS g
    CROSS JOIN LATERAL (SELECT :start + ((g - 1)::bigint * :days / :cases)::int AS day) AS d
    JOIN bench_versions AS v ON v.k = g % :versions
) AS c;

INSERT INTO licences (id, number, application_id, approval_department_id, year, seq,
                      item_version_id, applicant_id, issued_on, issued_dt, status, verify_token,
                      version_number)
SELECT id, 'B-' || id, id, approval_department_id, extract(year FROM decided_on)::int, id,
       item_version_id, applicant_id, decided_on, decided_dt, 'valid', 'v' || id, 1
FROM applications WHERE status = 'approved';

CREATE TEMP TABLE bench_tasks AS
SELECT a.id, a.supervisory_department_id, a.approval_department_id, a.item_version_id,
       a.decided_on, a.decided_dt, i.user_id AS inspector, x.h, x.checked, x.pushed_day,
       (x.h < 97 AND x.checked <= :today) AS is_checked,
       (x.h < 97 AND x.pushed_day <= :today) AS is_pushed,
       (x.h % 25 = 0) AS nonconform,
       (x.h % 25 = 0 AND x.h < 97 AND x.pushed_day + 30 <= :today) AS followed_up
FROM applications AS a
JOIN bench_inspectors AS i ON i.department_id = a.supervisory_department_id
CROSS JOIN LATERAL (
    SELECT a.id / 20 % 100 AS h,
           a.decided_on + 1 + (a.id / 20 % 100 * 7) % 90 AS checked,
           a.decided_on + 1 + (a.id / 20 % 100 * 7) % 90 + a.id % 9 AS pushed_day
) AS x
WHERE a.track = 'commitment' AND a.status = 'approved';

INSERT INTO verification_tasks (
    id, licence_id, application_id, supervisory_department_id, approval_department_id,
    item_version_id, status, moved_checks, assigned_to_id, assigned_dt, created_dt,
    outcome, checked_on, findings, checked_by_id, result_recorded_dt,
    pushed_dt, pushed_by_id, pushed_late, judicial_transfer_ref, judicial_transferred_on,
    closed_dt, lock_version,
    verification_rule, verification_working_days, verification_start_event,
    verification_start_on, verification_due_on, verification_provisional,
    verification_calendar_version,
    result_push_rule, result_push_working_days, result_push_start_event, result_push_start_on,
    result_push_due_on, result_push_provisional, result_push_calendar_version)
SELECT t.id, t.id, t.id, t.supervisory_department_id, t.approval_department_id,
       t.item_version_id,
       CASE WHEN NOT t.is_checked THEN 'open'
            WHEN NOT t.is_pushed THEN 'checked'
            WHEN NOT t.nonconform THEN 'closed'
            WHEN NOT t.followed_up THEN 'breach'
            WHEN t.h = 75 THEN 'revoked'
            ELSE 'closed' END,
       '[]', t.inspector, t.decided_dt, t.decided_dt,
       CASE WHEN t.is_checked THEN (CASE WHEN t.nonconform THEN 'nonconform' ELSE 'conform' END)
            END,
       CASE WHEN t.is_checked THEN t.checked END,
       CASE WHEN t.is_checked AND t.nonconform THEN '经营场所与承诺不符' END,
       CASE WHEN t.is_checked THEN t.inspector END,
       CASE WHEN t.is_checked THEN t.checked + interval '2 hours' END,
       CASE WHEN t.is_pushed THEN t.pushed_day + interval '3 hours' END,
       CASE WHEN t.is_pushed THEN t.inspector END,
       (t.is_pushed AND t.pushed_day > t.checked + 7),
       CASE WHEN t.followed_up AND t.h = 50 THEN '移〔' || t.id || '〕' END,
       CASE WHEN t.followed_up AND t.h = 50 THEN t.checked + 20 END,
       CASE WHEN t.is_pushed AND NOT t.nonconform THEN t.pushed_day + interval '3 hours'
            WHEN t.followed_up THEN t.pushed_day + 21 + interval '3 hours' END,
       1,
       'standard_60', 60, 'licence_issued', t.decided_on, t.decided_on + 84,
       (t.decided_on + 84 >= DATE '2027-01-01'), 1,
       CASE WHEN t.is_checked THEN 'result_push_5' END,
       CASE WHEN t.is_checked THEN 5 END,
       CASE WHEN t.is_checked THEN 'verification_checked' END,
       CASE WHEN t.is_checked THEN t.checked END,
       CASE WHEN t.is_checked THEN t.checked + 7 END,
       CASE WHEN t.is_checked THEN (t.checked + 7 >= DATE '2027-01-01') END,
       CASE WHEN t.is_checked THEN 1 END
FROM bench_tasks AS t;

INSERT INTO rectification_orders (
    task_id, status, requirements, ordered_on, ordered_dt, ordered_by_id, outcome_note,
    outcome_recorded_dt, outcome_by_id, lock_version,
    rectification_rule, rectification_working_days, rectification_start_event,
    rectification_start_on, rectification_due_on, rectification_provisional,
    rectification_calendar_version)
SELECT t.id, CASE WHEN t.h = 75 THEN 'failed' ELSE 'rectified' END, '限期整改',
       t.pushed_day + 1, t.pushed_day + 1 + interval '3 hours', t.inspector,
       CASE WHEN t.h = 75 THEN '逾期未整改' END, t.pushed_day + 15 + interval '3 hours',
       t.inspector, 1,
       'rectification', 10, 'rectification_ordered', t.pushed_day + 1, t.pushed_day + 15,
       false, 1
FROM bench_tasks AS t WHERE t.followed_up;

INSERT INTO revocation_cases (
    licence_id, application_id, approval_department_id, supervisory_department_id, origin,
    task_id, status, request_reason, requested_dt, decision_reason, legal_basis,
    decided_by_id, decided_dt, decided_on, letter_number, lock_version,
    served_on, service_method, service_receipt)
SELECT t.id, t.id, t.approval_department_id, t.supervisory_department_id,
       'supervision_breach', t.id, 'revoked', '逾期未整改', t.pushed_day + 15 + interval '3 hours',
       '逾期未整改', '《中华人民共和国行政许可法》第六十九条', :approver,
       t.pushed_day + 21 + interval '3 hours', t.pushed_day + 21, 'CX-' || t.id, 1,
       t.pushed_day + 21, 'direct', '签收'
FROM bench_tasks AS t WHERE t.followed_up AND t.h = 75;

UPDATE licences AS l SET status = 'revoked', revoked_dt = c.decided_dt
FROM revocation_cases AS c WHERE c.licence_id = l.id;

INSERT INTO outbox_messages (kind, idempotency_key, payload, applicant_id, status, attempts,
                             next_attempt_dt, last_attempt_dt, delivered_dt, created_dt)
SELECT 'commitment_made', 'commitment_made:' || a.id, '{}', a.applicant_id,
       CASE WHEN a.decided_on < :today - 1 THEN 'delivered' ELSE 'pending' END, 1,
       a.decided_dt, a.decided_dt + interval '1 minute',
       CASE WHEN a.decided_on < :today - 1 THEN a.decided_dt + interval '1 minute' END,
       a.decided_dt
FROM applications AS a WHERE a.track = 'commitment' AND a.status = 'approved';
"""

SEQUENCES = ("applicants", "applications", "licences", "verification_tasks",
             "rectification_orders", "revocation_cases", "outbox_messages")


def prepare_city(db, sa, today: date) -> dict:
    """On ``today`` at 10:00: the schema, the departments, the calendar, the demo catalogue.

    Returns the bench's staff (``_users``). Needs an application context.
    """
    from datetime import UTC, datetime
    from datetime import time as dtime

    from licensing import clock
    from licensing.auth.demo import ensure_demo_departments
    from licensing.calendar.services import sync_official_data
    from licensing.catalogue.demo import load_demo_catalogue

    clock.set_frozen(datetime.combine(today, dtime(10), tzinfo=clock.LOCAL_TZ).astimezone(UTC))
    db.create_all()
    ensure_demo_departments()
    sync_official_data(today)
    load_demo_catalogue()
    db.session.commit()
    return _users(db, sa)


def generate(db, sa, *, cases: int, start: date, today: date, approver_id: int) -> dict:
    """Fill the scratch database; return the row counts."""
    conn = db.session.connection()
    versions = conn.execute(sa.text(
        "SELECT count(*) FROM item_versions WHERE status = 'published'")).scalar_one()
    params = {"cases": cases, "applicants": max(cases // 5, 1), "start": start,
              "today": today, "days": (today - start).days, "versions": versions,
              "approver": approver_id}
    for statement in GENERATE.split(";\n"):
        if statement.strip():
            conn.execute(sa.text(statement), {k: v for k, v in params.items()
                                              if f":{k}" in statement})
    for table in SEQUENCES:
        conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                             f"(SELECT COALESCE(max(id), 1) FROM {table}))"))
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.execute(sa.text("VACUUM ANALYZE"))
    return {t: db.session.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in SEQUENCES}


def explain(db, sa, month) -> None:
    """Print the plan and timing of each query of the report."""
    from sqlalchemy.dialects import postgresql

    from licensing.reports import queries

    for source in queries.SOURCES:
        stmt = (queries.grouped(source, month) if source.department is not None
                else queries.city_only(source, month))
        sql = str(stmt.compile(dialect=postgresql.dialect(),
                               compile_kwargs={"literal_binds": True}))
        print(f"--- {source.conditions.__name__}")
        for (line,) in db.session.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql)):
            print(line)
    db.session.rollback()


def timed(fn, *args, **kwargs):
    started = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 25))
    parser.add_argument("--explain", action="store_true",
                        help="print EXPLAIN ANALYZE of each query of the report")
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch database (its name is printed) for a look")
    args = parser.parse_args()

    os.environ["DATABASE_URL"] = _server_url()
    app, described = bench_app("report")
    import sqlalchemy as sa

    from licensing import clock
    from licensing.extensions import db
    from licensing.reports.periods import Period
    from licensing.reports.services import build_monthly_report, trend

    try:
        with app.app_context():
            users = prepare_city(db, sa, args.today)
            start = Period.of(args.today).shift(-args.months).first_day
            seconds, counts = timed(generate, db, sa, cases=args.cases, start=start,
                                    today=args.today,
                                    approver_id=next(u.id for n, u in users.items()
                                                     if n.startswith("approver")))
            print(f"generated in {seconds:.1f} s on {described}: "
                  + ", ".join(f"{k}={v}" for k, v in counts.items()))
            month = Period.of(args.today).previous()
            runs = []
            for i in range(3):
                seconds, report = timed(build_monthly_report, month)
                db.session.rollback()
                runs.append(seconds)
                t = report.totals
                print(f"run {i + 1}: {month} city report in {seconds:.3f} s "
                      f"({len(report.departments)} departments, {len(report.items)} items; "
                      f"commitment={t['applications_commitment']} "
                      f"general={t['applications_general']} due={t['tasks_due']} "
                      f"on_time={t['tasks_on_time']} overdue={t['tasks_overdue']} "
                      f"pushed_late={t['results_pushed_late']} "
                      f"pending={t['credit_pushes_pending']})")
            if args.explain:
                explain(db, sa, month)
            old = month.shift(-12)
            seconds, _ = timed(build_monthly_report, old)
            print(f"{old} (a year earlier): {seconds:.3f} s")
            seconds, _ = timed(trend, Period.of(args.today), users["reform"])
            print(f"reform office trend, 12 months: {seconds:.3f} s")
            db.session.remove()
            clock.set_frozen(None)
    finally:
        if args.keep:
            print(f"kept {app.config['SQLALCHEMY_DATABASE_URI']}")
        else:
            drop_scratch(app)
    print(f"report_s={max(runs):.3f} cases={args.cases} db={described.split()[0]}")


if __name__ == "__main__":
    main()
