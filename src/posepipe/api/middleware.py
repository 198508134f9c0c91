"""Per-request context: a request id on every log line and on the answer, metrics, access log.

A plain ASGI middleware (not BaseHTTPMiddleware) so streaming answers (SSE, exports) pass
through untouched. It is also the last stop for a bug: the traceback is logged with the
request id and the client gets the standard 500 body.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from posepipe.api.errors import internal_error_response
from posepipe.api.metrics import ApiMetrics
from posepipe.logs import bind

log = logging.getLogger("posepipe.api.access")

REQUEST_ID_HEADER = "x-request-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_QUIET_PATHS = ("/api/health", "/api/ready", "/metrics")


class RequestContextMiddleware:
    """Bind a request id, time the request, count it, log one line."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        status = 500
        started = False
        t0 = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        with bind(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("unhandled error in %s %s", scope["method"], scope["path"])
                if not started:
                    await internal_error_response()(scope, receive, send_with_id)
            finally:
                elapsed = time.perf_counter() - t0
                route = getattr(scope.get("route"), "path", "<unmatched>")
                self.metrics.observe(scope["method"], route, status, elapsed)
                level = logging.DEBUG if scope["path"] in _QUIET_PATHS else logging.INFO
                log.log(
                    level, "%s %s %d %.1f ms",
                    scope["method"], scope["path"], status, elapsed * 1000,
                )


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == REQUEST_ID_HEADER.encode():
            candidate = value.decode("latin-1")
            if _SAFE_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex[:16]
