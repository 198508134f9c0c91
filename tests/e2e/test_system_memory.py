"""Memory as a person sees it, checked against the kernel's own figures for each process of
the native stack: the System page's Memory panel, and a finished job's peak."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from pymongo import MongoClient

from tests.conftest import VIDEOS
from tests.e2e.conftest import artifact
from tests.stack import NativeStack

pytestmark = pytest.mark.e2e

TOLERANCE = 0.10
SETTLE_S = 30.0  # the page refreshes every 2 s, a worker's heartbeat every 5 s


def _status_bytes(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    assert match, f"{field} of {pid}"
    return int(match.group(1)) * 1024


def _pose_processes(worker_pid: int) -> list[int]:
    """The worker's pose processes (spawned by multiprocessing; not its resource tracker)."""
    pids = []
    for children in Path(f"/proc/{worker_pid}/task").glob("*/children"):
        for pid in map(int, children.read_text().split()):
            if "spawn_main" in Path(f"/proc/{pid}/cmdline").read_text():
                pids.append(pid)
    return pids


def _tree_bytes(pid: int, field: str, *, with_pose_processes: bool) -> int:
    """The field of `pid`, plus its pose processes' when it is the worker: they share its
    memory limit, and the worker reports them with itself."""
    others = _pose_processes(pid) if with_pose_processes else []
    return sum(_status_bytes(p, field) for p in [pid, *others])


def _as_shown(n: int) -> str:
    """Bytes as the UI writes them (frontend/src/format.ts formatBytes): "930 MB", "1.2 GB"
    (with its pose processes, a worker's peak passes 1 GB)."""
    units = ["kB", "MB", "GB", "TB"]
    value, step = n / 1000, 0
    while value >= 1000 and step < len(units) - 1:
        value, step = value / 1000, step + 1
    shown = f"{value:.1f}" if value < 10 else str(math.floor(value + 0.5))
    return f"{shown} {units[step]}"


def _assert_matches_the_kernel(row: Locator, pid: int, what: str) -> None:
    """The row's figure is within 10 % of the process's VmRSS (the worker's: with its pose
    processes), read now (both move a little: retried until they agree, at most SETTLE_S)."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        shown = int(row.get_attribute("data-bytes") or 0)
        kernel = _tree_bytes(pid, "VmRSS", with_pose_processes=what == "pose-service")
        if abs(shown - kernel) <= TOLERANCE * kernel:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: the page shows {shown} B, the kernel says {kernel} B")
        time.sleep(1.0)


def _row(panel: Locator, service: str, pid: int | None = None) -> Locator:
    selector = f"[data-testid=memory-row][data-service={service}]"
    if pid is not None:
        selector += f"[data-pid='{pid}']"
    row = panel.locator(selector)
    expect(row).to_have_count(1)
    return row


def _live_worker_pid(stack: NativeStack) -> int:
    live = [w for w in stack.workers if w.alive]
    assert live, "no worker is running"
    return live[-1].process.pid


def test_the_system_page_shows_each_services_memory(
    page: Page, ui_url: str, stack: NativeStack
) -> None:
    assert stack.api is not None
    assert stack.redis.process is not None and stack.mongo.process is not None
    page.goto(f"{ui_url}/system")
    panel = page.get_by_test_id("system-memory")
    expect(panel.get_by_test_id("memory-row").first).to_be_visible()

    processes = {
        "backend-api": stack.api.process.pid,
        "pose-service": _live_worker_pid(stack),
        "redis": stack.redis.process.pid,
    }
    for service, pid in processes.items():
        row = _row(panel, service, pid)
        _assert_matches_the_kernel(row, pid, service)
        expect(row.get_by_test_id("memory-value")).to_have_text(re.compile(r"^[\d.]+ (MB|GB)$"))
        expect(row).to_contain_text("(machine)")  # natively: no container limit
        expect(row.get_by_role("img")).to_be_visible()  # its live chart

    mongo_pid = stack.mongo.process.pid
    with MongoClient(f"mongodb://127.0.0.1:{stack.mongo.port}", serverSelectionTimeoutMS=5000) as c:
        status: dict[str, Any] = c.admin.command("serverStatus")
    mongo = _row(panel, "mongodb", mongo_pid)
    if (status.get("mem") or {}).get("resident") is not None:
        _assert_matches_the_kernel(mongo, mongo_pid, "mongodb")
    else:
        # FerretDB reports no resident memory: the page says unknown, and no figure at all.
        expect(mongo).to_have_attribute("data-bytes", "")
        expect(mongo.get_by_test_id("memory-value")).to_have_text("unknown")
        expect(mongo).to_contain_text("does not report its resident memory")

    # The Vite dev server answers for itself (vite.config.ts): its node process.
    frontend = _row(panel, "frontend")
    expect(frontend).not_to_have_attribute("data-pid", "")
    vite_pid = int(frontend.get_attribute("data-pid") or 0)
    assert "vite" in Path(f"/proc/{vite_pid}/cmdline").read_text()
    _assert_matches_the_kernel(frontend, vite_pid, "frontend")
    # Each reading adds a point to the row's chart: after a few, a line.
    api_chart = _row(panel, "backend-api").locator("path.chart-line")
    expect(api_chart).to_have_attribute("d", re.compile(r"^M[\d.]+,[\d.]+(L[\d.]+,[\d.]+){2}"))
    page.screenshot(path=str(artifact("system-memory.png")), full_page=True)


def test_a_finished_job_shows_its_peak_memory(
    page: Page, ui_url: str, stack: NativeStack
) -> None:
    job_id = stack.upload(VIDEOS / "single_person_squats_portrait.mp4")
    stack.wait_for_job(job_id, "succeeded", timeout_s=180)
    page.goto(f"{ui_url}/jobs/{job_id}")
    fact = page.get_by_test_id("job-peak-memory")
    # Raised once the overlay is rendered; the page follows it until then.
    expect(fact).to_have_attribute("data-final", "true", timeout=120_000)

    memory = stack.job(job_id)["memory"]
    peak = memory["peak_rss_bytes"]
    expect(fact).to_have_attribute("data-bytes", str(peak))
    expect(fact).to_contain_text(f"Peak memory{_as_shown(peak)}")
    assert memory["peak_gpu_bytes"] is None  # mediapipe on the CPU
    assert 0 < peak < memory["limit_bytes"]
    # The worker restarted its kernel peaks (VmHWM: its own and its pose processes') when the
    # job began and has been idle since it ended: what the kernel holds now is the job's peak.
    kernel_peak = _tree_bytes(_live_worker_pid(stack), "VmHWM", with_pose_processes=True)
    assert peak == pytest.approx(kernel_peak, rel=TOLERANCE)
    page.screenshot(path=str(artifact("job-peak-memory.png")), full_page=True)
