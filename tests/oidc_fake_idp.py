"""The fake identity platform for tests: a running server, settings that point at it, and the
browser's part of the sign-in done over real HTTP.

The server lives in ``licensing.oidc.fake_idp`` (the demo can run it too); the suite starts one
per session (the ``fake_idp`` fixture in ``tests/conftest.py``).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import httpx

from licensing.oidc.fake_idp import MODES, FakeIdentityProvider
from tests.credit_fake_platform import enterprise_code, id_number

__all__ = ["MODES", "FakeIdentityProvider", "idp_settings", "new_person", "running_fake_idp",
           "through_idp"]

_seq = itertools.count(1)


@contextmanager
def running_fake_idp() -> Iterator[FakeIdentityProvider]:
    """Start a fake identity platform on 127.0.0.1 (a free port); stop it afterwards."""
    fake = FakeIdentityProvider().start()
    try:
        yield fake
    finally:
        fake.stop()


def idp_settings(fake: FakeIdentityProvider) -> dict:
    """``Settings`` overrides that enable the sign-in against the fake."""
    return {"oidc_enabled": True, "oidc_discovery_url": fake.discovery_url,
            "oidc_client_id": fake.client_id, "oidc_client_secret": fake.client_secret,
            "oidc_timeout_s": 2.0}


def new_person(fake: FakeIdentityProvider, *, represents: int | None = None,
               name: str = "王小明") -> dict:
    """Set a fresh verified person on the fake; with ``represents``, one company they lead."""
    seed = 700 + next(_seq)
    person = {"subject": f"sub-{seed}", "name": name, "id_number": id_number(seed)}
    companies = []
    if represents is not None:
        companies = [{"code": enterprise_code(represents), "name": f"测试商贸有限公司{represents}"}]
    fake.set_person(person["subject"], name, person["id_number"], companies)
    return {**person, "companies": companies}


def through_idp(client, *, decision: str = "approve"):
    """Start the sign-in on a Flask test client, answer at the fake over HTTP, come back.

    Returns the application's answer to the callback.
    """
    start = client.get("/login/oidc")
    assert start.status_code == 302, start.get_data(as_text=True)[:300]
    authorize_url = start.headers["Location"]
    page = httpx.get(authorize_url, timeout=5)
    assert page.status_code == 200 and "idp-approve" in page.text, page.text[:300]
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    base = authorize_url.split("?")[0]
    answer = httpx.post(base, data={**query, "decision": decision}, timeout=5)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    return client.get(f"{back.path}?{back.query}")
