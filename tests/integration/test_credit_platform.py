"""The HTTP adapter over a real connection to the fake platform, in each of its failure modes."""

from __future__ import annotations

import json
import socket
from time import monotonic
from types import SimpleNamespace

import httpx
import pytest

from config.settings import Settings
from licensing.credit.platform import (
    HttpCreditPlatform,
    LocalOnlyPlatform,
    PlatformBadAnswer,
    PlatformNotConfigured,
    PlatformRejected,
    PlatformUnavailable,
    breaker_for,
    platform_from_settings,
)
from tests.credit_fake_platform import http_platform, running_fake_platform

CODE = "91350100M000100Y43"


def push_message(key: str = "commitment_made:licence:1"):
    return SimpleNamespace(kind="commitment_made", idempotency_key=key,
                           payload={"subject": {"code": CODE}})


@pytest.fixture
def fake():
    with running_fake_platform(slow_s=5.0) as server:
        yield server


def test_query_normal(fake):
    fake.add_subject("enterprise", CODE, "某某有限公司", risk_level="B")
    fake.add_record("enterprise", CODE, "serious_dishonesty", "2025-05-06", record_id="R-9",
                    issuer="省市场监管局")
    answer = http_platform(fake).query("enterprise", CODE.lower())
    assert answer.name == "某某有限公司" and answer.risk_level == "B"
    assert answer.records[0].external_ref == "R-9"
    assert answer.raw["records"][0]["issuer"] == "省市场监管局"


def test_query_unknown_subject_has_no_records(fake):
    answer = http_platform(fake).query("individual", "11010519491231002X")
    assert answer.records == () and answer.risk_level is None


def test_slow_platform_times_out_within_the_budget(fake):
    fake.set_mode("slow")
    platform = http_platform(fake, timeout_s=0.4)
    started = monotonic()
    with pytest.raises(PlatformUnavailable, match="超时"):
        platform.query("enterprise", CODE)
    assert monotonic() - started < platform.query_budget_s + 0.5


def test_5xx_is_unavailable_after_one_quick_retry(fake):
    fake.set_mode("error")
    with pytest.raises(PlatformUnavailable, match="503"):
        http_platform(fake, retries=1).query("enterprise", CODE)
    assert fake.queries == 2


def test_a_single_5xx_is_absorbed_by_the_retry(fake):
    fake.fail_next(1)
    answer = http_platform(fake, retries=1).query("enterprise", CODE)
    assert answer.records == () and fake.queries == 2


@pytest.mark.parametrize("mode", ["malformed", "wrong_shape"])
def test_malformed_body_is_a_bad_answer(fake, mode):
    fake.set_mode(mode)
    with pytest.raises(PlatformBadAnswer):
        http_platform(fake).query("enterprise", CODE)


def test_refused_connection_is_unavailable(fake):
    platform = http_platform(fake)
    fake.stop()
    started = monotonic()
    with pytest.raises(PlatformUnavailable, match="无法连接"):
        platform.query("enterprise", CODE)
    assert monotonic() - started < 1.0


def test_nothing_listening_at_all():
    with socket.socket() as sock:  # a port that was free a moment ago
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(PlatformUnavailable):
        http_platform(f"http://127.0.0.1:{port}").query("enterprise", CODE)


def test_breaker_opens_after_repeated_failures_and_closes_after_the_reset(fake):
    fake.set_mode("slow")
    platform = http_platform(fake, timeout_s=0.3, fail_max=2, reset_s=0.6)
    for _ in range(2):
        with pytest.raises(PlatformUnavailable) as caught:
            platform.query("enterprise", CODE)
        assert not caught.value.breaker_open
    assert platform.breaker.current_state == "open"
    queries_before = fake.queries
    started = monotonic()
    with pytest.raises(PlatformUnavailable) as caught:
        platform.query("enterprise", CODE)
    assert caught.value.breaker_open and monotonic() - started < 0.1
    assert fake.queries == queries_before  # the platform was not even asked
    fake.set_mode("normal")
    deadline = monotonic() + 3
    while monotonic() < deadline:
        try:
            platform.query("enterprise", CODE)
            break
        except PlatformUnavailable:
            pass
    assert platform.breaker.current_state == "closed"


def test_bad_answers_count_for_the_breaker_but_rejections_do_not(fake):
    platform = http_platform(fake, fail_max=2)
    fake.set_mode("reject")
    for n in range(3):
        with pytest.raises(PlatformRejected):
            platform.push(push_message(f"k{n}"))
    assert platform.breaker.current_state == "closed"
    fake.set_mode("malformed")
    for _ in range(2):
        with pytest.raises(PlatformBadAnswer):
            platform.query("enterprise", CODE)
    assert platform.breaker.current_state == "open"


def test_push_with_idempotency_key_and_duplicate_receipt(fake):
    platform = http_platform(fake)
    first = platform.push(push_message("dishonesty:case:7"))
    again = platform.push(push_message("dishonesty:case:7"))
    assert first["receipt_id"] == again["receipt_id"]
    assert not first["duplicate"] and again["duplicate"]
    assert fake.received["dishonesty:case:7"] == 2 and len(fake.receipts) == 1
    assert fake.pushes["dishonesty:case:7"]["payload"]["subject"]["code"] == CODE


def test_push_errors(fake):
    platform = http_platform(fake, retries=0)
    fake.set_mode("error")
    with pytest.raises(PlatformUnavailable):
        platform.push(push_message())
    fake.set_mode("reject")
    with pytest.raises(PlatformRejected) as caught:
        platform.push(push_message())
    assert caught.value.status_code == 422
    fake.set_mode("lost_reply")  # applied, but the answer never arrives intact
    with pytest.raises(PlatformUnavailable):
        platform.push(push_message("k-lost"))
    assert "k-lost" in fake.receipts


def test_push_receipt_must_carry_an_id():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=json.dumps({"ok": True}).encode())

    platform = HttpCreditPlatform("http://platform.invalid", transport=httpx.MockTransport(handler))
    with pytest.raises(PlatformBadAnswer, match="receipt_id"):
        platform.push(push_message())


def test_oversized_body_is_a_bad_answer():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b" " * (3 * 1024 * 1024))

    platform = HttpCreditPlatform("http://big.invalid", transport=httpx.MockTransport(handler))
    with pytest.raises(PlatformBadAnswer, match="过大"):
        platform.query("enterprise", CODE)


def test_bearer_token_is_sent():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["auth"] = request.headers.get("Authorization")
        return httpx.Response(200, json={"records": []})

    HttpCreditPlatform("http://token.invalid", token="s3cret",
                       transport=httpx.MockTransport(handler)).query("enterprise", CODE)
    assert seen["auth"] == "Bearer s3cret"


def test_platform_from_settings():
    assert isinstance(platform_from_settings(Settings()), LocalOnlyPlatform)
    with pytest.raises(PlatformNotConfigured):
        LocalOnlyPlatform().query("enterprise", CODE)
    settings = Settings(credit_platform_url="http://127.0.0.1:1/", credit_platform_timeout_s=0.7,
                        extra={"credit_platform_retries": 0, "credit_breaker_fail_max": 9})
    platform = platform_from_settings(settings)
    assert isinstance(platform, HttpCreditPlatform)
    assert platform.timeout_s == 0.7 and platform.retries == 0
    assert platform.breaker is breaker_for("http://127.0.0.1:1")
