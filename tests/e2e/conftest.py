"""The end-to-end fixtures: the native stack, the Vite dev server in front of it, and
Debian's Chromium driven by Playwright (/usr/bin/chromium; Playwright's own browser
download is never used).

Everything is started once for the e2e package and stopped after it. Screenshots go to
`test-artifacts/e2e/` (git-ignored); a failing test leaves one named after itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from tests.conftest import REPO
from tests.servers import free_port, wait_for_port
from tests.stack import NativeStack

FRONTEND = REPO / "frontend"
ARTIFACTS = REPO / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 800}  # a laptop screen
# A killed worker's job comes back after this (Dramatiq's heartbeat timeout). The worker's
# broker heartbeats about once a second, so 10 s is safe and keeps the crash test short.
QUEUE_HEARTBEAT_TIMEOUT_S = "10"
# Small enough to test a refused upload with a small file, big enough for every test clip.
MAX_UPLOAD_MB = 4


@pytest.fixture(scope="package")
def frontend_port() -> int:
    """The Vite dev server's port, chosen before the API starts: the API asks it for memory."""
    return free_port()


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory, frontend_port: int) -> Iterator[NativeStack]:
    """Redis, MongoDB (or FerretDB), `posepipe api` and one `posepipe worker`, for real."""
    with NativeStack(
        tmp_path_factory.mktemp("e2e-stack"),
        env={
            "QUEUE_HEARTBEAT_TIMEOUT_S": QUEUE_HEARTBEAT_TIMEOUT_S,
            "MAX_UPLOAD_MB": str(MAX_UPLOAD_MB),
            "FRONTEND_URL": f"http://127.0.0.1:{frontend_port}",
        },
    ) as native:
        yield native


@pytest.fixture(scope="package")
def ui_url(
    stack: NativeStack, tmp_path_factory: pytest.TempPathFactory, frontend_port: int
) -> Iterator[str]:
    """The Vite dev server (`npm run dev`) proxying /api and /metrics to the stack's API."""
    if not (FRONTEND / "node_modules").is_dir():
        pytest.fail("frontend/node_modules is missing: run `make frontend-deps`")
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("npm is not installed")
    assert stack.api is not None
    port = frontend_port
    env = {
        **os.environ,
        "FRONTEND_PORT": str(port),
        "FRONTEND_HOST": "127.0.0.1",
        "API_PORT": str(stack.api.port),
        "BROWSER": "none",
    }
    log_path = tmp_path_factory.mktemp("vite") / "vite.log"
    with log_path.open("ab") as log:
        # Its own session, so the npm -> sh -> node chain stops together.
        vite = subprocess.Popen(
            [npm, "run", "dev"], cwd=FRONTEND, env=env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, timeout_s=60, process=vite)
        url = f"http://127.0.0.1:{port}"
        httpx.get(f"{url}/", timeout=30).raise_for_status()
        yield url
    finally:
        os.killpg(vite.pid, signal.SIGTERM)
        try:
            vite.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(vite.pid, signal.SIGKILL)
            vite.wait()


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    """Playwright's driver process."""
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make test-deps`")
    chromium = playwright_driver.chromium.launch(
        executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser tab at laptop size; fails the test on any uncaught page error."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("console", lambda msg: _keep_errors(msg, errors))
    yield tab
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        tab.screenshot(path=str(artifact(f"FAILED-{request.node.name}.png")))
    context.close()
    assert not errors, f"the page reported errors: {errors}"


def _keep_errors(message: ConsoleMessage, errors: list[str]) -> None:
    # Failed requests are logged by the browser itself (a 404 the UI handles, e.g. a route
    # an older API lacks); anything else logged as an error is the app's own complaint.
    if message.type == "error" and "Failed to load resource" not in message.text:
        errors.append(message.text)


@pytest.fixture
def doc_screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[..., Path]:
    """Screenshot the page for the documentation: into test-artifacts/e2e/, and into
    `--screenshots-dir` when given (`make screenshots`: docs/screenshots), taken by the very
    tests that check what the page shows, so the README's pictures cannot go stale."""
    target: Path | None = request.config.getoption("--screenshots-dir")

    def take(name: str, *, full_page: bool = False) -> Path:
        path = artifact(name)
        page.screenshot(path=str(path), full_page=full_page)
        if target is not None:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / name)
        return path

    return take


def artifact(name: str) -> Path:
    """A path under test-artifacts/e2e/ for a screenshot or other evidence."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / name


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    """Keep each phase's report on the test item, so `page` can tell a failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
