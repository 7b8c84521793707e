"""A small fake of the credit platform for tests and the demo, over real HTTP on 127.0.0.1.

It speaks the contract of docs/credit-platform.md and can be told to misbehave:

=============  ==========================================================================
mode           behaviour
=============  ==========================================================================
normal         answers queries from its subjects, accepts pushes (deduplicated by key)
slow           sleeps ``slow_s`` seconds before answering (longer than any client timeout)
error          answers every request with HTTP 503
malformed      answers with a body that is not JSON
wrong_shape    answers with JSON that breaks the contract (no ``records``)
lost_reply     applies a push, then answers 503: the sender must retry, and the retry is
               recognised as a duplicate by its idempotency key
reject         refuses every push with HTTP 422
=============  ==========================================================================

``stop()`` closes the socket, so the next connection is refused; ``start()`` opens it again on
the same port. ``received`` counts every push request per idempotency key (repeats included),
``receipts`` keeps the first, applied one: "exactly once as the platform sees it" means every
key is in ``receipts`` once, whatever ``received`` says.

Demo: ``flask --app wsgi credit fake-platform --port 5055``; switch modes while it runs with
``curl -X POST http://127.0.0.1:5055/_control/mode -d slow``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = ("normal", "slow", "error", "malformed", "wrong_shape", "lost_reply", "reject")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeCreditPlatform


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "FakeCreditPlatform/1"

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: requests carry identity codes, which must not reach the logs."""

    def _reply(self, status: int, body: Any = None, raw: bytes | None = None) -> None:
        content = raw if raw is not None else json.dumps(body, ensure_ascii=False).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(content)))
            self.end_headers()
            self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout)
            pass

    def _misbehave(self) -> bool:
        fake = self.server.fake
        mode = fake.mode
        if fake.consume_failure():
            self._reply(503, {"error": "injected failure"})
            return True
        if mode == "slow":
            fake.wait(fake.slow_s)
            return False
        if mode == "error":
            self._reply(503, {"error": "service unavailable"})
            return True
        if mode == "malformed":
            self._reply(200, raw=b'{"records": [ this is not json')
            return True
        if mode == "wrong_shape":
            self._reply(200, {"result": "ok", "data": None})
            return True
        return False

    def do_GET(self) -> None:
        """Answer ``/v1/credit/<kind>/<code>`` and ``/_control/state``."""
        fake = self.server.fake
        parts = self.path.split("?")[0].strip("/").split("/")
        if parts == ["_control", "state"]:
            self._reply(200, fake.state())
            return
        if len(parts) != 4 or parts[:2] != ["v1", "credit"]:
            self._reply(404, {"error": "not found"})
            return
        fake.count_query()
        if self._misbehave():
            return
        self._reply(200, fake.answer(parts[2], parts[3]))

    def do_POST(self) -> None:
        """Accept ``/v1/pushes`` and ``/_control/mode``."""
        fake = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        content = self.rfile.read(length) if length else b""
        path = self.path.split("?")[0].rstrip("/")
        if path == "/_control/mode":
            mode = content.decode("utf-8", "replace").strip()
            if mode not in MODES:
                self._reply(400, {"error": f"mode must be one of {', '.join(MODES)}"})
                return
            fake.set_mode(mode)
            self._reply(200, {"mode": mode})
            return
        if path != "/v1/pushes":
            self._reply(404, {"error": "not found"})
            return
        key = self.headers.get("Idempotency-Key", "").strip()
        if not key:
            self._reply(400, {"error": "Idempotency-Key header required"})
            return
        if self._misbehave():
            return
        if fake.mode == "reject":
            self._reply(422, {"error": "payload refused"})
            return
        try:
            body = json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            self._reply(400, {"error": "body must be JSON"})
            return
        receipt = fake.accept_push(key, body)
        if fake.mode == "lost_reply":
            self._reply(503, {"error": "reply lost"})
            return
        self._reply(201 if not receipt["duplicate"] else 200, receipt)


class FakeCreditPlatform:
    """The fake platform: start it, feed it subjects, switch its mode, count what it got."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, slow_s: float = 5.0):
        self.host = host
        self.port = port
        self.slow_s = slow_s
        self.mode = "normal"
        self.subjects: dict[tuple[str, str], dict[str, Any]] = {}
        self.receipts: dict[str, dict[str, Any]] = {}
        self.pushes: dict[str, dict[str, Any]] = {}
        self.received: Counter[str] = Counter()
        self.queries = 0
        self._fail_next = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # --- life cycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL to configure as ``CREDIT_PLATFORM_URL``."""
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the socket is open."""
        return self._server is not None

    def start(self) -> FakeCreditPlatform:
        """Open the socket (the same port again after a ``stop``) and serve in a thread."""
        if self._server is not None:
            return self
        self._wake.clear()
        server = _Server((self.host, self.port), _Handler)
        server.fake = self
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"fake-credit-platform:{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the socket: connections are refused until ``start`` again."""
        server, self._server = self._server, None
        if server is None:
            return
        self._wake.set()  # release handlers sleeping in slow mode
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (the CLI)."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(timeout=0.5)
        finally:
            self.stop()

    def __enter__(self) -> FakeCreditPlatform:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- control ------------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        """Switch the behaviour (see the module docstring)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        if mode != "slow":
            self._wake.set()
            self._wake = threading.Event()

    def fail_next(self, count: int) -> None:
        """Answer the next ``count`` requests with 503, whatever the mode."""
        with self._lock:
            self._fail_next = count

    def consume_failure(self) -> bool:
        """Use up one injected failure, if any is left."""
        with self._lock:
            if self._fail_next > 0:
                self._fail_next -= 1
                return True
            return False

    def wait(self, seconds: float) -> None:
        """Sleep, waking early when the server stops."""
        self._wake.wait(seconds)

    # --- data ---------------------------------------------------------------------------------

    def add_subject(self, kind: str, code: str, name: str | None = None,
                    risk_level: str | None = None) -> dict[str, Any]:
        """Register a subject (creating it if new) and return its entry."""
        with self._lock:
            subject = self.subjects.setdefault((kind, code.upper()),
                                               {"name": name, "risk_level": None, "records": []})
            if name is not None:
                subject["name"] = name
            if risk_level is not None:
                subject["risk_level"] = risk_level
            return subject

    def add_record(self, kind: str, code: str, record_type: str, start_on: date | str, *,
                   record_id: str | None = None, repaired_on: date | str | None = None,
                   status: str | None = None, issuer: str | None = None,
                   summary: str | None = None, name: str | None = None) -> dict[str, Any]:
        """Add a record to a subject; return it as the platform will serve it."""
        subject = self.add_subject(kind, code, name)
        with self._lock:
            record = {
                "id": record_id or f"PLT-{len(subject['records']) + 1:04d}-{code[-6:]}",
                "record_type": record_type,
                "start_on": str(start_on),
                "repaired_on": str(repaired_on) if repaired_on else None,
                "status": status or ("repaired" if repaired_on else "active"),
                "issuer": issuer,
                "summary": summary,
            }
            subject["records"].append(record)
            return record

    def answer(self, kind: str, code: str) -> dict[str, Any]:
        """The query answer for a subject (an empty record list for an unknown one)."""
        with self._lock:
            subject = self.subjects.get((kind, code.upper()),
                                        {"name": None, "risk_level": None, "records": []})
            return {
                "code": code.upper(),
                "kind": kind,
                "name": subject["name"],
                "risk_level": subject["risk_level"],
                "records": [dict(r) for r in subject["records"]],
                "queried_at": datetime.now(UTC).isoformat(),
            }

    def count_query(self) -> None:
        """Count one query request."""
        with self._lock:
            self.queries += 1

    def accept_push(self, key: str, body: dict[str, Any]) -> dict[str, Any]:
        """Apply a push once per key; a repeat gets the first receipt, marked duplicate."""
        with self._lock:
            self.received[key] += 1
            if key in self.receipts:
                return {**self.receipts[key], "duplicate": True}
            receipt = {
                "receipt_id": f"R{len(self.receipts) + 1:06d}",
                "received_at": datetime.now(UTC).isoformat(),
                "duplicate": False,
            }
            self.receipts[key] = receipt
            self.pushes[key] = body
            return dict(receipt)

    @property
    def duplicates(self) -> int:
        """How many push requests repeated a key already applied."""
        with self._lock:
            return sum(self.received.values()) - len(self.receipts)

    def state(self) -> dict[str, Any]:
        """Counts for ``/_control/state``."""
        with self._lock:
            return {"mode": self.mode, "queries": self.queries, "applied": len(self.receipts),
                    "received": sum(self.received.values()),
                    "subjects": len(self.subjects)}

