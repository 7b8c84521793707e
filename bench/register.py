"""Time the public register's search over 1,000,000 licences.

    .venv/bin/python bench/register.py [--licences 1000000] [--queries 200]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/register.py

On a scratch SQLite file, or a scratch database on the PostgreSQL server of ``DATABASE_URL``
(``bench/_common.py``). Builds the schema from the models and the demo departments and
catalogue, then generates the licences in SQL (a recursive CTE, so both databases run the
same statement), each with its frozen facts, every foreign key and CHECK constraint in force:
one application per licence, 2,000 holders (one in ten a person), one in fifty licences
revoked and one in forty cancelled.

Then it times ``licensing.register.services.search`` as the public page and
``GET /api/v1/register`` call it, over a mix of queries: the first page and a page deep in
the register by its cursor, a licence number, a holder's code, and the start of a holder's
name (with and without the city's name). Prints each kind's median, and on its last line
``register_p50_ms=… p95_ms=… licences=…``. Target: p50 under 50 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

# bench/ holds a calendar.py that would shadow the standard library's: import from the root.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench._common import bench_app, drop_scratch  # noqa: E402

HOLDERS = 2000
NAMES = ["润泽食品", "恒通建材", "鑫达运输", "示例餐饮", "华北药房", "永安商贸", "佳禾超市",
         "德润酒店", "金源百货", "康宁诊所"]

SERIES = "WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < :count) "


def _generate(db, sa, count: int) -> None:
    from licensing.auth.models import Department, DepartmentKind, Role, User
    from licensing.catalogue.models import ItemVersion

    version = db.session.scalars(sa.select(ItemVersion).where(
        ItemVersion.status == "published").order_by(ItemVersion.id)).first()
    department = db.session.get(Department, version.approval_department_id)
    approver = User(username="bench-approver", display_name="bench",
                    password_hash="x",  # noqa: S106 - never logs in
                    role=Role.approver, department_id=department.id,
                    session_token="bench")  # noqa: S106
    db.session.add(approver)
    db.session.commit()
    assert department.kind == DepartmentKind.approval
    holders = []
    for k in range(1, HOLDERS + 1):
        person = k % 10 == 0
        name = (f"张{k}" if person else
                f"定州市{NAMES[k % len(NAMES)]}{k}有限公司")
        code = f"{k:018d}" if not person else f"13068219850315{k % 10000:04d}"
        holders.append({"id": k, "kind": "individual" if person else "enterprise",
                        "code": code, "name": name, "version_number": 1})
    from licensing.applicants.models import Applicant
    from licensing.clock import utcnow

    now = utcnow()
    db.session.execute(sa.insert(Applicant),
                       [{**h, "created_dt": now, "updated_dt": now} for h in holders])
    db.session.commit()
    params = {"count": count, "version": version.id, "dept": department.id,
              "sup": version.supervisory_department_id, "approver": approver.id,
              "holders": HOLDERS, "code": department.code.upper(), "item_code": version.code,
              "item_name": version.name, "item_version": version.number, "scope": version.name,
              "authority": "定州市" + department.name.removeprefix("市")}
    db.session.execute(sa.text(SERIES + """
        INSERT INTO applications (id, public_id, item_version_id, approval_department_id,
            supervisory_department_id, applicant_id, purpose, track, channel, status,
            created_dt, credit_ineligible, submitted_dt, accepted_on, decision, decided_dt,
            decided_on, decided_by_id, lock_version)
        SELECT n, 'b' || n, :version, :dept, :sup, 1 + n % :holders, 'issue', 'general',
               'counter', 'approved', CURRENT_TIMESTAMP, false, CURRENT_TIMESTAMP,
               CURRENT_DATE, 'approve', CURRENT_TIMESTAMP, CURRENT_DATE, :approver, 1
        FROM g"""), params)
    db.session.commit()
    db.session.execute(sa.text(SERIES + """
        INSERT INTO licences (id, number, application_id, approval_department_id, year, seq,
            item_version_id, applicant_id, issued_on, issued_dt, status, revoked_dt,
            verify_token, holder_kind, holder_name, holder_code, item_code, item_name,
            item_version_number, scope, valid_from, valid_until, decision_number,
            authority_name, track, version_number, cancelled_on, cancel_reason)
        SELECT n, :code || '-' || CAST(2020 + n % 7 AS VARCHAR(4)) || '-'
                   || substr('000000' || n, length('000000' || n) - 5, 6)
                   || CASE WHEN n > 999999 THEN 'X' || n ELSE '' END,
               n, :dept, 2020 + n % 7, n, :version, a.id, CURRENT_DATE, CURRENT_TIMESTAMP,
               CASE WHEN n % 50 = 0 THEN 'revoked' ELSE 'valid' END,
               CASE WHEN n % 50 = 0 THEN CURRENT_TIMESTAMP END,
               'v' || n, a.kind, a.name, a.code, :item_code, :item_name, :item_version,
               :scope, CURRENT_DATE, NULL, :code || '许准字' || n, :authority, 'general', 1,
               CASE WHEN n % 40 = 1 THEN CURRENT_DATE END,
               CASE WHEN n % 40 = 1 THEN 'surrender' END
        FROM g JOIN applicants a ON a.id = 1 + n % :holders"""), params)
    db.session.commit()


def _queries(db, sa, rng: random.Random, count: int, licences: int) -> list[tuple[str, str]]:
    from licensing.cases.models import Licence
    from licensing.register.services import search

    deep = search("")
    for _ in range(5):  # a cursor some pages into the register
        deep = search("", after=deep.next)
    numbers = db.session.scalars(sa.select(Licence.number).where(
        Licence.id.in_([rng.randint(1, licences) for _ in range(50)]))).all()
    codes = [f"{k:018d}" for k in rng.sample(range(1, HOLDERS), 50) if k % 10]
    mix = []
    for i in range(count):
        kind = i % 6
        if kind == 0:
            mix.append(("first_page", ""))
        elif kind == 1:
            mix.append(("deep_page", deep.next))
        elif kind == 2:
            mix.append(("number", rng.choice(numbers)))
        elif kind == 3:
            mix.append(("code", rng.choice(codes)))
        elif kind == 4:
            mix.append(("name", rng.choice(NAMES)))
        else:
            mix.append(("city_name", "定州市" + rng.choice(NAMES) + str(rng.randint(1, 199))))
    return mix


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--licences", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=16)
    args = parser.parse_args()

    import sqlalchemy as sa

    from licensing.auth.demo import ensure_demo_departments
    from licensing.catalogue.demo import load_demo_catalogue
    from licensing.extensions import db
    from licensing.register.services import search

    app, described = bench_app("register")
    try:
        with app.app_context():
            db.create_all()
            ensure_demo_departments()
            load_demo_catalogue()
            db.session.commit()
            started = time.perf_counter()
            _generate(db, sa, args.licences)
            if db.engine.dialect.name == "postgresql":
                with db.engine.connect().execution_options(
                        isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("VACUUM ANALYZE"))
            else:
                db.session.execute(sa.text("ANALYZE"))
                db.session.commit()
            print(f"{described}: {args.licences} licences generated in "
                  f"{time.perf_counter() - started:.1f} s")
            rng = random.Random(args.seed)
            mix = _queries(db, sa, rng, args.queries, args.licences)
            timings: dict[str, list[float]] = {}
            for kind, query in mix:
                db.session.expire_all()
                begin = time.perf_counter()
                page = search("", after=query) if kind == "deep_page" else search(query)
                elapsed = (time.perf_counter() - begin) * 1000
                assert kind not in ("first_page", "deep_page") or len(page.items) == 20
                timings.setdefault(kind, []).append(elapsed)
            every = sorted(t for values in timings.values() for t in values)
            for kind, values in timings.items():
                print(f"  {kind:<10} median {statistics.median(values):7.2f} ms  "
                      f"max {max(values):7.2f} ms  ({len(values)} queries)")
            p50 = statistics.median(every)
            p95 = every[min(len(every) - 1, int(len(every) * 0.95))]
            print(f"register_p50_ms={p50:.2f} p95_ms={p95:.2f} licences={args.licences}")
    finally:
        drop_scratch(app)


if __name__ == "__main__":
    main()
