"""Restart one: `docker compose restart backend-api` leaves the other containers running,
untouched, and the API comes back healthy with every job still listed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compose.harness import SERVICES, ComposeStack

pytestmark = pytest.mark.compose


def _job_ids(stack: ComposeStack) -> list[str]:
    with stack.client() as client:
        page = client.get("/api/jobs", params={"limit": 200}).json()
    return [job["id"] for job in page["items"]]


def test_restarting_the_api_touches_nothing_else(
    stack: ComposeStack, main_job: dict[str, Any]
) -> None:
    jobs_before = _job_ids(stack)
    assert main_job["id"] in jobs_before
    others = [name for name in SERVICES if name != "backend-api"]
    started_before = {name: stack.started_at(name) for name in SERVICES}

    stack.compose("restart", "backend-api")
    stack.wait_health("backend-api", "healthy", timeout_s=90)

    assert stack.started_at("backend-api") > started_before["backend-api"]
    for name in others:
        assert stack.inspect(name)["State"]["Running"], name
        assert stack.started_at(name) == started_before[name], f"{name} was restarted too"
    assert stack.health() == dict.fromkeys(SERVICES, "healthy")
    assert _job_ids(stack) == jobs_before
