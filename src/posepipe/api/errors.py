"""The one place that knows HTTP: posepipe's errors to status codes and the error body.

Every error answer is `{"error": {"code", "message"}}`. A dependency that does not answer
is a 503 the client may retry, never a 500.
"""

from __future__ import annotations

import logging

import redis
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure, PyMongoError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from posepipe.errors import (
    DependencyUnavailable,
    InvalidInput,
    JobCanceled,
    JobNotFound,
    JobNotReady,
    NotAVideo,
    OverlayNotFound,
    PosepipeError,
    UndecodableVideo,
    UploadTooLarge,
    quoted,
)

log = logging.getLogger(__name__)

# Most specific first: the first class the error is an instance of decides.
_STATUS: list[tuple[type[PosepipeError], int]] = [
    (UploadTooLarge, 413),
    (NotAVideo, 415),
    (UndecodableVideo, 422),
    (InvalidInput, 400),
    (JobNotFound, 404),
    (OverlayNotFound, 404),
    (JobNotReady, 409),
    (JobCanceled, 409),
    (DependencyUnavailable, 503),
]
_HTTP_CODES = {
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    413: "upload_too_large",
    415: "unsupported_media_type",
}
RETRY_AFTER_S = "5"
_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def status_for(exc: PosepipeError) -> int:
    """The HTTP status of one of our errors."""
    for kind, status in _STATUS:
        if isinstance(exc, kind):
            return status
    return 500


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """An error answer with posepipe's body."""
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=headers
    )


def response_for(exc: PosepipeError) -> JSONResponse:
    """The answer to one of our errors."""
    status = status_for(exc)
    headers = {}
    if status == 503:
        headers["Retry-After"] = RETRY_AFTER_S
    if status == 413:
        # The rest of the body is not read: the connection cannot carry another request.
        headers["Connection"] = "close"
    if status >= 500:
        log.warning("answering %d: %s", status, exc.message)
    return error_response(status, exc.code, exc.message, headers)


def internal_error_response() -> JSONResponse:
    """The answer to a bug: no details leak, the log has the traceback."""
    return error_response(
        500, "internal_error", "an unexpected error occurred; the server log has the details"
    )


async def _posepipe_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PosepipeError)
    return response_for(exc)


async def _mongo_down(request: Request, exc: Exception) -> JSONResponse:
    return response_for(DependencyUnavailable(f"MongoDB does not answer ({type(exc).__name__})"))


async def _mongo_failed(request: Request, exc: Exception) -> JSONResponse:
    # Not a lost connection, but the database refused or broke off an operation (a server
    # still starting, a cursor lost across a restart): the client may retry, so still 503.
    # Logged with its traceback, in case it is our bug.
    log.error("MongoDB operation failed", exc_info=exc)
    return response_for(DependencyUnavailable(f"MongoDB failed ({type(exc).__name__}: {exc})"))


async def _redis_down(request: Request, exc: Exception) -> JSONResponse:
    return response_for(DependencyUnavailable(f"Redis does not answer ({exc})"))


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in exc.errors()
    )
    return error_response(422, "invalid_request", problems or "the request is not valid")


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and message == "Not Found":
        message = f"nothing is served at {_shown_path(request)}"
    if exc.status_code == 405:
        # Starlette names the methods of the first route whose path matched; a path served
        # by several routes (GET and DELETE /api/jobs/{id}) allows all of theirs.
        allowed = _allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        message = (
            f"{request.method} is not allowed on {_shown_path(request)}; "
            f"use {' or '.join(allowed)}"
        )
    return error_response(exc.status_code, code, message, headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (asked of the routes, as routing does)."""
    allowed = []
    for method in _METHODS:
        probe = {**request.scope, "method": method}
        if any(route.matches(probe)[0] == Match.FULL for route in request.app.router.routes):
            allowed.append(method)
    return allowed


def _shown_path(request: Request) -> str:
    """The path as the client sent it (`%2F` stays `%2F`), cut short if it is very long."""
    raw = request.scope.get("raw_path") or request.url.path.encode()
    return quoted(raw.decode("latin-1"))


def install_error_handlers(app: FastAPI) -> None:
    """Register the mapping on the app."""
    app.add_exception_handler(PosepipeError, _posepipe_error)
    app.add_exception_handler(ConnectionFailure, _mongo_down)
    app.add_exception_handler(PyMongoError, _mongo_failed)
    app.add_exception_handler(redis.ConnectionError, _redis_down)
    app.add_exception_handler(redis.TimeoutError, _redis_down)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
