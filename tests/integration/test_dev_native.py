"""`make dev-native`'s Procfile under honcho: every service comes up on the ports it is
given, the stack serves a job, and one SIGINT (Ctrl-C) stops every process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]


def _children_of(pgid: int) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pgid=,pid=,args="], capture_output=True, text=True)
    return [line for line in out.stdout.splitlines() if line.split()[0] == str(pgid)]


def test_procfile_brings_the_stack_up_and_ctrl_c_stops_it(
    tmp_path: Path, videos_dir: Path
) -> None:
    ports = {name: free_port() for name in ("api", "health", "frontend", "redis", "mongo")}
    env = {
        **os.environ,
        "POSEPIPE_DEV_DIR": str(tmp_path / "dev"),
        "VENV": str(Path(sys.executable).parent.parent),
        "API_PORT": str(ports["api"]),
        "POSE_HEALTH_PORT": str(ports["health"]),
        "FRONTEND_PORT": str(ports["frontend"]),
        "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
        "MONGODB_URL": f"mongodb://127.0.0.1:{ports['mongo']}/posepipe",
        "POSE_BACKEND": "mediapipe",
    }
    services = ["redis", "mongodb", "api", "worker"]
    if (REPO / "frontend" / "node_modules").is_dir():
        services.append("frontend")
    honcho = Path(sys.executable).parent / "honcho"
    log = (tmp_path / "honcho.log").open("wb")
    process = subprocess.Popen(
        [str(honcho), "-f", "Procfile.dev", "start", *services],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    api = f"http://127.0.0.1:{ports['api']}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (tmp_path / "honcho.log").read_text()[-3000:]
            try:
                if httpx.get(f"{api}/api/ready", timeout=3).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "honcho.log").read_text()[-3000:]
            time.sleep(0.5)
        health = httpx.get(f"http://127.0.0.1:{ports['health']}/health", timeout=5).json()
        assert health["model_loaded"] is True
        if "frontend" in services:  # the dev server proxies /api to API_PORT
            proxied = httpx.get(f"http://127.0.0.1:{ports['frontend']}/api/health", timeout=10)
            assert proxied.json() == {"status": "ok"}
        with (videos_dir / "single_person_squats_portrait.mp4").open("rb") as f:
            job_id = httpx.post(f"{api}/api/videos", files={"file": ("s.mp4", f)}).json()["job_id"]
        while httpx.get(f"{api}/api/jobs/{job_id}").json()["status"] != "succeeded":
            assert time.monotonic() < deadline + 60
            time.sleep(0.5)
        assert (tmp_path / "dev" / "media").is_dir()
    finally:
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in the terminal sends
        process.wait(timeout=60)
        log.close()
    time.sleep(1)
    assert _children_of(process.pid) == []
    text = (tmp_path / "honcho.log").read_text()
    for name in services:
        assert f"{name}.1 stopped" in text, name
    assert "| redis.1" in text and "| worker.1" in text  # interleaved, prefixed
