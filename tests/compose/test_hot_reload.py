"""Code changes live without a rebuild, on the stack started from a copy of the repository:
a saved `.py` file is served by backend-api (uvicorn --reload) and restarts pose-service's
worker (watchfiles); a saved `.tsx` file reaches the open page through Vite's HMR."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.compose.conftest import REPORT
from tests.compose.harness import ComposeStack

pytestmark = pytest.mark.compose

TITLE = '        title="posepipe backend-api",'
RELOADED_TITLE = '        title="posepipe backend-api (reloaded)",'


def _until(check: Callable[[], bool], timeout_s: float, what: str) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout_s:
        try:
            if check():
                return time.monotonic() - t0
        except (httpx.TransportError, ValueError, KeyError):
            pass
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout_s} s")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def app_module(stack: ComposeStack) -> Iterator[Path]:
    """The copy's src/posepipe/api/app.py, put back (and reloaded) after the test."""
    path = stack.root / "src" / "posepipe" / "api" / "app.py"
    original = path.read_text()
    yield path
    if path.read_text() != original:
        path.write_text(original)
        stack.wait_health("backend-api", "healthy", timeout_s=60)
        _until(lambda: _title(stack) == "posepipe backend-api", 60, "the API reloading back")
        stack.wait_health("pose-service", "healthy", timeout_s=120)


def _title(stack: ComposeStack) -> str:
    return str(httpx.get(f"{stack.api_url}/api/openapi.json", timeout=5).json()["info"]["title"])


def _worker_id(stack: ComposeStack) -> str:
    doc = httpx.get(stack.pose_health_url, timeout=5).json()
    return str(doc["worker_id"]) if doc["status"] == "ok" else ""


def test_a_saved_py_file_is_live_in_both_python_services(
    stack: ComposeStack, app_module: Path
) -> None:
    worker_before = _worker_id(stack)
    assert worker_before
    started = {name: stack.started_at(name) for name in ("backend-api", "pose-service")}
    saved = time.monotonic()
    _edit(app_module, TITLE, RELOADED_TITLE)
    api_s = _until(
        lambda: _title(stack) == "posepipe backend-api (reloaded)",
        60,
        "backend-api serving the saved change",
    )
    worker_s = _until(
        lambda: _worker_id(stack) not in ("", worker_before),
        120,
        "pose-service restarting its worker",
    )
    REPORT["measured:hot reload in the container, backend-api"] = f"{api_s:.1f} s"
    REPORT["measured:hot reload in the container, pose-service worker ready again"] = (
        f"{time.monotonic() - saved:.1f} s (new worker answering after {worker_s:.1f} s)"
    )
    # Neither container was restarted or rebuilt: the processes inside them reloaded.
    assert {name: stack.started_at(name) for name in started} == started


@pytest.fixture
def app_tsx(stack: ComposeStack) -> Iterator[Path]:
    """The copy's frontend/src/App.tsx, put back after the test."""
    path = stack.root / "frontend" / "src" / "App.tsx"
    original = path.read_text()
    yield path
    path.write_text(original)


def test_a_saved_tsx_file_reaches_the_page_through_vite(
    page: Page, stack: ComposeStack, app_tsx: Path
) -> None:
    page.goto(f"{stack.frontend_url}/jobs")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_contain_text("System")
    saved = time.monotonic()
    _edit(
        app_tsx,
        '<NavLink to="/system">System</NavLink>',
        '<NavLink to="/system">System (hot)</NavLink>',
    )
    expect(nav).to_contain_text("System (hot)", timeout=30_000)
    REPORT["measured:hot reload in the container, frontend (Vite HMR)"] = (
        f"{time.monotonic() - saved:.1f} s"
    )
