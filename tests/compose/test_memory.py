"""Memory in the containers: each service's figure against its own /proc inside its container,
each limit against the container's `mem_limit`, and the main job's peak under the worker's."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from tests.compose.harness import ComposeStack

pytestmark = pytest.mark.compose

TOLERANCE = 0.10
SETTLE_S = 30.0  # a worker's figure travels in its heartbeat, every 5 s
MIB = 1024 * 1024


def _rows(stack: ComposeStack) -> list[dict[str, Any]]:
    with stack.client() as client:
        response = client.get("/api/system/memory")
    assert response.status_code == 200, response.text
    rows: list[dict[str, Any]] = response.json()["services"]
    return rows


def _row(stack: ComposeStack, service: str) -> dict[str, Any]:
    (row,) = [r for r in _rows(stack) if r["service"] == service]
    return row


# Inside a container: VmRSS of $1, and of its pose processes (children that multiprocessing
# spawned; not its resource tracker), which the worker reports with itself.
_TREE_RSS = r"""
for child in $(cat /proc/"$1"/task/*/children); do
  grep -qa spawn_main /proc/"$child"/cmdline && grep VmRSS /proc/"$child"/status
done
grep VmRSS /proc/"$1"/status
"""


def _rss_in_container(stack: ComposeStack, service: str, pid: int) -> int:
    """VmRSS of `pid` as the service's own container numbers and sees it; for pose-service's
    worker, summed with its pose processes' (they share its limit and it reports them)."""
    if service == "pose-service":
        command = ["sh", "-c", _TREE_RSS, "sh", str(pid)]
    else:
        command = ["cat", f"/proc/{pid}/status"]
    status = stack.compose("exec", "-T", service, *command, timeout=60)
    values = [int(kb) * 1024 for kb in re.findall(r"^VmRSS:\s+(\d+) kB", status, re.M)]
    assert values, f"{service}: no VmRSS for pid {pid}"
    return sum(values)


def _mem_limit(stack: ComposeStack, service: str) -> int:
    limit = int(stack.inspect(service)["HostConfig"]["Memory"])
    assert limit > 0, f"{service} has no mem_limit"
    return limit


def _assert_matches_its_container(stack: ComposeStack, service: str) -> dict[str, Any]:
    deadline = time.monotonic() + SETTLE_S
    while True:
        row = _row(stack, service)
        if row["rss_bytes"] is not None and row["pid"] is not None:
            inside = _rss_in_container(stack, service, row["pid"])
            if abs(row["rss_bytes"] - inside) <= TOLERANCE * inside:
                return row
        if time.monotonic() > deadline:
            raise AssertionError(f"{service}: the API says {row}, its container disagrees")
        time.sleep(1.0)


@pytest.mark.parametrize("service", ["backend-api", "pose-service", "frontend"])
def test_our_services_report_their_container_limit(stack: ComposeStack, service: str) -> None:
    row = _assert_matches_its_container(stack, service)
    assert row["limit_source"] == "cgroup", row
    assert row["limit_bytes"] == _mem_limit(stack, service)


def test_redis_reports_its_memory_but_cannot_see_its_limit(stack: ComposeStack) -> None:
    row = _assert_matches_its_container(stack, "redis")
    # Redis reads the host's memory, not its cgroup's (README, "Memory: where to see it").
    assert row["limit_source"] in ("machine", "maxmemory")


def test_mongodb_reports_what_it_can(stack: ComposeStack) -> None:
    row = _row(stack, "mongodb")
    if row["rss_bytes"] is None:
        # A stand-in image that is FerretDB underneath: unknown, never a made-up figure.
        assert "does not report its resident memory" in row["detail"]
        return
    row = _assert_matches_its_container(stack, "mongodb")
    # mongod reads its cgroup's limit (hostInfo memLimitMB, whole MiB).
    assert row["limit_source"] == "cgroup"
    assert abs(row["limit_bytes"] - _mem_limit(stack, "mongodb")) < MIB


def test_the_main_job_keeps_its_peak_under_the_workers_limit(
    stack: ComposeStack, main_job: dict[str, Any]
) -> None:
    deadline = time.monotonic() + 120  # final once the overlay is rendered
    while True:
        with stack.client() as client:
            memory = client.get(f"/api/jobs/{main_job['id']}").json()["memory"]
        if memory and memory["final"]:
            break
        assert time.monotonic() < deadline, f"the job's memory is not final: {memory}"
        time.sleep(1.0)
    assert memory["limit_source"] == "cgroup"
    assert memory["limit_bytes"] == _mem_limit(stack, "pose-service")
    assert 50e6 < memory["peak_rss_bytes"] < memory["limit_bytes"]
    assert memory["peak_gpu_bytes"] is None  # the CPU variant
