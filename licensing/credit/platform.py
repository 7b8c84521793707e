"""The provincial credit information sharing platform (省信用信息共享平台), behind an interface.

``CreditPlatform`` is what the services need: ``query(kind, code)`` for a subject's records and
``push(message)`` for an outbox message. Two implementations:

* ``HttpCreditPlatform`` speaks the JSON contract of docs/credit-platform.md over httpx, with a
  bounded time budget per call, a small number of retries on connection errors and gateway
  errors, and a circuit breaker (pybreaker) shared by every adapter of the same base URL in the
  process: after ``fail_max`` failures in a row it answers ``PlatformUnavailable`` at once for
  ``reset_timeout_s`` seconds, so an outage costs the counter no waiting at all.
* ``LocalOnlyPlatform`` when no URL is configured: the local registry is the only source.

``platform_from_settings(settings)`` builds the right one; ``get_platform()`` returns the
application's (cached on the app, replaceable in tests with ``set_platform``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from time import monotonic, sleep
from typing import Any, Protocol, runtime_checkable

import httpx
import pybreaker

from licensing.applicants.identity import ApplicantKind, normalise_code
from licensing.applicants.models import RISK_LEVELS
from licensing.credit.models import CreditRecordType

__all__ = [
    "CreditPlatform",
    "HttpCreditPlatform",
    "LocalOnlyPlatform",
    "PlatformAnswer",
    "PlatformBadAnswer",
    "PlatformError",
    "PlatformNotConfigured",
    "PlatformRecord",
    "PlatformRejected",
    "PlatformUnavailable",
    "PushMessage",
    "breaker_for",
    "get_platform",
    "parse_answer",
    "platform_from_settings",
    "set_platform",
]

#: Largest body accepted from the platform; anything bigger is a bad answer.
MAX_BODY_BYTES = 2 * 1024 * 1024
#: Gateway errors worth one quick retry inside the same call.
RETRYABLE_STATUS = frozenset({502, 503, 504})
#: Statuses that mean "not now" rather than "never" for a push.
TRANSIENT_STATUS = frozenset({408, 425, 429})
DEFAULT_BREAKER_FAIL_MAX = 5
DEFAULT_BREAKER_RESET_S = 30.0
PLATFORM_RECORD_STATUSES = ("active", "repaired", "withdrawn")


# --- errors -----------------------------------------------------------------------------------


class PlatformError(Exception):
    """The platform did not give a usable answer. ``str()`` is a Chinese explanation."""


class PlatformUnavailable(PlatformError):
    """No answer in time: timeout, refused or reset connection, 5xx, 429, or the breaker open."""

    def __init__(self, message: str, *, breaker_open: bool = False):
        super().__init__(message)
        self.breaker_open = breaker_open


class PlatformNotConfigured(PlatformUnavailable):
    """No platform URL is configured: the local registry is the source."""


class PlatformBadAnswer(PlatformError):
    """An answer that breaks the contract: not JSON, the wrong shape, unknown values."""


class PlatformRejected(PlatformError):
    """The platform refused a push for good (a 4xx other than 408/425/429)."""

    def __init__(self, message: str, status_code: int):
        super().__init__(message)
        self.status_code = status_code


# --- what the platform says ---------------------------------------------------------------------


@dataclass(frozen=True)
class PlatformRecord:
    """One record in the platform's answer."""

    external_ref: str
    record_type: CreditRecordType
    start_on: date
    repaired_on: date | None = None
    status: str = "active"
    issuer: str | None = None
    summary: str | None = None


@dataclass(frozen=True)
class PlatformAnswer:
    """The platform's answer about one subject."""

    kind: ApplicantKind
    code: str
    name: str | None
    risk_level: str | None
    records: tuple[PlatformRecord, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class PushMessage(Protocol):
    """What ``push`` needs of a message (``OutboxMessage`` has it)."""

    kind: Any
    idempotency_key: str
    payload: Mapping[str, Any]


@runtime_checkable
class CreditPlatform(Protocol):
    """The credit platform as the services see it."""

    #: False for ``LocalOnlyPlatform``: the local registry is then the source, not degraded.
    configured: bool

    def query(self, kind: ApplicantKind | str, code: str) -> PlatformAnswer:
        """Return the subject's records; raise ``PlatformUnavailable`` or ``PlatformBadAnswer``."""
        ...

    def push(self, message: PushMessage) -> dict:
        """Deliver one message; return the receipt, or raise a ``PlatformError``."""
        ...


def _parse_date(value: Any, what: str) -> date:
    if not isinstance(value, str):
        raise PlatformBadAnswer(f"信用平台应答格式错误：{what}不是日期字符串。")
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise PlatformBadAnswer(
            f"信用平台应答格式错误：{what}“{value[:20]}”不是有效日期。") from None


def _optional_text(value: Any, what: str, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PlatformBadAnswer(f"信用平台应答格式错误：{what}应为字符串。")
    return value[:limit]


def parse_answer(body: Any, kind: ApplicantKind | str, code: str) -> PlatformAnswer:
    """Check a query answer against the contract and turn it into a ``PlatformAnswer``.

    Anything that does not fit (a non-object, missing ``records``, an unknown record type or
    status, a bad date, a risk level outside A-D, an answer about another subject) raises
    ``PlatformBadAnswer``: a half-understood answer is never used to decide eligibility.
    """
    kind = ApplicantKind(kind)
    if not isinstance(body, dict):
        raise PlatformBadAnswer("信用平台应答格式错误：应为JSON对象。")
    answered_code = body.get("code")
    if answered_code is not None and normalise_code(str(answered_code)) != normalise_code(code):
        raise PlatformBadAnswer("信用平台应答格式错误：应答的主体与查询的主体不一致。")
    raw_records = body.get("records")
    if not isinstance(raw_records, list):
        raise PlatformBadAnswer("信用平台应答格式错误：缺少records列表。")
    risk_level = body.get("risk_level")
    if risk_level is not None and risk_level not in RISK_LEVELS:
        raise PlatformBadAnswer("信用平台应答格式错误：信用风险等级应为A、B、C、D之一。")
    records = []
    for index, item in enumerate(raw_records, start=1):
        if not isinstance(item, dict):
            raise PlatformBadAnswer(f"信用平台应答格式错误：第{index}条记录不是JSON对象。")
        try:
            record_type = CreditRecordType(item.get("record_type"))
        except ValueError:
            raise PlatformBadAnswer(
                f"信用平台应答格式错误：第{index}条记录的类型“{item.get('record_type')}”未知。"
            ) from None
        external_ref = item.get("id")
        if not isinstance(external_ref, str | int) or str(external_ref).strip() == "":
            raise PlatformBadAnswer(f"信用平台应答格式错误：第{index}条记录缺少编号id。")
        status = item.get("status", "active")
        if status not in PLATFORM_RECORD_STATUSES:
            raise PlatformBadAnswer(f"信用平台应答格式错误：第{index}条记录的状态“{status}”未知。")
        start_on = _parse_date(item.get("start_on"), f"第{index}条记录的start_on")
        repaired_on = (None if item.get("repaired_on") in (None, "")
                       else _parse_date(item.get("repaired_on"), f"第{index}条记录的repaired_on"))
        if status == "repaired" and repaired_on is None:
            raise PlatformBadAnswer(
                f"信用平台应答格式错误：第{index}条记录已修复但缺少修复日期。")
        if repaired_on is not None and repaired_on < start_on:
            raise PlatformBadAnswer(
                f"信用平台应答格式错误：第{index}条记录的修复日期早于认定日期。")
        if repaired_on is not None and status == "active":
            status = "repaired"
        records.append(PlatformRecord(
            external_ref=str(external_ref).strip()[:100],
            record_type=record_type,
            start_on=start_on,
            repaired_on=repaired_on,
            status=status,
            issuer=_optional_text(item.get("issuer"), f"第{index}条记录的issuer", 200),
            summary=_optional_text(item.get("summary"), f"第{index}条记录的summary", 2000),
        ))
    return PlatformAnswer(
        kind=kind,
        code=normalise_code(code),
        name=_optional_text(body.get("name"), "name", 200),
        risk_level=risk_level,
        records=tuple(records),
        raw=body,
    )


# --- circuit breakers -------------------------------------------------------------------------

_breakers: dict[str, pybreaker.CircuitBreaker] = {}
_breakers_lock = threading.Lock()


def breaker_for(base_url: str, *, fail_max: int = DEFAULT_BREAKER_FAIL_MAX,
                reset_timeout_s: float = DEFAULT_BREAKER_RESET_S) -> pybreaker.CircuitBreaker:
    """Return the process-wide circuit breaker of a platform URL, creating it on first use.

    Every adapter of the same URL shares it, so the counters of one worker process learn of an
    outage once. Each worker process has its own (documented in docs/credit-platform.md).
    """
    key = base_url.rstrip("/")
    with _breakers_lock:
        breaker = _breakers.get(key)
        if breaker is None:
            breaker = pybreaker.CircuitBreaker(
                fail_max=fail_max, reset_timeout=reset_timeout_s, name=f"credit:{key}",
                exclude=[PlatformRejected], throw_new_error_on_trip=False)
            _breakers[key] = breaker
        return breaker


# --- the HTTP adapter ---------------------------------------------------------------------------


class HttpCreditPlatform:
    """The platform over HTTP (JSON), as described in docs/credit-platform.md.

    ``timeout_s`` bounds each connect and each read; a query as a whole gets
    ``timeout_s * 1.5`` (``query_budget_s``): retries happen only inside that budget, and a body
    that trickles in past it is abandoned. ``retries`` is how many extra attempts a refused
    connection or a 502/503/504 gets (a timeout is never retried: it already cost the budget).
    """

    configured = True

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 2.0,
        retries: int = 1,
        retry_pause_s: float = 0.1,
        token: str | None = None,
        breaker: pybreaker.CircuitBreaker | None = None,
        transport: httpx.BaseTransport | None = None,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("credit platform URL must start with http:// or https://")
        self.base_url = base_url.rstrip("/")
        self.timeout_s = float(timeout_s)
        self.retries = max(0, min(int(retries), 3))
        self.retry_pause_s = retry_pause_s
        self.breaker = breaker if breaker is not None else breaker_for(self.base_url)
        headers = {"Accept": "application/json", "User-Agent": "licensing-credit/1"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.Client(base_url=self.base_url, headers=headers, transport=transport,
                                    timeout=httpx.Timeout(self.timeout_s), follow_redirects=False)

    @property
    def query_budget_s(self) -> float:
        """The longest a query may take, retries included."""
        return self.timeout_s * 1.5

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()

    def __repr__(self) -> str:
        return f"<HttpCreditPlatform {self.base_url} timeout={self.timeout_s}s>"

    # the breaker: every call goes through it; its refusal becomes PlatformUnavailable
    def _guarded(self, fn, *args):
        try:
            return self.breaker.call(fn, *args)
        except pybreaker.CircuitBreakerError:
            raise PlatformUnavailable(
                f"信用平台连续无应答，已暂停访问（熔断，约{int(self.breaker.reset_timeout)}秒后重试）。",
                breaker_open=True) from None

    def _send(self, method: str, path: str, budget_s: float, **kwargs) -> tuple[int, bytes]:
        deadline = monotonic() + budget_s
        attempt = 0
        while True:
            remaining = deadline - monotonic()
            timeout = max(0.05, min(self.timeout_s, remaining))
            try:
                return self._send_once(method, path, timeout, deadline, **kwargs)
            except _Retryable as exc:
                error = exc.error
            attempt += 1
            if attempt > self.retries or deadline - monotonic() < self.retry_pause_s + 0.1:
                raise error
            sleep(self.retry_pause_s * attempt)

    def _send_once(self, method, path, timeout, deadline, **kwargs) -> tuple[int, bytes]:
        try:
            with self._client.stream(method, path, timeout=timeout, **kwargs) as response:
                if response.status_code in RETRYABLE_STATUS:
                    raise _Retryable(PlatformUnavailable(
                        f"信用平台暂时不可用（HTTP {response.status_code}）。"))
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_BODY_BYTES:
                        raise PlatformBadAnswer("信用平台应答过大。")
                    if monotonic() > deadline + self.timeout_s:
                        raise PlatformUnavailable("信用平台应答过慢，已放弃等待。")
                    chunks.append(chunk)
                return response.status_code, b"".join(chunks)
        except httpx.TimeoutException:
            raise PlatformUnavailable(f"信用平台在{timeout:.1f}秒内没有应答（超时）。") from None
        except httpx.TransportError as exc:
            raise _Retryable(PlatformUnavailable(
                f"无法连接信用平台（{type(exc).__name__}）。")) from None

    @staticmethod
    def _json(content: bytes) -> Any:
        try:
            return json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise PlatformBadAnswer("信用平台应答格式错误：不是有效的JSON。") from None

    def query(self, kind: ApplicantKind | str, code: str) -> PlatformAnswer:
        """``GET /v1/credit/<kind>/<code>``: the subject's records and risk level."""
        kind = ApplicantKind(kind)
        code = normalise_code(code)

        def call() -> PlatformAnswer:
            status, content = self._send("GET", f"/v1/credit/{kind.value}/{code}",
                                         self.query_budget_s)
            if status == 404:
                return PlatformAnswer(kind=kind, code=code, name=None, risk_level=None,
                                      records=(), raw={"http_status": 404})
            if status >= 500 or status in TRANSIENT_STATUS:
                raise PlatformUnavailable(f"信用平台暂时不可用（HTTP {status}）。")
            if status != 200:
                raise PlatformBadAnswer(f"信用平台拒绝了查询（HTTP {status}）。")
            return parse_answer(self._json(content), kind, code)

        return self._guarded(call)

    def push(self, message: PushMessage) -> dict:
        """``POST /v1/pushes`` with the ``Idempotency-Key`` header; return the receipt."""
        kind = getattr(message.kind, "value", message.kind)
        body = {"kind": kind, "idempotency_key": message.idempotency_key,
                "payload": dict(message.payload)}

        def call() -> dict:
            status, content = self._send(
                "POST", "/v1/pushes", self.timeout_s * 2,
                json=body, headers={"Idempotency-Key": message.idempotency_key})
            if status >= 500 or status in TRANSIENT_STATUS:
                raise PlatformUnavailable(f"信用平台暂时不可用（HTTP {status}）。")
            if status not in (200, 201):
                excerpt = content[:200].decode("utf-8", "replace")
                raise PlatformRejected(f"信用平台拒收（HTTP {status}）：{excerpt}", status)
            receipt = self._json(content)
            if not isinstance(receipt, dict) or not receipt.get("receipt_id"):
                raise PlatformBadAnswer("信用平台回执格式错误：缺少receipt_id。")
            return receipt

        return self._guarded(call)


class _Retryable(Exception):  # internal: never escapes _send
    def __init__(self, error: PlatformUnavailable):
        super().__init__(str(error))
        self.error = error


class LocalOnlyPlatform:
    """No platform configured: the local registry is the source; pushes wait in the outbox."""

    configured = False

    def query(self, kind: ApplicantKind | str, code: str) -> PlatformAnswer:
        """Always raise ``PlatformNotConfigured``."""
        raise PlatformNotConfigured("未配置信用平台地址，以本地信用记录为准。")

    def push(self, message: PushMessage) -> dict:
        """Always raise ``PlatformNotConfigured``."""
        raise PlatformNotConfigured("未配置信用平台地址，消息保留在推送队列中。")

    def __repr__(self) -> str:
        return "<LocalOnlyPlatform>"


def platform_from_settings(settings) -> CreditPlatform:
    """Build the platform adapter the settings describe.

    ``credit_platform_url`` empty → ``LocalOnlyPlatform``. Otherwise ``HttpCreditPlatform`` with
    ``credit_platform_timeout_s``; ``settings.extra`` may add ``credit_platform_token`` (a bearer
    token), ``credit_platform_retries`` (default 1), ``credit_breaker_fail_max`` (default 5) and
    ``credit_breaker_reset_s`` (default 30).
    """
    url = (settings.credit_platform_url or "").strip()
    if not url:
        return LocalOnlyPlatform()
    extra = settings.extra or {}
    breaker = breaker_for(
        url,
        fail_max=int(extra.get("credit_breaker_fail_max", DEFAULT_BREAKER_FAIL_MAX)),
        reset_timeout_s=float(extra.get("credit_breaker_reset_s", DEFAULT_BREAKER_RESET_S)),
    )
    return HttpCreditPlatform(
        url,
        timeout_s=settings.credit_platform_timeout_s,
        retries=int(extra.get("credit_platform_retries", 1)),
        token=extra.get("credit_platform_token"),
        breaker=breaker,
    )


_EXTENSION_KEY = "credit_platform"


def get_platform() -> CreditPlatform:
    """Return the current application's platform adapter (built once from its settings)."""
    from flask import current_app

    platform = current_app.extensions.get(_EXTENSION_KEY)
    if platform is None:
        platform = platform_from_settings(current_app.config["SETTINGS"])
        current_app.extensions[_EXTENSION_KEY] = platform
    return platform


def set_platform(app, platform: CreditPlatform | None) -> None:
    """Replace the application's platform adapter (tests, the demo); ``None`` rebuilds it."""
    if platform is None:
        app.extensions.pop(_EXTENSION_KEY, None)
    else:
        app.extensions[_EXTENSION_KEY] = platform
