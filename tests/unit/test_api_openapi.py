"""The OpenAPI document tells the truth about errors: every refusal is described with the
body the API sends, and the upload routes name the files they need."""

from __future__ import annotations

from typing import Any

import pytest

from posepipe.api.app import create_app

ERROR_BODY = "#/components/schemas/ErrorBody"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def test_every_error_answer_is_the_error_body(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in document["components"]["schemas"]
    checked = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if int(status) < 400 or (path, status) == ("/api/ready", "503"):
                    continue  # readiness answers its per-dependency report either way
                schema = answer["content"]["application/json"]["schema"]
                assert schema == {"$ref": ERROR_BODY}, (method, path, status)
                checked += 1
    assert checked > 20


def test_validation_errors_are_documented_where_parameters_are(document: dict[str, Any]) -> None:
    list_jobs = document["paths"]["/api/jobs"]["get"]
    assert "422" in list_jobs["responses"]
    offset = next(p for p in list_jobs["parameters"] if p["name"] == "offset")
    assert offset["schema"]["maximum"] == 2**31 - 1


def test_jobs_routes_document_the_503_of_a_missing_database(document: dict[str, Any]) -> None:
    for path, operations in document["paths"].items():
        if path.startswith("/api/jobs"):
            for method, operation in operations.items():
                assert "503" in operation["responses"], (method, path)


@pytest.mark.parametrize(
    ("path", "fields"), [("/api/videos", ["file"]), ("/api/imports", ["results", "video"])]
)
def test_uploads_document_their_multipart_files(
    document: dict[str, Any], path: str, fields: list[str]
) -> None:
    body = document["paths"][path]["post"]["requestBody"]
    assert body["required"] is True
    schema = body["content"]["multipart/form-data"]["schema"]
    assert schema["required"] == fields
    for name in fields:
        assert schema["properties"][name]["format"] == "binary"
