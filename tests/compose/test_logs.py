"""Every log in one place: `docker compose logs` holds all five services; the Python
services write JSON lines with service and level, a job's lines carry its id, and
API_LOG_LEVEL=DEBUG turns on DEBUG for backend-api alone."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.compose.harness import SERVICES, ComposeStack

pytestmark = pytest.mark.compose


def test_compose_logs_holds_every_service(stack: ComposeStack, main_job: dict[str, Any]) -> None:
    logs = stack.logs()
    prefixes = {match.group(1) for match in re.finditer(r"^([a-z-]+)-\d+\s+\|", logs, re.M)}
    assert prefixes >= set(SERVICES), f"services with log lines: {sorted(prefixes)}"


@pytest.mark.parametrize("service", ["backend-api", "pose-service"])
def test_python_services_log_json_with_service_and_level(stack: ComposeStack, service: str) -> None:
    lines = stack.json_log_lines(service)
    assert len(lines) >= 3
    for line in lines:
        assert line["service"] == service, line
        assert line["level"] in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"), line
        assert line["message"], line


def test_a_jobs_lines_carry_its_id(stack: ComposeStack, main_job: dict[str, Any]) -> None:
    job_lines = [
        line
        for line in stack.json_log_lines("pose-service")
        if line.get("job_id") == main_job["id"]
    ]
    messages = " / ".join(line["message"] for line in job_lines)
    assert any("succeeded" in line["message"] for line in job_lines), messages
    assert any("overlay" in line["message"] for line in job_lines), messages


def test_api_log_level_debug_reaches_backend_api_only(stack: ComposeStack) -> None:
    stack.write_env(API_LOG_LEVEL="DEBUG")
    try:
        since = _now_for_docker()
        stack.up()  # recreates the services whose settings changed
        # The health checks alone make backend-api log DEBUG lines (health requests are
        # logged at DEBUG); give both services a few of their checks' intervals.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            api = stack.json_log_lines("backend-api", since=since)
            if any(line["level"] == "DEBUG" for line in api):
                break
            time.sleep(1)
        api = stack.json_log_lines("backend-api", since=since)
        pose = stack.json_log_lines("pose-service", since=since)
        assert any(line["level"] == "DEBUG" for line in api), "backend-api logged no DEBUG line"
        assert pose, "pose-service logged nothing after its restart"
        assert not [line for line in pose if line["level"] == "DEBUG"]
    finally:
        stack.write_env(API_LOG_LEVEL=None)
        stack.up()


def _now_for_docker() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 1))
