"""The OpenAPI document as the API really answers, for the generated TypeScript client and
for the fuzzer that checks every answer against it (tests/integration/test_api_fuzz.py).

FastAPI describes its own validation errors as `HTTPValidationError` (`{"detail": [...]}`),
but `errors.py` answers them with posepipe's `{"error": {"code", "message"}}`; and the
upload routes read their multipart bodies themselves, so FastAPI cannot see the files they
need. Both are put right here.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

_VALIDATION_REFS = {"#/components/schemas/HTTPValidationError"}
_FASTAPI_ONLY_SCHEMAS = ("HTTPValidationError", "ValidationError")
_ERROR_BODY_REF = "#/components/schemas/ErrorBody"


def multipart_files(fields: dict[str, str]) -> dict[str, Any]:
    """`openapi_extra` of a route that streams a multipart body: the files it needs."""
    properties = {
        name: {"type": "string", "format": "binary", "description": text}
        for name, text in fields.items()
    }
    schema = {"type": "object", "properties": properties, "required": list(fields)}
    return {
        "requestBody": {
            "required": True,
            "content": {"multipart/form-data": {"schema": schema}},
        }
    }


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` describe validation errors with the error body posepipe sends."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _validation_errors_as_error_body(build())
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]


def _validation_errors_as_error_body(document: dict[str, Any]) -> None:
    for operations in document.get("paths", {}).values():
        for operation in operations.values():
            answer = operation.get("responses", {}).get("422")
            if answer is None:
                continue
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            if schema.get("$ref") in _VALIDATION_REFS:
                schema["$ref"] = _ERROR_BODY_REF
                answer["description"] = "the request's parameters are not valid"
    schemas = document.get("components", {}).get("schemas", {})
    for name in _FASTAPI_ONLY_SCHEMAS:
        schemas.pop(name, None)
