"""Parity: every `command:` and healthcheck `test:` of docker-compose.yml runs natively and passes.

No Docker engine runs here, so the compose file is rendered by the real Compose CLI and its
commands run as local processes against the native stack (tests/stack.py): what a container
would start and probe, with the container's paths and service names mapped to this machine
(/app/src -> ./src as the bind mounts say, redis/mongodb -> the stack's servers, volumes ->
temporary folders). A renamed CLI option, a moved health endpoint or a port that Compose and
the code read differently fails here instead of in someone's `docker compose up`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.compose_config import REPO, render
from tests.servers import free_port
from tests.stack import NativeStack

pytestmark = [pytest.mark.integration, pytest.mark.slow]

VENV_BIN = Path(sys.executable).parent
# Inside the containers: named volumes and the model cache, mapped to temporary folders.
CONTAINER_DIRS = ("/data/media", "/data/logs", "/models")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NativeStack]:
    """Redis, MongoDB (or FerretDB), `posepipe api` and one worker, for the whole module."""
    with NativeStack(tmp_path_factory.mktemp("parity-stack")) as native:
        yield native


def _healthcheck_argv(test: list[str]) -> list[str]:
    kind, *rest = test
    if kind == "CMD":
        return rest
    assert kind == "CMD-SHELL", test
    return ["/bin/sh", "-c", rest[0]]


def _run(
    argv: list[str], env: dict[str, str], timeout_s: float = 30.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout_s,
                          check=False)


def _native_env(stack: NativeStack, service: dict[str, Any], scratch: Path) -> dict[str, str]:
    """The service's compose environment as it applies on this machine."""
    env = dict(stack.env)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    for key, value in (service.get("environment") or {}).items():
        value = str(value)
        if key in ("MONGODB_URL", "REDIS_URL"):
            continue  # the stack's servers stand in for the mongodb and redis services
        for container_dir in CONTAINER_DIRS:
            if value == container_dir:
                value = str(scratch / container_dir.strip("/").replace("/", "-"))
        env[key] = value.replace("http://backend-api:", "http://127.0.0.1:")
    env["MEDIA_DIR"] = str(stack.media_dir)  # the media volume both services share
    return env


def _native_argv(service: dict[str, Any], key: str = "command") -> list[str]:
    """The service's command with its bind-mount targets mapped back to their sources."""
    argv = [str(arg) for arg in service[key]]
    for volume in service.get("volumes", []):
        if volume["type"] == "bind":
            argv = [arg.replace(volume["target"], volume["source"]) for arg in argv]
    return argv


def _wait_healthy(test: list[str], env: dict[str, str], process: subprocess.Popen[bytes],
                  timeout_s: float, log: Path) -> float:
    """Run the healthcheck test until it exits 0, as Docker would during start_period."""
    start = time.monotonic()
    last = None
    while time.monotonic() - start < timeout_s:
        if process.poll() is not None:
            pytest.fail(f"the command exited with {process.returncode}:\n"
                        f"{log.read_text(errors='replace')[-3000:]}")
        last = _run(_healthcheck_argv(test), env, timeout_s=15)
        if last.returncode == 0:
            return time.monotonic() - start
        time.sleep(0.5)
    pytest.fail(f"healthcheck never passed: {last.stderr[-1500:] if last else ''}\n"
                f"{log.read_text(errors='replace')[-3000:]}")


def _start(
    argv: list[str], env: dict[str, str], log: Path, cwd: Path = REPO
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(argv, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()


def test_healthchecks_pass_against_the_native_stack(stack: NativeStack, tmp_path: Path) -> None:
    assert stack.api is not None
    services = render(tmp_path, {"API_PORT": str(stack.api.port),
                                 "POSE_HEALTH_PORT": str(stack.workers[0].port)})["services"]
    for name in ("backend-api", "pose-service"):
        env = _native_env(stack, services[name], tmp_path)
        result = _run(_healthcheck_argv(services[name]["healthcheck"]["test"]), env)
        assert result.returncode == 0, (name, result.stderr)


@pytest.mark.parametrize(
    ("service", "port_var"),
    [("backend-api", "API_PORT"), ("pose-service", "POSE_HEALTH_PORT")],
)
def test_python_service_commands_run_natively_and_pass_their_healthchecks(
    stack: NativeStack, tmp_path: Path, service: str, port_var: str
) -> None:
    rendered = render(tmp_path, {port_var: str(free_port())})["services"][service]
    env = _native_env(stack, rendered, tmp_path)
    argv = _native_argv(rendered)
    assert not any("/app/" in arg for arg in argv), argv
    log = tmp_path / f"{service}.log"
    process = _start(argv, env, log)
    try:
        _wait_healthy(rendered["healthcheck"]["test"], env, process, 90, log)
    finally:
        _stop(process)


def test_dockerfile_healthchecks_pass_against_the_native_stack(stack: NativeStack) -> None:
    assert stack.api is not None
    ports = {"backend-api": ("API_PORT", stack.api.port),
             "pose-service": ("POSE_HEALTH_PORT", stack.workers[0].port)}
    for name, (var, port) in ports.items():
        text = (REPO / "docker" / f"{name}.Dockerfile").read_text().replace("\\\n", " ")
        line = next(x for x in text.splitlines() if x.startswith("HEALTHCHECK"))
        argv = json.loads(line.split(" CMD ", 1)[1])
        env = {**stack.env, var: str(port),
               "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        result = _run(argv, env)
        assert result.returncode == 0, (name, result.stderr)


def test_frontend_command_serves_and_proxies_the_api(stack: NativeStack, tmp_path: Path) -> None:
    if not (REPO / "frontend" / "node_modules" / ".bin" / "vite").exists():
        pytest.skip("frontend packages not installed (make frontend-deps)")
    assert stack.api is not None
    port = free_port()
    rendered = render(tmp_path, {"FRONTEND_PORT": str(port), "API_PORT": str(stack.api.port)})[
        "services"]["frontend"]
    env = _native_env(stack, rendered, tmp_path)
    assert env["VITE_API_TARGET"] == f"http://127.0.0.1:{stack.api.port}"
    log = tmp_path / "frontend.log"
    # The image's working directory is /app/frontend, where ./frontend's files are.
    process = _start(_native_argv(rendered), env, log, cwd=REPO / "frontend")
    try:
        _wait_healthy(rendered["healthcheck"]["test"], env, process, 90, log)
        proxied = httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=10)
        assert proxied.status_code == 200 and proxied.json()["status"] == "ok"
    finally:
        _stop(process)


def test_redis_command_and_healthcheck(tmp_path: Path) -> None:
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.skip("redis-server / redis-cli not installed (make test-deps)")
    rendered = render(tmp_path)["services"]["redis"]
    port = str(free_port())
    # The container's working directory (/data) and port (6379), here.
    argv = [*rendered["command"], "--port", port, "--dir", str(tmp_path)]
    test = [part.replace("-p 6379", f"-p {port}") for part in rendered["healthcheck"]["test"]]
    log = tmp_path / "redis.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    process = _start(argv, env, log, cwd=tmp_path)
    try:
        _wait_healthy(test, env, process, 30, log)
        assert (tmp_path / "appendonlydir").is_dir(), "appendonly is on"
    finally:
        _stop(process)


def test_mongodb_command_and_healthcheck(tmp_path: Path) -> None:
    if shutil.which("mongod") is None or shutil.which("mongosh") is None:
        pytest.skip("mongod and mongosh not installed: the tests use FerretDB (mongo:7's "
                    "command and its mongosh check run only where MongoDB is installed)")
    rendered = render(tmp_path)["services"]["mongodb"]
    port = str(free_port())
    argv = [*rendered["command"], "--port", port, "--dbpath", str(tmp_path)]
    test = [part.replace("27017", port) for part in rendered["healthcheck"]["test"]]
    log = tmp_path / "mongod.log"
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    process = _start(argv, env, log, cwd=tmp_path)
    try:
        _wait_healthy(test, env, process, 60, log)
    finally:
        _stop(process)
