"""The System page against the live stack: services, readiness, queue, worker, GPU."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import artifact
from tests.stack import NativeStack

pytestmark = pytest.mark.e2e


def test_system_page_shows_each_service(page: Page, ui_url: str, stack: NativeStack) -> None:
    page.goto(f"{ui_url}/system")
    services = page.get_by_test_id("system-services")
    for name in ("backend-api", "mongodb", "redis", "pose_service"):
        expect(services.locator(f"[data-service={name}]")).to_have_attribute("data-ok", "true")
    expect(page.get_by_test_id("system-ready")).to_contain_text("Ready")
    expect(page.get_by_test_id("queue-depth")).to_have_text("0")

    gpu = page.get_by_test_id("system-gpu")
    with stack.client() as client:
        relays_workers = client.get("/api/workers").status_code == 200
    if relays_workers:
        # This machine has no GPU: the mediapipe worker says it runs on the CPU.
        expect(gpu).to_contain_text("Running on CPU")
        expect(page.get_by_test_id("worker-current-job")).to_have_text("idle")
    else:
        expect(gpu).to_contain_text("does not relay GPU readings")
    page.screenshot(path=str(artifact("system.png")), full_page=True)


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
