"""The Compose stack, built from the repository's Dockerfiles and started for real, once for
the whole folder (`make test-compose`; a plain `pytest` leaves this folder out).

The tests run in the order of `ORDER` below: the first ones use the stack as `up` left it,
later ones restart, crash, reconfigure and finally take it down. Each leaves every service
healthy again for the next. Whatever happens, everything the run started is stopped and
removed at the end (containers, networks, volumes; the images and the build cache stay).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.compose.harness import SERVICES, ComposeError, ComposeStack, DockerEngine
from tests.conftest import VIDEOS

# Fixtures for Chromium, shared with the e2e tests (Debian's /usr/bin/chromium).
from tests.e2e.conftest import (  # noqa: F401
    browser,
    page,
    playwright_driver,
    pytest_runtest_makereport,
)

ORDER = (
    "test_health.py",
    "test_main_job.py",
    "test_memory.py",
    "test_logs.py",
    "test_restart.py",
    "test_crash.py",
    "test_unhealthy.py",
    "test_hot_reload.py",
    "test_ownership.py",
    "test_persistence.py",
)

# What the run measured, printed after the tests (pytest_terminal_summary).
REPORT: dict[str, Any] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the modules of this folder in ORDER, after anything else."""

    def rank(item: pytest.Item) -> int:
        name = Path(str(item.fspath)).name
        return ORDER.index(name) if name in ORDER else -1

    items.sort(key=rank)


@pytest.fixture(scope="session")
def engine() -> Iterator[DockerEngine]:
    """The Docker engine (the machine's own, or the private one), claimed for the session;
    a private engine no other run claims is stopped after."""
    REPORT["started"] = t0 = time.monotonic()
    try:
        found = DockerEngine.ensure()
    except ComposeError as exc:
        pytest.fail(str(exc), pytrace=False)
    REPORT["engine"] = f"{found.kind} Docker {found.version}"
    REPORT["engine_s"] = time.monotonic() - t0
    try:
        try:
            REPORT["stale"] = found.remove_stale_stacks()
            t0 = time.monotonic()
            REPORT["base_images"] = found.base_images()
            REPORT["base_images_s"] = time.monotonic() - t0
        except ComposeError as exc:
            pytest.fail(str(exc), pytrace=False)
        yield found
    finally:
        found.release()
        REPORT["total_s"] = time.monotonic() - REPORT["started"]


@pytest.fixture(scope="session")
def stack(engine: DockerEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ComposeStack]:
    """The CPU variant of the stack, built and started from a copy of the repository.

    A service that does not build, start or become healthy fails every test, with the last
    log lines of each service in the message.
    """
    compose = ComposeStack(engine, tmp_path_factory.mktemp("compose") / "repo").prepare()
    try:
        try:
            REPORT["build_s"] = compose.build()
            REPORT["healthy_s"] = compose.up()
        except ComposeError as exc:
            pytest.fail(str(exc), pytrace=False)
        missing = [name for name in SERVICES if name not in REPORT["healthy_s"]]
        if missing:
            pytest.fail(
                f"not healthy after up: {missing}\n{compose.last_logs(*missing)}", pytrace=False
            )
        # From each container's own start: what the service itself takes (the time from `up`
        # adds the wait for the services it depends on).
        REPORT["own_start_s"] = compose.own_start_seconds()
        yield compose
    finally:
        try:
            compose.remove()
        except ComposeError as exc:  # reported, never hiding the tests' own outcome
            print(f"clean-up failed: {exc}")


@pytest.fixture(scope="session")
def main_job(stack: ComposeStack) -> dict[str, Any]:
    """The example clip uploaded at the published API port, run to `succeeded`."""
    job_id = stack.upload(VIDEOS / "single_person_squats_portrait.mp4")
    job = stack.wait_for_job(job_id, "succeeded", timeout_s=180)
    return job


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print what the run measured: engine, base images, build and start-up times."""
    if not REPORT:
        return
    write = terminalreporter.write_line
    terminalreporter.section("Compose stack")
    write(f"engine: {REPORT.get('engine')} (ready in {REPORT.get('engine_s', 0):.1f} s)")
    if REPORT.get("stale"):
        write(f"removed stacks an interrupted run left behind: {', '.join(REPORT['stale'])}")
    for name, how in REPORT.get("base_images", {}).items():
        label = "a LOCAL STAND-IN built from Debian's packages" if how == "standin" else how
        write(f"base image {name}: {label}")
    if "build_s" in REPORT:
        write(f"docker compose build: {REPORT['build_s']:.1f} s")
    own = REPORT.get("own_start_s", {})
    for name, seconds in sorted(REPORT.get("healthy_s", {}).items(), key=lambda kv: kv[1]):
        started = f" ({own[name]:.1f} s from its own container's start)" if name in own else ""
        write(f"up -> {name} healthy: {seconds:.1f} s{started}")
    for key, value in REPORT.items():
        if key.startswith("measured:"):
            write(f"{key.removeprefix('measured:')}: {value}")
    if "total_s" in REPORT:
        write(
            f"test-compose, from the copy of the repository to the last clean-up: "
            f"{REPORT['total_s']:.0f} s"
        )
