"""The OpenAPI document itself: valid OpenAPI 3.1, public, and the same on every request."""

from __future__ import annotations

import schemathesis

from licensing.api.openapi import build_document


def test_document_is_valid_openapi_3_1(app):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    schema.validate()  # against the OpenAPI 3.1 meta-schema shipped with Schemathesis
    assert schema.raw_schema["openapi"] == "3.1.0"


def test_document_is_public_and_generated_from_the_code(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    assert response.json == build_document(app)
    examples = response.json["components"]["schemas"]["ApplicationIn"]["examples"]
    assert examples[0]["track"] == "commitment"
