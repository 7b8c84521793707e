"""Point 9 of issue 19: small protocol fixes (Allow on 405, no-store on files)."""

from __future__ import annotations

from datetime import date

from tests.case_factories import published_item


def test_405_answers_carry_allow(client):
    page = client.delete("/login")
    assert page.status_code == 405
    assert set(page.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "POST"}
    api = client.put("/api/v1/tokens")
    assert api.status_code == 405 and "POST" in api.headers["Allow"]
    assert api.json["error"]["code"] == "method_not_allowed"


def test_the_notice_pdf_is_never_cached(client, session):
    published_item("NC-1", valid_from=date(2026, 1, 1))
    response = client.get("/guide/NC-1/notice.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_may_still_be_cached(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"
