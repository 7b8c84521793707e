"""Time the list pages, the search, the home pages and the city dashboard over 1,000,000 cases.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/pages.py [--cases 1000000] [--runs 15] [--today 2026-11-25]

Works in a scratch database on the PostgreSQL server of ``DATABASE_URL`` (else
``TEST_DATABASE_URL``, else the local server), created and dropped like the other benches.
Builds the schema from the models, loads the calendar and the demo catalogue, and fills the
database with the report bench's generator (``bench/report.py`` ``generate``: INSERT ...
SELECT generate_series; at a million cases about 1 M applications, 896 k licences, 550 k
verification tasks, 200 k applicants), then ``VACUUM ANALYZE``. The months before the last
complete one are finalised, as the reform office does each month.

Then it logs in the staff of the busiest supervisory and approval departments and the reform
office through the login form, and times each page through the Flask test client (the whole
request: routing, access checks, queries, templates), ``--runs`` times after two warm-up
requests:

* the inboxes: the inspector's, due soon, overdue, the head's, the reform office's;
* ``GET /api/v1/verification-tasks`` (first page, and the next by its ``next`` cursor);
* the case list searched by case number, licence number, applicant code and part of a name;
* the case list 200 pages deep, by its cursor (``after``);
* the home page of each role; the reform office's city dashboard;
* the approver's notification inbox (a notice for every case of the department, as the
  intake sends): the first page, the unread, and 200 pages deep by its cursor.

``--keep`` keeps the scratch database and prints its name; ``--reuse NAME`` measures again
in it without loading (the load takes some 11 minutes at a million cases on 2 busy cores).

Prints each page's median and on its last line ``inbox_p50_ms=… reform_inbox_p50_ms=…
tasks_api_p50_ms=… search_p50_ms=… deep_page_p50_ms=… home_p50_ms=… dashboard_ms=…``
(then the approver's ``notifications_p50_ms=…`` and each home page).
Targets: 50 ms for each p50, 500 ms for the dashboard.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import UTC, date, datetime
from datetime import time as dtime
from pathlib import Path
from urllib.parse import quote

# bench/ holds a calendar.py that would shadow the standard library's: import from the root.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench._common import bench_app, drop_scratch  # noqa: E402
from bench.report import _server_url, generate, prepare_city  # noqa: E402

PASSWORD = "bench-pages-Long-pass-2026"  # the scratch database's users
HOME_PAGES = ("inspector", "head", "approver", "reform")  # whose home pages are timed
PAGE_SIZE = 50
DEEP_PAGE = 200


def _busiest(db, sa, column: str) -> int:
    return db.session.execute(sa.text(
        f"SELECT {column} FROM applications GROUP BY {column} ORDER BY count(*) DESC LIMIT 1"
    )).scalar_one()


def _staff_names(db, sa) -> dict[str, str]:
    """The usernames of the staff who log in (see ``_staff``)."""
    supervisory = _busiest(db, sa, "supervisory_department_id")
    approval = _busiest(db, sa, "approval_department_id")
    return {"inspector": f"inspector{supervisory}", "approver": f"approver{approval}",
            "reform": "reform", "head": "bench-head"}


def _staff(db, sa, users: dict) -> dict:
    """The users who log in: an inspector and a head of the busiest supervisory department,
    an approver of the busiest approval department, the reform office."""
    from licensing.auth.models import Department, Role
    from licensing.auth.services import create_user, set_password

    supervisory = _busiest(db, sa, "supervisory_department_id")
    names = _staff_names(db, sa)
    staff = {who: users[names[who]] for who in ("inspector", "approver", "reform")}
    for user in staff.values():
        set_password(user, PASSWORD)
    staff["head"] = create_user("bench-head", PASSWORD, Role.head,
                                db.session.get(Department, supervisory))
    db.session.commit()
    return staff


def _finalise_past_months(today: date, reform, months: int = 12) -> None:
    """Finalise the complete months of the trend, as the reform office does by the 25th."""
    from licensing.extensions import db
    from licensing.reports.periods import Period
    from licensing.reports.services import finalise_report

    last = Period.of(today).previous()
    for k in range(months - 1, -1, -1):
        finalise_report(last.shift(-k), actor=reform)
        db.session.commit()


def _notices(db, sa, approver: str) -> tuple[int, str]:
    """Give the approver a notice for every case of their department, as the intake does.

    Newest last by submission; one in twenty unread. Returns how many, and the ``after``
    cursor of the inbox 200 pages deep (``licensing.paging``). Skipped when they exist
    (``--reuse``).
    """
    user_id = db.session.execute(sa.text("SELECT id FROM users WHERE username = :u"),
                                 {"u": approver}).scalar_one()
    count = db.session.execute(sa.text("SELECT count(*) FROM notifications WHERE user_id = :u"),
                               {"u": user_id}).scalar_one()
    if count == 0:
        db.session.execute(sa.text(
            "INSERT INTO notifications (user_id, kind, title, body, link, object_type, "
            "object_id, dedup_key, created_dt, read_dt, external_pending, delivery_attempts) "
            "SELECT :u, 'application.submitted', '新的待审批申请', a.case_number, "
            "'/applications/' || a.public_id, 'application', a.id::text, "
            "'submitted:' || a.id, a.submitted_dt, "
            "CASE WHEN a.id % 20 = 0 THEN NULL ELSE a.submitted_dt END, false, 0 "
            "FROM applications AS a JOIN users AS u ON u.id = :u "
            "WHERE a.approval_department_id = u.department_id AND a.submitted_dt IS NOT NULL"),
            {"u": user_id})
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("VACUUM ANALYZE notifications"))
        count = db.session.execute(sa.text(
            "SELECT count(*) FROM notifications WHERE user_id = :u"), {"u": user_id}).scalar_one()
    created, notice_id = db.session.execute(sa.text(
        "SELECT created_dt, id FROM notifications WHERE user_id = :u "
        "ORDER BY created_dt DESC, id DESC OFFSET :n LIMIT 1"),
        {"u": user_id, "n": min(DEEP_PAGE * PAGE_SIZE, count - 1)}).one()
    return count, f"{created.replace(tzinfo=UTC).isoformat()}.{notice_id}"


def _client(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


#: CPU milliseconds of this process per request, by page (the application's own work; the
#: wall time adds PostgreSQL's and, on a shared machine, the wait for a core).
CPU: dict[str, list[float]] = {}


def _time(client, path: str, runs: int) -> list[float]:
    """Milliseconds of ``runs`` requests of ``path`` (after two unmeasured ones)."""
    for _ in range(2):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    times, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    CPU[path] = cpu
    return times


def _samples(db, sa) -> dict:
    """A case number, a licence number, an applicant code and a name part to search for."""
    row = db.session.execute(sa.text(
        "SELECT a.case_number, l.number, p.code, p.name FROM applications AS a "
        "JOIN licences AS l ON l.application_id = a.id "
        "JOIN applicants AS p ON p.id = a.applicant_id "
        "ORDER BY a.id DESC OFFSET 1234 LIMIT 1")).one()
    name = row[3].removesuffix("有限公司")  # 压测企业12345: a part of the name
    return {"case": row[0], "licence": row[1], "code": row[2], "name": name}


def measure(app, staff: dict[str, str], samples: dict, deep_after: int, runs: int,
            notices_after: str) -> dict:
    """Each page's timings, by page."""
    clients = {who: _client(app, username) for who, username in staff.items()}
    pages = {
        "inbox": [("inspector", "/supervision/tasks"),
                  ("inspector", "/supervision/tasks?due=due_soon"),
                  ("inspector", "/supervision/tasks?due=overdue"),
                  ("head", "/supervision/tasks")],
        "reform_inbox": [("reform", "/supervision/tasks")],
        "tasks_api": [("inspector", "/api/v1/verification-tasks"),
                      ("reform", "/api/v1/verification-tasks")],
        "search": [("approver", f"/applications?q={quote(samples['case'])}"),
                   ("reform", f"/applications?q={quote(samples['licence'])}"),
                   ("reform", f"/applications?q={quote(samples['code'])}"),
                   ("reform", f"/applications?q={quote(samples['name'])}")],
        "deep_page": [("reform", f"/applications?after={deep_after}"),
                      ("approver", f"/applications?after={deep_after}")],
        "home": [(who, "/") for who in HOME_PAGES],
        "notifications": [("approver", "/notifications"),
                          ("approver", "/notifications?unread=1"),
                          ("approver", f"/notifications?after={quote(notices_after)}")],
    }
    # the API's second page, by the cursor of the first
    first = clients["inspector"].get("/api/v1/verification-tasks").get_json()
    if first.get("next"):
        pages["tasks_api"].append(
            ("inspector", f"/api/v1/verification-tasks?after={quote(first['next'])}"))
    results = {}
    for name, paths in pages.items():
        times = []
        for who, path in paths:
            these = _time(clients[who], path, runs)
            if name == "home":
                results[f"home_{who}"] = statistics.median(these)
            print(f"  {name:12s} {who:9s} p50 {statistics.median(these):7.1f} ms "
                  f"(cpu {statistics.median(CPU[path]):5.1f})  {path}")
            times += these
        results[name] = statistics.median(times)
    these = _time(clients["reform"], "/reports/city", max(3, runs // 3))
    print(f"  {'dashboard':12s} reform    p50 {statistics.median(these):7.1f} ms "
          f"(cpu {statistics.median(CPU['/reports/city']):5.1f})  /reports/city")
    results["dashboard"] = statistics.median(these)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 25))
    parser.add_argument("--keep", action="store_true",
                        help="keep the scratch database (its name is printed) for a look")
    parser.add_argument("--reuse", metavar="DATABASE",
                        help="measure again in a database kept by an earlier --keep run")
    args = parser.parse_args()

    if args.reuse:
        reuse(args)
        return
    os.environ["DATABASE_URL"] = _server_url()
    app, described = bench_app("pages")
    import sqlalchemy as sa

    from licensing import clock
    from licensing.extensions import db
    from licensing.reports.periods import Period

    results = {}
    try:
        with app.app_context():
            users = prepare_city(db, sa, args.today)
            start = Period.of(args.today).shift(-args.months).first_day
            started = time.perf_counter()
            counts = generate(db, sa, cases=args.cases, start=start, today=args.today,
                              approver_id=next(u.id for n, u in users.items()
                                               if n.startswith("approver")))
            print(f"generated in {time.perf_counter() - started:.1f} s on {described}: "
                  + ", ".join(f"{k}={v}" for k, v in counts.items()), flush=True)
            staff = _staff(db, sa, users)
            started = time.perf_counter()
            _finalise_past_months(args.today, staff["reform"])
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("ANALYZE"))
            print(f"past months finalised in {time.perf_counter() - started:.1f} s", flush=True)
            samples = _samples(db, sa)
            deep_after = db.session.execute(sa.text(
                "SELECT id FROM applications ORDER BY id DESC OFFSET :n LIMIT 1"),
                {"n": min(DEEP_PAGE * PAGE_SIZE, args.cases // 2)}).scalar_one()
            notices, notices_after = _notices(db, sa, _staff_names(db, sa)["approver"])
            print(f"{notices} notices for the approver", flush=True)
            db.session.remove()
            results = measure(app, _staff_names(db, sa), samples, deep_after, args.runs,
                              notices_after)
            clock.set_frozen(None)
    finally:
        if args.keep:
            print(f"kept {app.config['SQLALCHEMY_DATABASE_URI']}")
        else:
            drop_scratch(app)
    summary(results, args.cases)


def summary(results: dict, cases: int) -> None:
    """Print the last line."""
    print(" ".join(f"{k}_p50_ms={results[k]:.1f}" for k in
                   ("inbox", "reform_inbox", "tasks_api", "search", "deep_page", "home"))
          + f" dashboard_ms={results['dashboard']:.0f} cases={cases}"
          + f" notifications_p50_ms={results['notifications']:.1f}"
          + "".join(f" home_{who}_p50_ms={results[f'home_{who}']:.1f}" for who in HOME_PAGES)
          + f" home_max_p50_ms={max(results[f'home_{who}'] for who in HOME_PAGES):.1f}")


def reuse(args) -> None:
    """Measure in a database an earlier run kept (its load takes minutes at a million)."""
    import tempfile

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    from config.settings import Settings, normalise_database_url
    from licensing import clock, create_app
    from licensing.extensions import db

    url = make_url(normalise_database_url(_server_url())).set(
        database=args.reuse).render_as_string(hide_password=False)
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    app = create_app(Settings(env="bench", database_url=url, secret_key="bench-" + "x" * 40,
                              instance_dir=tmp, testing=False, csrf_enabled=False,
                              upload_dir=tmp / "uploads"))
    with app.app_context():
        clock.set_frozen(datetime.combine(args.today, dtime(10), tzinfo=clock.LOCAL_TZ)
                         .astimezone(UTC))
        cases = db.session.execute(sa.text("SELECT count(*) FROM applications")).scalar_one()
        reform = db.session.scalar(sa.text("SELECT id FROM users WHERE username = 'reform'"))
        from licensing.auth.models import User
        from licensing.reports.periods import Period
        from licensing.reports.services import finalise_report, stored_report

        last = Period.of(args.today).previous()
        if stored_report(last) is None or not stored_report(last).is_final:
            finalise_report(last, actor=db.session.get(User, reform))
            db.session.commit()
        names = _staff_names(db, sa)
        samples = _samples(db, sa)
        deep_after = db.session.execute(sa.text(
            "SELECT id FROM applications ORDER BY id DESC OFFSET :n LIMIT 1"),
            {"n": DEEP_PAGE * PAGE_SIZE}).scalar_one()
        notices, notices_after = _notices(db, sa, names["approver"])
        print(f"{notices} notices for the approver", flush=True)
        db.session.remove()
        results = measure(app, names, samples, deep_after, args.runs, notices_after)
        clock.set_frozen(None)
    summary(results, cases)


if __name__ == "__main__":
    main()
