"""Each image's services start with only the packages of the lock file that image installs.

The tests' virtualenv has every extra, so an import of a package that an image lacks
(OpenCV in backend-api, say) passes every other test and fails only in `docker build` or at
the container's start. Here each service runs as the image runs it, in a child process whose
imports are limited to the standard library, posepipe and the distributions its lock file
names: an import outside them fails with the package's name and the lock file.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import REPO
from tests.servers import MongoServer, RedisServer, free_port

pytestmark = pytest.mark.integration

# Installed first in the child: refuses any top-level module that an installed distribution
# provides unless the lock file names that distribution (the standard library, posepipe and
# the interpreter's own modules belong to no distribution and pass).
_GUARD = r"""
import importlib.abc, importlib.metadata, re, sys
lock, argv = sys.argv[1], sys.argv[2:]
def norm(name): return re.sub(r"[-_.]+", "-", name).lower()
allowed = {norm(line.split("==")[0]) for line in open(lock) if "==" in line}
providers = importlib.metadata.packages_distributions()
class LockGuard(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        dists = [d for d in providers.get(top, []) if norm(d) != "posepipe"]
        if not dists or top in sys.stdlib_module_names or any(norm(d) in allowed for d in dists):
            return None
        raise ModuleNotFoundError(
            f"{top} (from {', '.join(dists)}) is imported but "
            f"{lock} does not install it", name=top)
sys.meta_path.insert(0, LockGuard())
for module in ("uvicorn.supervisors.watchfilesreload", "watchfiles"):
    __import__(module)  # what --reload imports in the images, once per start
sys.argv = ["posepipe", *argv]
from posepipe.cli import main
main()
"""


def _run_guarded(lock: str, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", _GUARD, str(REPO / "requirements" / lock), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _serve_until_healthy(process: subprocess.Popen[str], url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                output = process.stdout.read() if process.stdout else ""
                pytest.fail(f"the service exited ({process.returncode}):\n{output[-3000:]}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        pytest.fail(f"{url} did not answer 200 within {timeout_s} s")
    finally:
        process.terminate()
        try:
            process.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.communicate()


@pytest.fixture
def service_env(
    tmp_path: Path, redis_server: RedisServer, mongo_server: MongoServer
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env.update(
        MONGODB_URL=f"{mongo_server.url.rsplit('/', 1)[0]}/locks",
        REDIS_URL=redis_server.url,
        MEDIA_DIR=str(tmp_path / "media"),
        LOG_FORMAT="json",
        POSE_BACKEND="mediapipe",
    )
    return env


@pytest.mark.parametrize(
    ("lock", "args"),
    [("api.txt", ["--help"]), ("api.txt", ["api", "--help"]), ("pose-cpu.txt", ["--help"])],
)
def test_the_command_line_of_each_image_starts(lock: str, args: list[str]) -> None:
    """The images' build ends with `posepipe --help`: it must not need another package."""
    result = subprocess.run(
        [sys.executable, "-c", _GUARD, str(REPO / "requirements" / lock), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_backend_api_serves_with_the_api_lock_alone(service_env: dict[str, str]) -> None:
    port = free_port()
    process = _run_guarded(
        "api.txt", ["api", "--host", "127.0.0.1", "--port", str(port)], service_env
    )
    _serve_until_healthy(process, f"http://127.0.0.1:{port}/api/health", 60)


def test_pose_service_serves_with_the_cpu_lock_alone(service_env: dict[str, str]) -> None:
    port = free_port()
    process = _run_guarded(
        "pose-cpu.txt", ["worker", "--host", "127.0.0.1", "--health-port", str(port)], service_env
    )
    _serve_until_healthy(process, f"http://127.0.0.1:{port}/health", 120)


def test_the_guard_refuses_a_package_outside_the_lock() -> None:
    """The guard itself: OpenCV is not in the api lock, so importing it must fail."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _GUARD.replace("from posepipe.cli import main\nmain()", "import cv2"),
            str(REPO / "requirements" / "api.txt"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert re.search(
        r"cv2 \(from opencv.*\) is imported but .*api\.txt does not install it", result.stderr
    ), result.stderr
