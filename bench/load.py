"""Monday morning at the counter: gunicorn (4 workers) on PostgreSQL, 32 counter journeys at once.

Each virtual counter logs in as its own clerk and runs complete commitment-track journeys through
the pages (new application, notice, track and credit check, commitment modes, letter, signature),
then its approver decides on the spot. After the run the database is checked: every approved
application has exactly one licence and one verification task, and the licence numbers of each
department and year run 1..N without a gap or a duplicate.

Options: --seconds 60 --clients 32 --workers 4 [--kill-worker-at 20] [--restart-postgres-at 30]
  --kill-worker-at S      kill -9 one gunicorn worker S seconds in (gunicorn starts a new one)
  --restart-postgres-at S restart the local PostgreSQL cluster S seconds in
Bounded: 127.0.0.1 only, a fixed duration, stops by itself.
Last line: journeys_per_s=... p99_ms=... errors=... duplicates=... missing=... db=...
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import httpx  # noqa: E402

from bench._common import bench_app, drop_scratch  # noqa: E402

ROOT = _HERE.parent
ITEM = "XK-WJ-001"
PASSWORD = "load-test-password-1"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TOKEN_RE = re.compile(r'name="submission_token" type="hidden" value="([^"]+)"')
DIGEST_RE = re.compile(r'name="letter_digest" type="hidden" value="([0-9a-f]{64})"')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _credit_code(seed: int) -> str:
    from licensing.applicants.identity import credit_code_check_char

    first17 = f"91130682LT{seed:07d}"[:17]
    return first17 + credit_code_check_char(first17)


class Counter:
    """One counter: a clerk and an approver session against the server."""

    def __init__(self, base: str, index: int):
        self.base = base
        self.index = index
        self.clerk = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
        self.approver = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
        self.seq = 0

    def login(self) -> None:
        for client, name in ((self.clerk, f"load-clerk-{self.index}"),
                             (self.approver, f"load-approver-{self.index}")):
            page = client.get("/login").text
            response = client.post("/login", data={"username": name, "password": PASSWORD,
                                                   "csrf_token": CSRF_RE.search(page).group(1)})
            if response.status_code != 302:
                raise RuntimeError(f"login failed for {name}: {response.status_code}")

    def _post(self, client, url: str, data: dict, csrf_source: str) -> httpx.Response:
        data = {**data, "csrf_token": CSRF_RE.search(csrf_source).group(1)}
        response = client.post(url, data=data)
        if response.status_code != 302:
            raise RuntimeError(f"POST {url}: {response.status_code}")
        return response

    def journey(self) -> None:
        self.seq += 1
        form = self.clerk.get("/applications/new").text
        response = self._post(self.clerk, "/applications/new", {
            "item_code": ITEM, "applicant_kind": "enterprise",
            "applicant_code": _credit_code(self.index * 100000 + self.seq),
            "applicant_name": f"压测企业{self.index}-{self.seq}", "applicant_phone": "13812345678",
            "submission_token": TOKEN_RE.search(form).group(1)}, form)
        case = response.headers["location"]
        page = self.clerk.get(case).text
        self._post(self.clerk, f"{case}/notice", {}, page)
        self._post(self.clerk, f"{case}/track", {"track": "commitment"}, page)
        page = self.clerk.get(case).text
        modes = dict(re.findall(r'<select id="mode-([^"]+)" name="mode-[^"]+">\s*'
                                r'<option value="submitted">现场提交</option>\s*'
                                r'(?:<option value="([a-z_]+)")?', page))
        self._post(self.clerk, f"{case}/commitments",
                   {f"mode-{code}": mode or "submitted" for code, mode in modes.items()}, page)
        page = self.clerk.get(case).text
        digest = DIGEST_RE.search(page)
        if digest is None:
            raise RuntimeError("letter not shown")
        self._post(self.clerk, f"{case}/sign", {"signer_name": "压测签署人",
                                                "letter_digest": digest.group(1)}, page)
        page = self.approver.get(case).text
        self._post(self.approver, f"{case}/decision", {"outcome": "approve"}, page)
        result = self.approver.get(case).text
        if 'id="licence-number"' not in result:
            raise RuntimeError("no licence after approval")


def _prepare(app, accounts: int = 64) -> None:
    """Migrate, load the demo data, and add ``accounts`` clerks and approvers of xzspj."""
    from flask_migrate import upgrade

    from licensing.auth.models import Role
    from licensing.auth.passwords import use_cheap_hashing_for_tests
    from licensing.auth.services import create_user, department_by_code
    from licensing.demo import load_all
    from licensing.extensions import db

    use_cheap_hashing_for_tests()  # many accounts: the login cost is not what is measured
    with app.app_context():
        upgrade()
        load_all()
        xzspj = department_by_code("xzspj")
        for i in range(accounts):
            create_user(f"load-clerk-{i}", PASSWORD, Role.clerk, xzspj)
            create_user(f"load-approver-{i}", PASSWORD, Role.approver, xzspj)
        db.session.commit()


def _check(app) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from licensing.cases.models import Application, ApplicationStatus, Licence
    from licensing.extensions import db
    from licensing.supervision.models import VerificationTask

    with app.app_context():
        approved = db.session.scalar(select(func.count(Application.id)).where(
            Application.status == ApplicationStatus.approved))
        rows = db.session.execute(select(Licence.approval_department_id, Licence.year,
                                         Licence.seq)).all()
        tasks = db.session.scalar(select(func.count(VerificationTask.id)))
        duplicates = len(rows) - len(set(rows))
        missing = 0
        by_year: dict[tuple[int, int], list[int]] = {}
        for dept, year, seq in rows:
            by_year.setdefault((dept, year), []).append(seq)
        for seqs in by_year.values():
            missing += max(seqs) - len(set(seqs))
        missing += abs(approved - len(rows)) + abs(tasks - len(rows))
        return len(rows), duplicates, missing


def main() -> str:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill-worker-at", type=float, default=None)
    parser.add_argument("--restart-postgres-at", type=float, default=None)
    args = parser.parse_args()
    if args.clients > 64:
        parser.error("at most 64 clients")

    app, described = bench_app("load")
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    _prepare(app)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "load-" + "k" * 40,
           "LICENSING_INSTANCE_DIR": app.instance_path, "LICENSING_ENV": "development"}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--workers", str(args.workers), "--bind",
         f"127.0.0.1:{port}", "--timeout", "60", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/login", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        latencies: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        deadline = time.monotonic() + args.seconds
        started = time.monotonic()

        def run(index: int) -> None:
            counter = Counter(base, index)
            try:
                counter.login()
            except Exception as exc:
                with lock:
                    errors.append(f"login: {exc}")
                return
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                try:
                    counter.journey()
                except Exception as exc:
                    with lock:
                        errors.append(str(exc)[:200])
                    continue
                with lock:
                    latencies.append((time.perf_counter() - t0) * 1000)

        def faults() -> None:
            if args.kill_worker_at is not None:
                time.sleep(args.kill_worker_at)
                workers = subprocess.run(["pgrep", "-P", str(server.pid)], capture_output=True,
                                         text=True).stdout.split()
                if workers:
                    os.kill(int(workers[0]), signal.SIGKILL)
                    print(f"killed worker {workers[0]}", file=sys.stderr)
            if args.restart_postgres_at is not None:
                time.sleep(max(0, args.restart_postgres_at - (args.kill_worker_at or 0)))
                cluster = os.listdir("/etc/postgresql")[0]
                subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", cluster, "main",
                                "restart"], check=False)
                print("restarted PostgreSQL", file=sys.stderr)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(args.clients)]
        threads.append(threading.Thread(target=faults, daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads[:-1]:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    licences, duplicates, missing = _check(app)
    drop_scratch(app)
    if errors:
        print("first errors:", *errors[:5], sep="\n  ", file=sys.stderr)
    p99 = statistics.quantiles(latencies, n=100)[98] if len(latencies) >= 2 else float("nan")
    return (f"journeys_per_s={len(latencies) / elapsed:.1f} p99_ms={p99:.0f} "
            f"errors={len(errors)} duplicates={duplicates} missing={missing} "
            f"licences={licences} clients={args.clients} workers={args.workers} "
            f"db={described.split()[0]}")


if __name__ == "__main__":
    print(main())
