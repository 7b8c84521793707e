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


def test_the_catalogue_api_refuses_what_its_document_refuses(client, session):
    published_item("NC-2", valid_from=date(2026, 1, 1))
    for url in ("/api/v1/items/NC-2?v=abc", "/api/v1/items/NC-2?v=0", "/api/v1/items?on=",
                "/api/v1/items?on=1999-01-01", "/api/v1/items?on=9999-01-01",
                "/api/v1/items?q=%01", "/api/v1/items/NC-2?on=2026-02-30"):
        response = client.get(url)
        assert response.status_code == 422, url
        assert response.json["error"]["code"] in ("validation_failed", "invalid_date")
    assert client.get("/api/v1/items/NC-2?v=1").status_code == 200
    assert client.get("/api/v1/items?on=2026-06-01").status_code == 200


def test_the_document_states_the_refusals(client):
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]
    signer = schemas["SignatureIn"]["properties"]["signer_name"]
    assert "\\x00" in signer["pattern"] or "\\x00-" in signer["pattern"]
    assert "allOf" in schemas["ApplicationIn"]  # what each track takes
    due = next(p for p in doc["paths"]["/calendar/due"]["get"]["parameters"]
               if p["name"] == "start")
    assert due["schema"]["pattern"].startswith("^20")
