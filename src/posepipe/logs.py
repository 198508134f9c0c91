"""Logging, configured once per entry point: JSON lines in containers, readable lines locally.

Every record carries the service name, and the `job_id` / `request_id` bound in the current
context, so a job's lines can be pulled out of the interleaved stream of all services.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import logging.handlers
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

# Immutable default: `bind` always sets a new dict, never mutates the current one.
_context: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "posepipe_log_context", default=None
)

# Attributes every LogRecord has, plus uvicorn's `color_message` (the message again, with
# terminal colour codes); anything else on a record came in through `extra=`.
_RECORD_FIELDS = set(vars(logging.makeLogRecord({}))) | {
    "message", "asctime", "taskName", "color_message",
}
_LOG_FILE_BYTES = 10 * 1024 * 1024
_LOG_FILE_COUNT = 5


@contextlib.contextmanager
def bind(**fields: str) -> Iterator[None]:
    """Add fields (`job_id=...`, `request_id=...`) to every log line inside the block."""
    token = _context.set({**(_context.get() or {}), **fields})
    try:
        yield
    finally:
        _context.reset(token)


def bound_fields() -> dict[str, str]:
    """The fields bound by `bind` in the current context."""
    return dict(_context.get() or {})


class _ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        for key, value in (_context.get() or {}).items():
            setattr(record, key, value)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, service, logger, message and any extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "service": getattr(record, "service", "posepipe"),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _RECORD_FIELDS and key not in entry:
                entry[key] = value
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class ConsoleFormatter(logging.Formatter):
    """`time level service message key=value ...`: for people reading a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(
            f"{k}={v}"
            for k, v in vars(record).items()
            if k not in _RECORD_FIELDS and k != "service"
        )
        stamp = datetime.fromtimestamp(record.created).strftime("%H:%M:%S")
        service = getattr(record, "service", "posepipe")
        line = f"{stamp} {record.levelname:<7} {service} {record.getMessage()}"
        if extras:
            line += f"  [{extras}]"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def configure_logging(
    service: str,
    level: str = "INFO",
    fmt: str = "console",
    log_dir: Path | None = None,
) -> None:
    """Send this process's logs to stderr (and a size-capped file under `log_dir`), once."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    context_filter = _ContextFilter(service)

    stream = logging.StreamHandler(sys.stderr if fmt == "console" else sys.stdout)
    stream.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())
    stream.addFilter(context_filter)
    root.addHandler(stream)

    if log_dir is not None:
        # History that outlives `docker compose down`: JSON lines, rotated by size.
        log_dir.mkdir(parents=True, exist_ok=True)
        rotating = logging.handlers.RotatingFileHandler(
            log_dir / f"{service}.jsonl",
            maxBytes=_LOG_FILE_BYTES,
            backupCount=_LOG_FILE_COUNT,
            encoding="utf-8",
        )
        rotating.setFormatter(JsonFormatter())
        rotating.addFilter(context_filter)
        root.addHandler(rotating)

    root.setLevel(level)
    # Libraries that are chatty at INFO.
    for name in ("httpx", "multipart", "pymongo", "dramatiq", "watchfiles", "absl"):
        logging.getLogger(name).setLevel(max(logging.WARNING, root.level))
