"""The System page against the live stack: services, readiness, queue, worker, GPU."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import artifact
from tests.stack import NativeStack

pytestmark = pytest.mark.e2e


@pytest.mark.screenshots
def test_system_page_shows_each_service(
    page: Page, ui_url: str, stack: NativeStack, doc_screenshot: Callable[..., Path]
) -> None:
    page.goto(f"{ui_url}/system")
    services = page.get_by_test_id("system-services")
    for name in ("backend-api", "mongodb", "redis", "pose_service"):
        expect(services.locator(f"[data-service={name}]")).to_have_attribute("data-ok", "true")
    expect(page.get_by_test_id("system-ready")).to_contain_text("Ready")
    expect(page.get_by_test_id("queue-depth")).to_have_text("0")

    # The live worker's heartbeat, as the API relays it: this machine has no GPU.
    worker = _the_live_worker(stack)
    assert worker["backend"] == "mediapipe" and worker["model_loaded"] is True
    assert worker["device"] == "cpu" and worker["gpu"] is None

    gpu = page.get_by_test_id("system-gpu")
    expect(gpu).to_contain_text("Running on CPU")
    expect(gpu).to_contain_text("the mediapipe backend on cpu")
    expect(gpu).not_to_contain_text("does not relay")
    expect(gpu.get_by_role("progressbar")).to_have_count(0)  # no GPU memory bar, no chart
    expect(page.get_by_test_id("worker-current-job")).to_have_text("idle")
    doc_screenshot("system.png", full_page=True)


def _the_live_worker(stack: NativeStack) -> dict[str, Any]:
    """The one live worker's record from GET /api/workers."""
    # A worker an earlier test SIGKILLed stays listed until its heartbeat expires (15 s).
    deadline = time.monotonic() + 30
    with stack.client() as client:
        while True:
            response = client.get("/api/workers")
            assert response.status_code == 200, response.text
            items = response.json()["items"]
            if len(items) == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
    assert len(items) == 1, items
    return dict(items[0])


def test_system_page_says_when_the_worker_is_gone(
    page: Page, ui_url: str, stack: NativeStack
) -> None:
    stack.stop_worker()
    try:
        page.goto(f"{ui_url}/system")
        services = page.get_by_test_id("system-services")
        # The heartbeat expires a few intervals after the worker leaves.
        expect(services.locator("[data-service=pose_service]")).to_have_attribute(
            "data-ok", "false", timeout=30_000
        )
        expect(page.get_by_test_id("system-ready")).to_contain_text("Not ready")
        page.screenshot(path=str(artifact("system-no-worker.png")), full_page=True)
    finally:
        stack.start_worker()
