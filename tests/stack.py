"""NativeStack: the whole service stack as real local processes, for tests and benchmarks.

    with NativeStack(tmp_path) as stack:              # redis-server, mongod|FerretDB, api, worker
        job_id = stack.upload(VIDEOS / "single_person_squats_portrait.mp4")
        job = stack.wait_for_job(job_id, "succeeded")
        stack.kill_worker()                            # SIGKILL, like a crash
        stack.start_worker()                           # what a restart policy does

Each service runs as `posepipe api` / `posepipe worker` (the commands Compose runs) on free
loopback ports, with its environment built here (`stack.env`), its output in
`<root>/logs/<name>.log` (JSON lines), media under `<root>/media`. Pass `redis=` or `mongo=`
to reuse servers started elsewhere (then `database=` keeps stacks apart in one MongoDB),
`env=` to override any setting for every service, and `workers=0` to start without one.
`stop()` (or leaving the `with` block) stops everything this stack started.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.servers import MongoServer, RedisServer, free_port

FINISHED = ("succeeded", "failed", "canceled")


def posepipe_command() -> list[str]:
    """The `posepipe` script of the interpreter running the tests."""
    script = Path(sys.executable).parent / "posepipe"
    if script.exists():
        return [str(script)]
    found = shutil.which("posepipe")
    if found is None:
        raise RuntimeError("the posepipe command is not installed (make install)")
    return [found]


@dataclass
class ServiceProcess:
    """One `posepipe` service process and where its output goes."""

    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def alive(self) -> bool:
        """True while the process runs."""
        return self.process.poll() is None

    def child_pids(self) -> list[int]:
        """The processes this one started (a worker's pose processes), from /proc."""
        pids: list[int] = []
        for children in Path(f"/proc/{self.process.pid}/task").glob("*/children"):
            try:
                pids += [int(pid) for pid in children.read_text().split()]
            except OSError:
                continue
        return pids

    def log_lines(self) -> list[dict[str, Any]]:
        """The JSON log lines written so far (other output skipped)."""
        lines = []
        for raw in self.log_path.read_text(errors="replace").splitlines():
            if raw.startswith("{"):
                try:
                    lines.append(json.loads(raw))
                except ValueError:
                    continue
        return lines


class NativeStack:
    """Redis, MongoDB (or FerretDB), backend-api and pose-service workers as subprocesses."""

    def __init__(
        self,
        root: Path,
        *,
        env: dict[str, str] | None = None,
        workers: int = 1,
        redis: RedisServer | None = None,
        mongo: MongoServer | None = None,
        database: str | None = None,
    ) -> None:
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.log_dir = root / "logs"
        self.log_dir.mkdir(exist_ok=True)
        self.media_dir = root / "media"
        self.overrides = dict(env or {})
        self.initial_workers = workers
        self.redis = redis or RedisServer(root / "redis")
        self.mongo = mongo or MongoServer(root / "mongo")
        self._own_redis = redis is None
        self._own_mongo = mongo is None
        self.database = database or f"posepipe_{uuid.uuid4().hex[:8]}"
        self.api: ServiceProcess | None = None
        self.workers: list[ServiceProcess] = []
        self._count = 0

    # -- life cycle ---------------------------------------------------------------------

    def start(self) -> NativeStack:
        """Start the servers this stack owns, the API and the initial workers."""
        if self._own_redis:
            self.redis.start()
        if self._own_mongo:
            self.mongo.start()
        self.start_api()
        for _ in range(self.initial_workers):
            self.start_worker()
        return self

    def stop(self) -> None:
        """Stop every process this stack started (workers first, servers last)."""
        for worker in self.workers:
            self._terminate(worker)
        if self.api is not None:
            self._terminate(self.api)
        if self._own_mongo:
            self.mongo.stop()
        if self._own_redis:
            self.redis.stop()

    def __enter__(self) -> NativeStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def env(self) -> dict[str, str]:
        """The environment every service gets (the tests' own, plus the stack's settings)."""
        base = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
        base.update(
            {
                "MONGODB_URL": f"mongodb://127.0.0.1:{self.mongo.port}/{self.database}",
                "REDIS_URL": self.redis.url,
                "MEDIA_DIR": str(self.media_dir),
                "MODEL_CACHE_DIR": str(self.root / "models"),  # the mediapipe bundle lands here
                "LOG_FORMAT": "json",
                "LOG_LEVEL": "INFO",
                "POSE_BACKEND": "mediapipe",
                "BIND_ADDRESS": "127.0.0.1",
                # The stack's workers share one "host": their slot files (worker identity).
                "POSE_STATE_DIR": str(self.root / "state"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        base.update(self.overrides)
        return base

    # -- services -----------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """Base URL of backend-api, e.g. http://127.0.0.1:41234."""
        assert self.api is not None, "the API is not started"
        return f"http://127.0.0.1:{self.api.port}"

    @property
    def worker_health_url(self) -> str:
        """`/health` of the newest live worker."""
        return f"http://127.0.0.1:{self._live_worker().port}/health"

    def start_api(self, timeout_s: float = 30.0) -> ServiceProcess:
        """Start `posepipe api` (again) and wait for /api/health."""
        port = free_port()
        self.api = self._spawn("api", ["api", "--port", str(port)], port, {})
        _wait_http(f"http://127.0.0.1:{port}/api/health", self.api, timeout_s)
        return self.api

    def stop_api(self) -> None:
        """Stop the API (SIGTERM)."""
        if self.api is not None:
            self._terminate(self.api)

    def start_worker(
        self,
        env: dict[str, str] | None = None,
        timeout_s: float = 60.0,
        args: tuple[str, ...] = (),
    ) -> ServiceProcess:
        """Start one more `posepipe worker` (with `args`, e.g. `--reload`) and wait until its
        model is loaded."""
        self._count += 1
        port = free_port()
        worker = self._spawn(
            f"worker-{self._count}", ["worker", "--health-port", str(port), *args], port,
            env or {},
        )
        self.workers.append(worker)
        _wait_http(f"http://127.0.0.1:{port}/health", worker, timeout_s)
        return worker

    def kill_worker(self, worker: ServiceProcess | None = None) -> ServiceProcess:
        """SIGKILL a worker (the newest live one by default), as a crash would."""
        target = worker or self._live_worker()
        target.process.send_signal(signal.SIGKILL)
        target.process.wait(timeout=10)
        return target

    def stop_worker(self, worker: ServiceProcess | None = None) -> ServiceProcess:
        """SIGTERM a worker and wait for it to exit."""
        target = worker or self._live_worker()
        self._terminate(target)
        return target

    def _live_worker(self) -> ServiceProcess:
        live = [w for w in self.workers if w.alive]
        if not live:
            raise RuntimeError("no worker is running")
        return live[-1]

    def _spawn(
        self, name: str, args: list[str], port: int, extra: dict[str, str]
    ) -> ServiceProcess:
        log_path = self.log_dir / f"{name}.log"
        env = {**self.env, **extra}
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                [*posepipe_command(), *args],
                stdout=log, stderr=subprocess.STDOUT, env=env, cwd=self.root,
            )
        return ServiceProcess(name, process, log_path, port, extra)

    @staticmethod
    def _terminate(service: ServiceProcess, timeout_s: float = 20.0) -> None:
        if not service.alive:
            return
        service.process.terminate()
        try:
            service.process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            service.process.kill()
            service.process.wait()

    # -- API helpers ----------------------------------------------------------------------

    def client(self, **kwargs: Any) -> httpx.Client:
        """An httpx client on the API."""
        return httpx.Client(base_url=self.api_url, timeout=kwargs.pop("timeout", 30.0), **kwargs)

    def upload(self, path: Path, filename: str | None = None) -> str:
        """Upload a video; returns the job id (asserts 201)."""
        with self.client() as client, path.open("rb") as f:
            response = client.post(
                "/api/videos", files={"file": (filename or path.name, f, "video/mp4")}
            )
        if response.status_code != 201:
            raise AssertionError(f"upload answered {response.status_code}: {response.text}")
        return str(response.json()["job_id"])

    def metric(self, name: str) -> float:
        """One unlabelled sample of the API's /metrics (e.g. posepipe_frames_inferred_total)."""
        with self.client() as client:
            text = client.get("/metrics").text
        for line in text.splitlines():
            if line.startswith(f"{name} "):
                return float(line.split()[1])
        raise KeyError(f"{name} is not in /metrics")

    def job(self, job_id: str) -> dict[str, Any]:
        """`GET /api/jobs/{id}`."""
        with self.client() as client:
            response = client.get(f"/api/jobs/{job_id}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def wait_for_job(
        self, job_id: str, *statuses: str, timeout_s: float = 120.0, poll_s: float = 0.2
    ) -> dict[str, Any]:
        """Poll the job until its status is one of `statuses` (any finished one by default)."""
        wanted = statuses or FINISHED
        deadline = time.monotonic() + timeout_s
        job: dict[str, Any] = {}
        while time.monotonic() < deadline:
            job = self.job(job_id)
            if job["status"] in wanted:
                return job
            if job["status"] in FINISHED:
                raise AssertionError(f"job ended {job['status']}, not {wanted}: {job}")
            time.sleep(poll_s)
        raise TimeoutError(f"job {job_id} not {wanted} after {timeout_s} s: {job}")


def _wait_http(url: str, service: ServiceProcess, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not service.alive:
            tail = service.log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"{service.name} exited with {service.process.returncode}:\n{tail}")
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    tail = service.log_path.read_text(errors="replace")[-3000:]
    raise TimeoutError(f"{service.name}: {url} not ready after {timeout_s} s:\n{tail}")
