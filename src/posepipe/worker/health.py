"""`GET :POSE_HEALTH_PORT/health` and `/metrics`, served from a thread of the worker.

/health answers 200 once the model is loaded, 503 while it loads or after a fatal error,
so a container healthcheck (and the native stack) can wait on it.
"""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from posepipe.config import Settings
from posepipe.worker.state import WorkerState
from posepipe.worker.telemetry import CONTENT_TYPE, WorkerMetrics, health_document

log = logging.getLogger(__name__)


class HealthServer:
    """A small threaded HTTP server; `start` binds at once so a busy port fails fast."""

    def __init__(
        self,
        host: str,
        port: int,
        state: WorkerState,
        metrics: WorkerMetrics,
        settings: Settings,
    ) -> None:
        handler = _handler_class(state, metrics, settings)
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="health-server", daemon=True
        )

    @property
    def port(self) -> int:
        """The port bound (useful when 0 was asked for)."""
        return int(self._server.server_address[1])

    def start(self) -> None:
        """Serve in the background."""
        self._thread.start()
        log.info("health and metrics on port %d", self.port)

    def stop(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


def _handler_class(
    state: WorkerState, metrics: WorkerMetrics, settings: Settings
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "posepipe-worker"

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            if path == "/health":
                doc = health_document(state, settings)
                self._send(200 if doc["status"] == "ok" else 503, "application/json",
                           json.dumps(doc).encode())
            elif path == "/metrics":
                self._send(200, CONTENT_TYPE, metrics.render())
            else:
                body = {"error": {"code": "not_found", "message": f"nothing at {path}"}}
                self._send(404, "application/json", json.dumps(body).encode())

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            log.debug("health server: " + format, *args)

    return Handler
