"""Submit + decide through ``/api/v1`` against the bare stack, under the same gunicorn, in one run.

Two servers start on the database DATABASE_URL names (a scratch database, dropped at the end):
the project (``wsgi:app``) and the bare reference app (``bench/bare_app.py``: Flask +
Flask-SQLAlchemy + psycopg, 5 SELECT + 3 INSERT + 1 UPDATE per request), each under gunicorn
with the same settings (``--workers``, 2 sync workers by default). Then, for 8 and for 16
clients in turn, each is driven for ``--seconds``: the project with pairs (``POST
/applications`` on the commitment track, then ``POST /applications/{id}/decision``, each client
with its own clerk's and approver's bearer token), the bare app with its one request. The
project's pairs per second over the bare app's requests per second is the ratio issue 18 sets
at >= 0.5. Afterwards the licence numbers are checked gapless and unique (bench/load.py).

After each pair drive and bare drive, the project's cheapest authenticated request is driven
the same way: ``GET /applications/{id}`` of one case, by a clerk's bearer token (the token
lookup, the case, its answer; ``read_statements``). Its rate over the bare app's
(``read_over_bare``, on the detail line) is a floor: a pair is two requests that each do more
than this read, so the pair ratio cannot exceed half of it.

``statements_per_pair`` is measured, not assumed: before the servers start, one warm pair runs
in-process through the same API, counted at the DBAPI cursor (``tests/statements.py``).

Usage: DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres python bench/http.py
       [--seconds 20] [--workers 2] [--clients 8 16]
The machine is shared: compare the ratio (both measured in the same run), not the rates.
Last line (the first client count, 8 by default):
  pairs_per_s=... bare_per_s=... ratio=... submit_p95_ms=... decision_p95_ms=...
  statements_per_pair=...
"""

from __future__ import annotations

import argparse
import base64
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import httpx  # noqa: E402

from bench import bare_app  # noqa: E402
from bench._common import bench_app, drop_scratch  # noqa: E402
from bench.load import ITEM, PASSWORD, _check, _credit_code, _free_port, _prepare  # noqa: E402

ROOT = _HERE.parent
API = "/api/v1"


def _basic(username: str) -> dict:
    raw = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {raw}"}


def _commitments(rules: dict) -> list[dict]:
    """The first mode each material of the item allows (materials without one are handed in)."""
    return [{"material_code": m["code"], "mode": m["modes"][0]["code"]}
            for m in rules["materials"] if m["modes"]]


def _body(commitments: list[dict], seed: int) -> dict:
    return {"item_code": ITEM, "track": "commitment",
            "applicant": {"kind": "enterprise", "name": f"接口压测企业{seed}",
                          "code": _credit_code(seed), "phone": "13812345678"},
            "commitments": commitments, "signature": {"signer_name": "压测签署人"}}


def _bearer(client, username: str) -> str:
    """A fresh bearer token for ``username``, over HTTP."""
    response = client.post(f"{API}/tokens", headers=_basic(username))
    if response.status_code != 201:
        raise RuntimeError(f"token for {username}: {response.status_code}")
    return response.json()["token"]


class Pair:
    """One client of the project: a clerk submits, an approver decides, over bearer tokens."""

    def __init__(self, client, index: int, commitments: list[dict]):
        self.client, self.index, self.commitments, self.seq = client, index, commitments, 0
        self.clerk = _bearer(client, f"load-clerk-{index}")
        self.approver = _bearer(client, f"load-approver-{index}")

    def run(self, seeds) -> tuple[float, float]:
        """One submit and its decision; return both latencies in milliseconds."""
        seed = next(seeds)
        t0 = time.perf_counter()
        created = self.client.post(
            f"{API}/applications", json=_body(self.commitments, seed),
            headers={"Authorization": f"Bearer {self.clerk}",
                     "Idempotency-Key": str(uuid.uuid4())})
        t1 = time.perf_counter()
        if created.status_code != 201:
            raise RuntimeError(f"submit: {created.status_code} {created.text[:160]}")
        decided = self.client.post(
            f"{API}/applications/{created.json()['id']}/decision", json={"outcome": "approve"},
            headers={"Authorization": f"Bearer {self.approver}"})
        t2 = time.perf_counter()
        if decided.status_code != 200 or not decided.json().get("licence"):
            raise RuntimeError(f"decision: {decided.status_code} {decided.text[:160]}")
        return (t1 - t0) * 1000, (t2 - t1) * 1000


@dataclass
class Run:
    """What one drive measured."""

    done: int = 0
    elapsed: float = 0.0
    first: list[float] = field(default_factory=list)
    second: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.done / self.elapsed if self.elapsed else 0.0


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[18] if len(values) >= 2 else float("nan")


def _drive(clients: int, seconds: float, make_worker) -> Run:
    """Run ``clients`` threads for ``seconds``; each calls its worker's step until time is up."""
    run, lock = Run(), threading.Lock()
    ready = threading.Barrier(clients + 1)
    go = threading.Event()  # set once the deadline is: no client reads it before
    deadline = [0.0]

    def client(index: int) -> None:
        with httpx.Client(base_url="", timeout=60) as http:
            try:
                step = make_worker(http, index)
            except Exception as exc:
                with lock:
                    run.errors.append(f"setup: {exc}")
                ready.wait()
                return
            ready.wait()
            go.wait()
            while time.monotonic() < deadline[0]:
                try:
                    first, second = step()
                except Exception as exc:
                    with lock:
                        run.errors.append(str(exc)[:200])
                    continue
                with lock:
                    run.done += 1
                    run.first.append(first)
                    run.second.append(second)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    started = time.monotonic()
    deadline[0] = started + seconds
    go.set()
    for thread in threads:
        thread.join()
    run.elapsed = time.monotonic() - started
    return run


def _statements_per_pair(app, commitments: list[dict], index: int) -> tuple[int, int, int, int]:
    """Submit and decide one warm pair in-process; count each request's statements.

    Returns the submit's and the decision's counts, the case's id and the statements of one
    authenticated read of it (``GET /applications/{id}``, the floor below).
    """
    from licensing.extensions import db
    from tests.statements import count_statements

    client = app.test_client()
    tokens = []
    for username in (f"load-clerk-{index}", f"load-approver-{index}"):
        tokens.append(client.post(f"{API}/tokens", headers=_basic(username)).json["token"])
    clerk, approver = ({"Authorization": f"Bearer {t}"} for t in tokens)
    counts = (0, 0, 0, 0)
    with app.app_context():
        for seed in (990_001, 990_002):  # the first warms the process, the second is counted
            with count_statements(db.engine) as submit:
                created = client.post(f"{API}/applications", json=_body(commitments, seed),
                                      headers={**clerk, "Idempotency-Key": str(uuid.uuid4())})
            assert created.status_code == 201, created.json
            with count_statements(db.engine) as decision:
                decided = client.post(f"{API}/applications/{created.json['id']}/decision",
                                      json={"outcome": "approve"}, headers=approver)
            assert decided.status_code == 200, decided.json
            with count_statements(db.engine) as read:
                shown = client.get(f"{API}/applications/{created.json['id']}", headers=clerk)
            assert shown.status_code == 200, shown.json
            counts = (submit.count, decision.count, created.json["id"], read.count)
        db.engine.dispose()
    return counts


def _serve(target: str, port: int, workers: int, env: dict) -> subprocess.Popen:
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(workers), "--bind",
         f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning", target],
        cwd=ROOT, env=env, start_new_session=True)
    for _ in range(150):
        try:
            httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
            return server
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{target} did not start")


def main() -> str:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 16])
    args = parser.parse_args()
    if max(args.clients) > 63:
        parser.error("at most 63 clients")

    app, described = bench_app("http")
    if not described.startswith("postgresql"):
        parser.error("bench/http.py measures PostgreSQL: set DATABASE_URL")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    # One clerk and one approver per client (and one more pair for the count): a department
    # of as many approvers as desks, each of whom is told of every case waiting for them.
    _prepare(app, accounts=max(args.clients) + 1)
    bare_app.prepare(url)
    with app.test_client() as client:
        commitments = _commitments(client.get(f"{API}/items/{ITEM}").json)
    submit_count, decision_count, case_id, read_count = _statements_per_pair(
        app, commitments, max(args.clients))

    project_port, bare_port = _free_port(), _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "http-" + "k" * 40,
           "LICENSING_INSTANCE_DIR": app.instance_path, "LICENSING_ENV": "development"}
    servers = []
    lines = []
    seeds = iter(range(1_000_000, 9_000_000))
    seed_lock = threading.Lock()

    class Seeds:
        def __next__(self):
            with seed_lock:
                return next(seeds)

    try:
        servers.append(_serve("wsgi:app", project_port, args.workers, env))
        servers.append(_serve("bench.bare_app:app", bare_port, args.workers,
                              {**os.environ, "BARE_DATABASE_URL": url}))
        project, bare = f"http://127.0.0.1:{project_port}", f"http://127.0.0.1:{bare_port}"

        def project_worker(http, index):
            http.base_url = project
            pair = Pair(http, index, commitments)
            shared = Seeds()
            return lambda: pair.run(shared)

        def bare_worker(http, index):
            http.base_url = bare
            headers = {"Authorization": f"Bearer {bare_app.TOKEN}"}

            def step():
                t0 = time.perf_counter()
                response = http.post("/pair", json={"item_code": "XK-1"}, headers=headers)
                if response.status_code != 201:
                    raise RuntimeError(f"bare: {response.status_code}")
                return (time.perf_counter() - t0) * 1000, 0.0
            return step

        def floor_worker(http, index):
            # The project's cheapest authenticated request: one case read by its clerk.
            http.base_url = project
            headers = {"Authorization": f"Bearer {_bearer(http, f'load-clerk-{index}')}"}

            def step():
                t0 = time.perf_counter()
                response = http.get(f"{API}/applications/{case_id}", headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"read: {response.status_code}")
                return (time.perf_counter() - t0) * 1000, 0.0
            return step

        results = []
        for clients in args.clients:
            pairs = _drive(clients, args.seconds, project_worker)
            reference = _drive(clients, args.seconds, bare_worker)
            floor = _drive(clients, args.seconds, floor_worker)
            results.append((clients, pairs, reference, floor))
    finally:
        for server in servers:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
    licences, duplicates, missing = _check(app)
    drop_scratch(app)

    for clients, pairs, reference, floor in results:
        errors = pairs.errors + reference.errors + floor.errors
        if errors:
            print(f"clients={clients} first errors:", *errors[:5],
                  sep="\n  ", file=sys.stderr)
        lines.append(
            f"pairs_per_s={pairs.rate:.1f} bare_per_s={reference.rate:.1f} "
            f"ratio={pairs.rate / reference.rate if reference.rate else 0:.2f} "
            f"submit_p95_ms={_p95(pairs.first):.0f} decision_p95_ms={_p95(pairs.second):.0f} "
            f"statements_per_pair={submit_count + decision_count}")
        print(f"clients={clients} workers={args.workers} seconds={args.seconds:g} "
              f"pair_errors={len(pairs.errors)} bare_errors={len(reference.errors)} "
              f"bare_p95_ms={_p95(reference.first):.0f} submit_statements={submit_count} "
              f"decision_statements={decision_count} read_statements={read_count} "
              f"read_per_s={floor.rate:.1f} read_p95_ms={_p95(floor.first):.0f} "
              f"read_over_bare={floor.rate / reference.rate if reference.rate else 0:.2f} "
              f"| {lines[-1]}")
    print(f"licences={licences} duplicates={duplicates} missing={missing} "
          f"db={described.split()[0]}")
    return lines[0]


if __name__ == "__main__":
    print(main())
