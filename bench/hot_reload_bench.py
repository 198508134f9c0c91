"""Hot reload: seconds from saving a .py file to the change being live, run natively.

Both services run the exact `command:` docker-compose.yml gives them (rendered by the real
Compose CLI, ports from here, /app/src mapped to a private copy of src/ so the shared tree is
never touched), against real Redis and MongoDB (or FerretDB) servers:

- backend-api: `posepipe api ... --reload` (uvicorn's reloader). The save changes a value
  that a probe route of the copied posepipe/api/app.py returns; live = the route answers it.
- pose-service: `posepipe worker ... --reload` (watchfiles restarts it). The save touches a
  module the worker imports; live = /health of a new process with the model loaded again
  (`uptime_s` below the time since the save).

Each is measured with inotify (the default) and with polling (WATCH_POLLING=1, for a
repository on a Windows drive).

    .venv/bin/python bench/hot_reload_bench.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the test suite's real servers and compose renderer

from tests.compose_config import render  # noqa: E402
from tests.servers import MongoServer, RedisServer, free_port  # noqa: E402

PROBE = '''

# --- hot reload bench probe (bench/hot_reload_bench.py writes this into a copy) ---
_bench_create_app = create_app


def create_app(settings=None):  # type: ignore[no-redef]
    app = _bench_create_app(settings)

    @app.get("/api/_reload_probe")
    def _reload_probe() -> dict:
        return {"marker": MARKER}

    return app


MARKER = %d
'''


def _copy_source(root: Path) -> Path:
    src = root / "src"
    shutil.copytree(REPO / "src" / "posepipe", src / "posepipe",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return src


def _native(command: list[str], src: Path) -> list[str]:
    """A compose command as it runs here: the venv's programs, /app/src -> the copy."""
    venv_bin = Path(sys.executable).parent
    argv = [arg.replace("/app/src", str(src)) for arg in command]
    if (venv_bin / argv[0]).exists():
        argv[0] = str(venv_bin / argv[0])
    return argv


def _wait(
    predicate: Callable[[], bool], timeout_s: float, what: str, poll_s: float = 0.02
) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        try:
            if predicate():
                return time.monotonic() - start
        except (httpx.HTTPError, ValueError, KeyError):
            pass
        time.sleep(poll_s)
    raise TimeoutError(f"{what} not live after {timeout_s} s")


def _get(url: str) -> Any:
    response = httpx.get(url, timeout=2.0)
    return response.json() if response.status_code == 200 else None


def bench_api(command: list[str], src: Path, env: dict[str, str], port: int, repeats: int,
              log: Path) -> list[float]:
    """Seconds from saving app.py to the probe route answering the new marker."""
    app_py = src / "posepipe" / "api" / "app.py"
    original = app_py.read_text()
    app_py.write_text(original + PROBE % 0)
    url = f"http://127.0.0.1:{port}/api/_reload_probe"
    with log.open("ab") as out:
        process = subprocess.Popen(_native(command, src), env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        _wait(lambda: (_get(url) or {}).get("marker") == 0, 60, "API start")
        times = []
        for marker in range(1, repeats + 1):
            time.sleep(1.0)  # let the reloader settle between saves
            app_py.write_text(original + PROBE % marker)
            times.append(_wait(lambda m=marker: (_get(url) or {}).get("marker") == m,  # type: ignore[misc]
                               60, "API change"))
        return times
    finally:
        process.terminate()
        process.wait(timeout=30)
        app_py.write_text(original)


def bench_worker(command: list[str], src: Path, env: dict[str, str], port: int, repeats: int,
                 log: Path) -> list[float]:
    """Seconds from saving a worker module to /health of a new process with its model loaded."""
    module = src / "posepipe" / "pose" / "pipeline.py"
    original = module.read_text()
    url = f"http://127.0.0.1:{port}/health"

    def fresh_and_loaded(saved_at: float) -> bool:
        health = _get(url)
        age = time.monotonic() - saved_at
        return bool(health and health.get("model_loaded") and health["uptime_s"] < age)

    with log.open("ab") as out:
        process = subprocess.Popen(_native(command, src), env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    try:
        _wait(lambda: bool((_get(url) or {}).get("model_loaded")), 120, "worker start")
        times = []
        for marker in range(1, repeats + 1):
            time.sleep(1.0)
            module.write_text(original + f"\n# hot reload bench save {marker}\n")
            saved_at = time.monotonic()
            times.append(_wait(lambda s=saved_at: fresh_and_loaded(s), 120,  # type: ignore[misc]
                               "worker change"))
        return times
    finally:
        process.terminate()
        process.wait(timeout=60)
        module.write_text(original)


def _summary(times: list[float]) -> str:
    return (f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
            f"n={len(times)})")


def measure_native(
    repeats: int, modes: tuple[str, ...] = ("inotify", "polling")
) -> dict[str, tuple[list[float], list[float]]]:
    """{mode: (API times, worker times)}, each service run natively as Compose runs it."""
    results: dict[str, tuple[list[float], list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="posepipe-reload-") as tmp:
        root = Path(tmp)
        src = _copy_source(root)
        redis, mongo = RedisServer(root / "redis"), MongoServer(root / "mongo")
        redis.start()
        mongo.start()
        try:
            api_port, health_port = free_port(), free_port()
            services = render(root, {"API_PORT": str(api_port),
                                     "POSE_HEALTH_PORT": str(health_port)})["services"]
            base = {k: v for k, v in os.environ.items() if not k.startswith("WATCHFILES_")}
            base.update({
                "PYTHONPATH": str(src), "REDIS_URL": redis.url,
                "MONGODB_URL": f"mongodb://127.0.0.1:{mongo.port}/posepipe_reload_bench",
                "MEDIA_DIR": str(root / "media"), "LOG_FORMAT": "json", "LOG_LEVEL": "INFO",
                "POSE_BACKEND": "mediapipe", "API_PORT": str(api_port),
                "POSE_HEALTH_PORT": str(health_port), "PYTHONUNBUFFERED": "1",
                # as in the images: the environment's programs first
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            })
            for mode in modes:
                env = {**base, **({"WATCH_POLLING": "1"} if mode == "polling" else {})}
                api = bench_api(services["backend-api"]["command"], src, env, api_port,
                                repeats, root / f"api-{mode}.log")
                worker = bench_worker(services["pose-service"]["command"], src, env,
                                      health_port, repeats, root / f"worker-{mode}.log")
                results[mode] = (api, worker)
                print(f"{mode}: api {_summary(api)}; worker {_summary(worker)}", flush=True)
        finally:
            mongo.stop()
            redis.stop()
    return results


def main() -> int:
    """Run both measurements in both watcher modes and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    results = measure_native(args.repeats)
    print("\n| watcher | backend-api (uvicorn --reload) "
          "| pose-service (watchfiles, model reload) |")
    print("|---|---|---|")
    for mode, (api, worker) in results.items():
        print(f"| {mode} | {_summary(api)} | {_summary(worker)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
