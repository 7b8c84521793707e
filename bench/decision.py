"""On-the-spot decisions through the services, on the configured database.

Preparation (not timed): N complete commitment-track applications are taken in through the
services exactly as the counter does it (applicant, notice, credit check, modes, letter,
signature). Timed: the decisions, each one transaction that issues the licence, opens the
verification task and the supplement obligations, queues the credit record and writes the audit
entries, committed like the counter commits it. Decisions run first in one process (one desk),
then in W processes at once (several desks; W defaults to the machine's cores), which is the
figure the target is about: decisions per second the system sustains.

Usage: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/decision.py [N] [W]
Last line: decisions_per_s=... p95_ms=... single_desk_per_s=... single_p95_ms=...
           n=... workers=... db=...
"""

from __future__ import annotations

import multiprocessing
import os
import statistics
import sys
import time
from pathlib import Path

# bench/ holds a calendar.py that would shadow the standard library's: import from the root.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench._common import bench_app, drop_scratch  # noqa: E402


def _prepare(app, n: int) -> tuple[list[int], int]:
    from licensing.auth.demo import ensure_demo_departments
    from licensing.auth.models import Role
    from licensing.auth.services import create_user, department_by_code
    from licensing.calendar.services import sync_official_data
    from licensing.cases import services
    from licensing.cases.models import Channel, Track
    from licensing.catalogue.demo import load_demo_catalogue
    from licensing.catalogue.services import current_version
    from licensing.extensions import db
    from tests.case_factories import applicant

    with app.app_context():
        db.create_all()
        ensure_demo_departments()
        sync_official_data()
        load_demo_catalogue()
        xzspj = department_by_code("xzspj")
        clerk = create_user("bench-clerk", "bench-password-1", Role.clerk, xzspj)
        approver = create_user("bench-approver", "bench-password-1", Role.approver, xzspj)
        db.session.commit()
        version = current_version("XK-WJ-001")
        modes = {m.code: (m.allowed_modes[0].value if m.allowed_modes else None)
                 for m in version.materials}
        ids = []
        for i in range(n):
            who = applicant(seed=100000 + i, name=f"压测企业{i}有限公司")
            application = services.start_application(version, who, Channel.counter, actor=clerk)
            services.give_notice(application)
            services.choose_track(application, Track.commitment)
            services.set_commitments(application, modes)
            text = services.letter_text(application)
            services.sign_letter(application, "压测", services.letter_digest(text),
                                 Channel.counter, actor=clerk)
            db.session.commit()
            ids.append(application.id)
        return ids, approver.id


def _decide_all(app, ids: list[int], approver_id: int) -> list[float]:
    from licensing.auth.models import User
    from licensing.cases import services
    from licensing.cases.models import Application, Decision
    from licensing.extensions import db

    latencies = []
    with app.app_context():
        db.engine.dispose()  # a forked process opens its own connections
        for application_id in ids:
            t0 = time.perf_counter()
            application = db.session.get(Application, application_id)
            services.decide(application, Decision.approve, db.session.get(User, approver_id))
            db.session.commit()
            latencies.append((time.perf_counter() - t0) * 1000)
    return latencies


def _worker(args) -> list[float]:
    ids, approver_id = args
    return _decide_all(_APP, ids, approver_id)


_APP = None


def main(n: int = 600, workers: int | None = None) -> str:
    global _APP
    workers = workers or os.cpu_count() or 2
    app, described = bench_app("decision")
    _APP = app
    try:
        ids, approver_id = _prepare(app, n)
        single_ids, parallel_ids = ids[: n // 3], ids[n // 3:]
        t0 = time.perf_counter()
        single = _decide_all(app, single_ids, approver_id)
        single_wall = time.perf_counter() - t0
        slices = [(parallel_ids[i::workers], approver_id) for i in range(workers)]
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            t0 = time.perf_counter()
            results = pool.map(_worker, slices)
            parallel_wall = time.perf_counter() - t0
        parallel = [ms for part in results for ms in part]
        from sqlalchemy import func, select

        from licensing.cases.models import Licence
        from licensing.extensions import db

        with app.app_context():
            licences = db.session.scalar(select(func.count(Licence.id)))
            seqs = sorted(db.session.scalars(select(Licence.seq)))
        assert licences == n and seqs == list(range(1, n + 1)), "licence numbers not 1..n"
    finally:
        drop_scratch(app)
    p95 = statistics.quantiles(parallel, n=20)[18]
    single_p95 = statistics.quantiles(single, n=20)[18]
    return (f"decisions_per_s={len(parallel) / parallel_wall:.0f} p95_ms={p95:.1f} "
            f"single_desk_per_s={len(single) / single_wall:.0f} single_p95_ms={single_p95:.1f} "
            f"n={n} workers={workers} db={described.split()[0]}")


if __name__ == "__main__":
    print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 600,
               int(sys.argv[2]) if len(sys.argv) > 2 else None))
