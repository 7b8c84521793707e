"""Complete commitment-track journeys through the services, timed decision by decision.

Each iteration starts an application, gives the notice, runs the credit check, records the
commitment modes, renders and signs the letter, and decides on the spot (licence, verification
task, supplements, outbox row, audit entries), committing like the counter does. The timed part
is the decision transaction; the preparation is timed too and reported separately.

Usage: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/decision.py [N]
Last line: decisions_per_s=... p95_ms=... journey_p95_ms=... n=... db=...
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

# bench/ holds a calendar.py that would shadow the standard library's: import from the root.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from bench._common import bench_app, drop_scratch  # noqa: E402


def main(n: int = 300) -> str:
    app, described = bench_app("decision")
    from licensing.auth.demo import ensure_demo_departments
    from licensing.auth.models import Role
    from licensing.auth.services import create_user, department_by_code
    from licensing.calendar.services import sync_official_data
    from licensing.cases import services
    from licensing.cases.models import Channel, Decision, Track
    from licensing.catalogue.demo import load_demo_catalogue
    from licensing.extensions import db
    from tests.case_factories import applicant

    try:
        with app.app_context():
            db.create_all()
            ensure_demo_departments()
            sync_official_data()
            load_demo_catalogue()
            clerk = create_user("bench-clerk", "bench-password-1", Role.clerk,
                                department_by_code("xzspj"))
            approver = create_user("bench-approver", "bench-password-1", Role.approver,
                                   department_by_code("xzspj"))
            db.session.commit()
            from licensing.catalogue.services import current_version

            version = current_version("XK-WJ-001")
            modes = {m.code: (m.allowed_modes[0].value if m.allowed_modes else None)
                     for m in version.materials}
            decision_ms, journey_ms = [], []
            started = time.perf_counter()
            for i in range(n):
                t0 = time.perf_counter()
                who = applicant(seed=100000 + i, name=f"压测企业{i}有限公司")
                application = services.start_application(version, who, Channel.counter,
                                                          actor=clerk)
                services.give_notice(application)
                services.choose_track(application, Track.commitment)
                services.set_commitments(application, modes)
                text = services.letter_text(application)
                services.sign_letter(application, "压测", services.letter_digest(text),
                                     Channel.counter, actor=clerk)
                db.session.commit()
                t1 = time.perf_counter()
                services.decide(application, Decision.approve, approver)
                db.session.commit()
                t2 = time.perf_counter()
                decision_ms.append((t2 - t1) * 1000)
                journey_ms.append((t2 - t0) * 1000)
            total_decision_s = sum(decision_ms) / 1000
            wall = time.perf_counter() - started
    finally:
        drop_scratch(app)
    p95 = statistics.quantiles(decision_ms, n=20)[18]
    journey_p95 = statistics.quantiles(journey_ms, n=20)[18]
    return (f"decisions_per_s={n / total_decision_s:.0f} p95_ms={p95:.1f} "
            f"journey_p95_ms={journey_p95:.1f} journeys_per_s={n / wall:.1f} n={n} "
            f"db={described.split()[0]}")


if __name__ == "__main__":
    print(main(int(sys.argv[1]) if len(sys.argv) > 1 else 300))
