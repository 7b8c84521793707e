"""Profile submit + decide through ``/api/v1`` in-process, without gunicorn or HTTP noise.

The same pair as ``bench/http.py`` (a commitment-track ``POST /applications``, then ``POST
/applications/{id}/decision``), driven through the Flask test client against the database
DATABASE_URL names (a scratch PostgreSQL database, dropped at the end; a scratch SQLite file
when unset). After ``--warm`` pairs, ``--pairs`` pairs run under cProfile and are counted:
statements at the DBAPI cursor, those SQLAlchemy compiled anew (not from its compiled cache),
and ORM flushes.

Usage: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/profile_pair.py
       [--pairs 40] [--warm 5] [--top 40] [--sort cumulative|tottime] [--no-profile]
The machine is shared: compare the counts, the profile's shares and the CPU of this process
(``cpu_ms_per_pair``: the application's own work, as a gunicorn worker would spend it; with
``--no-profile``), not the wall-clock milliseconds.
Last line: ms_per_pair=... cpu_ms_per_pair=... submit_ms=... decision_ms=...
  statements_per_pair=... compiled_per_pair=... flushes_per_pair=... transactions_per_pair=...
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
import traceback
import uuid
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.engine.default import DefaultExecutionContext  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench._common import bench_app, drop_scratch  # noqa: E402
from bench.http import API, _basic, _body, _commitments  # noqa: E402
from bench.load import ITEM, _prepare  # noqa: E402


class Counts:
    """Statements, compilations and flushes seen while ``active``."""

    def __init__(self, engine, sites: bool = False) -> None:
        self.active, self.sites = False, sites
        self.statements = self.compiled = self.flushes = self.transactions = 0
        self.new_sql: dict[str, int] = {}
        self.last: list[str] = []
        self.flush_sites: list[str] = []
        sa.event.listen(engine, "before_cursor_execute", self._statement)
        sa.event.listen(engine, "begin", self._begin)
        sa.event.listen(Session, "before_flush", self._flush)

    def _statement(self, conn, cursor, statement, parameters, context, executemany):
        if not self.active:
            return
        self.statements += 1
        self.last.append(" ".join(statement.split())[:160])
        if isinstance(context, DefaultExecutionContext) and context.compiled is not None \
                and context.cache_hit is not context.cache_hit.__class__.CACHE_HIT:
            self.compiled += 1
            key = " ".join(statement.split())[:120]
            self.new_sql[key] = self.new_sql.get(key, 0) + 1

    def _begin(self, conn):
        if self.active:
            self.transactions += 1
            if self.sites:
                self.last.append("  (BEGIN)")

    def _flush(self, session, flush_context, instances):
        if self.active:
            self.flushes += 1
            if not self.sites:
                return
            # where in the project the flush came from (the innermost licensing frame)
            site = next((f"{Path(f.filename).parent.name}/{Path(f.filename).name}:{f.lineno}"
                         f" {f.name}" for f in reversed(traceback.extract_stack())
                         if "/licensing/" in f.filename), "?")
            kinds = sorted({type(o).__name__ for o in session.new | session.dirty})
            self.last.append(f"  (flush from {site}: {', '.join(kinds)})")


def main() -> str:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pairs", type=int, default=40)
    parser.add_argument("--warm", type=int, default=5)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative", choices=["cumulative", "tottime"])
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--sql", action="store_true", help="print the last pair's statements")
    parser.add_argument("--dump", help="also write the raw profile here (pstats format)")
    args = parser.parse_args()

    app, described = bench_app("profile")
    try:
        _prepare(app, accounts=1)
        from licensing.extensions import db

        client = app.test_client()
        commitments = _commitments(client.get(f"{API}/items/{ITEM}").json)
        clerk, approver = (
            {"Authorization": "Bearer "
             + client.post(f"{API}/tokens", headers=_basic(name)).json["token"]}
            for name in ("load-clerk-0", "load-approver-0"))
        with app.app_context():
            counts = Counts(db.engine, sites=args.sql)
        seeds = iter(range(2_000_000, 9_000_000))
        submit_s = decision_s = cpu_s = 0.0

        def pair() -> tuple[float, float]:
            t0 = time.perf_counter()
            created = client.post(f"{API}/applications", json=_body(commitments, next(seeds)),
                                  headers={**clerk, "Idempotency-Key": str(uuid.uuid4())})
            t1 = time.perf_counter()
            assert created.status_code == 201, created.json
            decided = client.post(f"{API}/applications/{created.json['id']}/decision",
                                  json={"outcome": "approve"}, headers=approver)
            t2 = time.perf_counter()
            assert decided.status_code == 200 and decided.json["licence"], decided.json
            return t1 - t0, t2 - t1

        for _ in range(args.warm):
            pair()
        profile = None if args.no_profile else cProfile.Profile()
        counts.active = True
        if profile:
            profile.enable()
        for _ in range(args.pairs):
            counts.last = []
            cpu = time.process_time()
            first, second = pair()
            cpu_s += time.process_time() - cpu
            submit_s += first
            decision_s += second
        if profile:
            profile.disable()
        counts.active = False
    finally:
        drop_scratch(app)

    n = args.pairs
    if profile and args.dump:
        profile.dump_stats(args.dump)
    if profile:
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    if args.sql:
        print("the last pair's statements:")
        print("\n".join(f"{i:3d}. {sql}" for i, sql in enumerate(counts.last, 1)))
    if counts.new_sql:
        print("compiled anew (count over all pairs):")
        for sql, times in sorted(counts.new_sql.items(), key=lambda kv: -kv[1]):
            print(f"  {times:4d}  {sql}")
    print(f"db={described.split()[0]} pairs={n} warm={args.warm} "
          f"profiled={'no' if args.no_profile else 'yes'} load={os.getloadavg()[0]:.2f}")
    return (f"ms_per_pair={(submit_s + decision_s) * 1000 / n:.1f} "
            f"cpu_ms_per_pair={cpu_s * 1000 / n:.1f} "
            f"submit_ms={submit_s * 1000 / n:.1f} decision_ms={decision_s * 1000 / n:.1f} "
            f"statements_per_pair={counts.statements / n:.1f} "
            f"compiled_per_pair={counts.compiled / n:.1f} "
            f"flushes_per_pair={counts.flushes / n:.1f} "
            f"transactions_per_pair={counts.transactions / n:.1f}")


if __name__ == "__main__":
    print(main())
