"""The errors-to-HTTP mapping: a database that fails is a 503 the client may retry."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from fastapi import FastAPI
from pymongo.errors import AutoReconnect, OperationFailure

from posepipe.api.errors import install_error_handlers
from posepipe.errors import JobNotFound


def _app() -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/reconnect")
    async def reconnect() -> None:
        raise AutoReconnect("connection closed")

    @app.get("/refused")
    async def refused() -> None:
        raise OperationFailure("database is locked", code=1)

    @app.get("/missing")
    async def missing() -> None:
        raise JobNotFound("no job has the id abc")

    return app


def _get(path: str) -> httpx.Response:
    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(path)

    return asyncio.run(call())


@pytest.mark.parametrize(
    ("path", "name"), [("/reconnect", "AutoReconnect"), ("/refused", "OperationFailure")]
)
def test_mongodb_failures_are_503_with_a_reason(
    path: str, name: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    response = _get(path)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    body = response.json()["error"]
    assert body["code"] == "dependency_unavailable"
    assert "MongoDB" in body["message"] and name in body["message"]


def test_our_errors_keep_their_status() -> None:
    response = _get("/missing")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"code": "job_not_found", "message": "no job has the id abc"}
    }
