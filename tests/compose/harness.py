"""ComposeStack: the repository's Compose stack, built and started for real on a Docker engine.

    engine = DockerEngine.ensure()                 # the machine's Docker, or a private one
    stack = ComposeStack(engine, tmp_path / "repo").prepare()   # a copy of the repository
    stack.build(); stack.up()                      # `docker compose build`, `up -d --wait`
    stack.compose("restart", "backend-api")
    stack.down(volumes=True)

The stack runs from a copy of the working tree (tracked and untracked files git does not
ignore), so a test may edit its source to prove hot reload without touching the checkout.
Its `.env` is the only configuration, as for a user: ports, ids, the CPU variant, a project
name of its own. The compose files and Dockerfiles are used as committed.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REPO
from tests.servers import free_port

TEST_PROJECT_PREFIX = "posepipe-test-"
SERVICES = ("redis", "mongodb", "backend-api", "pose-service", "frontend")
BASE_IMAGES = (
    "python:3.11-slim-bookworm",
    "node:22.12-bookworm-slim",
    "redis:7.4-bookworm",
    "mongo:7.0",
)


class ComposeError(AssertionError):
    """A compose command failed; the message holds its output."""


@dataclass
class DockerEngine:
    """The engine `scripts/docker-engine.sh ensure` found or started, and how to reach it."""

    env: dict[str, str]
    started_here: bool
    kind: str
    version: str

    @classmethod
    def ensure(cls) -> DockerEngine:
        """Find the machine's Docker (>= 25, buildx >= 0.17) or start the private one."""
        result = subprocess.run(
            [str(REPO / "scripts" / "docker-engine.sh"), "ensure"],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            env={**os.environ, "VENV": str(Path(sys.executable).parent.parent)},
        )
        if result.returncode != 0:
            raise ComposeError(f"no Docker engine could be had:\n{result.stderr}")
        env = dict(os.environ)
        for line in Path(result.stdout.strip()).read_text().splitlines():
            if line.startswith("export "):
                name, _, value = line[len("export ") :].partition("=")
                env[name] = value.replace("$PATH", os.environ.get("PATH", ""))
        version = subprocess.run(
            ["docker", "version", "--format", "{{.Server.Version}}"],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=True,
        ).stdout.strip()
        return cls(
            env,
            env.get("POSEPIPE_ENGINE_STARTED") == "1",
            env.get("POSEPIPE_ENGINE", "host"),
            version,
        )

    def docker(self, *args: str, timeout: float = 120, check: bool = True) -> str:
        """`docker ARGS` on this engine; its stdout."""
        result = subprocess.run(
            ["docker", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise ComposeError(f"docker {shlex.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def base_images(self) -> dict[str, str]:
        """Pull, or build stand-ins for, the base images; {name: pulled|present|standin}."""
        result = subprocess.run(
            [str(REPO / "scripts" / "base-images.sh")],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=1800,
            check=False,
        )
        if result.returncode != 0:
            raise ComposeError(f"base images could not be had:\n{result.stderr}")
        return dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)

    def remove_stale_stacks(self) -> list[str]:
        """Take down test stacks an interrupted run left behind (restart policies would bring
        their containers back with the engine); the projects' names."""
        projects = set(self.docker(
            "ps", "-a", "--filter", "label=com.docker.compose.project",
            "--format", '{{.Label "com.docker.compose.project"}}',
        ).split())
        stale = sorted(name for name in projects if name.startswith(TEST_PROJECT_PREFIX))
        for name in stale:
            subprocess.run(["docker", "compose", "-p", name, "down", "-v", "--remove-orphans",
                            "--timeout", "5"], env=self.env, capture_output=True, timeout=300,
                           check=False)
        return stale

    def stop(self) -> None:
        """Stop the private engine if this run started it (its data root stays, as a cache)."""
        if self.started_here:
            subprocess.run(
                [str(REPO / "scripts" / "docker-engine.sh"), "stop"],
                env=self.env,
                timeout=120,
                check=False,
            )


@dataclass
class ComposeStack:
    """One Compose project from a copy of the repository, with its own `.env`."""

    engine: DockerEngine
    root: Path
    project: str = field(default_factory=lambda: f"{TEST_PROJECT_PREFIX}{uuid.uuid4().hex[:6]}")
    settings: dict[str, str] = field(default_factory=dict)

    def prepare(self) -> ComposeStack:
        """Copy the working tree to `root` and write its `.env`."""
        listed = (
            subprocess.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=REPO,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split("\0")
        )
        for name in filter(None, listed):
            source = REPO / name
            if source.is_file():
                target = self.root / name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target)
        uid, gid = _container_ids()
        models = self.root / "models"
        models.mkdir(exist_ok=True)
        os.chown(models, uid, gid)
        self.settings = {
            "UID": str(uid),
            "GID": str(gid),
            "COMPOSE_FILE": "docker-compose.yml:docker-compose.cpu.yml",
            "COMPOSE_PROJECT_NAME": self.project,
            "API_PORT": str(free_port()),
            "FRONTEND_PORT": str(free_port()),
            "POSE_HEALTH_PORT": str(free_port()),
            # A host folder for the model cache, so a file the worker writes lands in a bind
            # mount whose owner the tests can check.
            "MODEL_CACHE_DIR": "./models",
            # A killed worker's job goes back on the queue after this (60 s by default);
            # 15 s keeps the crash test short.
            "QUEUE_HEARTBEAT_TIMEOUT_S": "15",
        }
        self.write_env()
        return self

    def write_env(self, **changes: str | None) -> None:
        """Rewrite `.env` with `changes` applied (None removes a setting)."""
        for name, value in changes.items():
            if value is None:
                self.settings.pop(name, None)
            else:
                self.settings[name] = value
        (self.root / ".env").write_text(
            "".join(f"{name}={value}\n" for name, value in self.settings.items())
        )

    # -- compose ------------------------------------------------------------------------

    def compose(self, *args: str, timeout: float = 300, check: bool = True) -> str:
        """`docker compose ARGS` in the stack's folder; its stdout (raises on failure)."""
        result = self.run_compose(*args, timeout=timeout)
        if check and result.returncode != 0:
            raise ComposeError(
                f"docker compose {shlex.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
            )
        return result.stdout

    def run_compose(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """`docker compose ARGS`, whatever its exit status."""
        # The shell's own settings must not leak in: Compose reads them before .env.
        env = {k: v for k, v in self.engine.env.items() if k not in _COMPOSE_KEYS}
        return subprocess.run(
            ["docker", "compose", *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def build(self, tries: int = 3) -> float:
        """`docker compose build`, tried again when a package download fails; seconds taken."""
        t0 = time.monotonic()
        for attempt in range(1, tries + 1):
            result = self.run_compose("build", timeout=1800)
            if result.returncode == 0:
                return time.monotonic() - t0
            if attempt == tries:
                raise ComposeError(
                    f"docker compose build failed {tries} times:\n"
                    f"{result.stdout[-6000:]}\n{result.stderr[-6000:]}"
                )
            time.sleep(5)
        raise AssertionError("unreachable")

    def up(self, *services: str, timeout_s: int = 240) -> dict[str, float]:
        """`up -d --wait`, watching each service; seconds from `up` to each one healthy."""
        t0 = time.monotonic()
        process = subprocess.Popen(
            [
                "docker",
                "compose",
                "up",
                "-d",
                "--wait",
                "--wait-timeout",
                str(timeout_s),
                *services,
            ],
            cwd=self.root,
            env={k: v for k, v in self.engine.env.items() if k not in _COMPOSE_KEYS},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        healthy: dict[str, float] = {}
        wanted = set(services or SERVICES)
        try:
            while process.poll() is None:
                try:
                    states = self.health()
                except ComposeError:  # a container being replaced, mid-`ps`: look again
                    states = {}
                for name, state in states.items():
                    if state == "healthy" and name in wanted and name not in healthy:
                        healthy[name] = time.monotonic() - t0
                time.sleep(0.25)
        finally:
            if process.poll() is None:
                process.kill()
            output, _ = process.communicate()
        if process.returncode != 0:
            raise ComposeError(f"docker compose up failed:\n{output[-4000:]}\n{self.last_logs()}")
        for name, state in self.health().items():
            if state == "healthy" and name in wanted and name not in healthy:
                healthy[name] = time.monotonic() - t0
        return healthy

    def down(self, *, volumes: bool = False) -> None:
        """`docker compose down` (with `-v`: the volumes too)."""
        self.compose("down", "--remove-orphans", "--timeout", "20", *(["-v"] if volumes else []))

    # -- state --------------------------------------------------------------------------

    def containers(self) -> list[dict[str, Any]]:
        """`docker compose ps -a` as JSON objects, one per container."""
        out = self.compose("ps", "-a", "--format", "json", timeout=60)
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def health(self) -> dict[str, str]:
        """Each service's health (`healthy`, `starting`, `unhealthy`) or state."""
        return {c["Service"]: c.get("Health") or c["State"] for c in self.containers()}

    def inspect(self, service: str) -> dict[str, Any]:
        """`docker inspect` of the service's container."""
        container = self.compose("ps", "-a", "-q", service, timeout=60).strip()
        if not container:
            raise ComposeError(f"{service} has no container")
        doc: dict[str, Any] = json.loads(self.engine.docker("inspect", container))[0]
        return doc

    def started_at(self, service: str) -> datetime:
        """When the service's container last started."""
        return _timestamp(self.inspect(service)["State"]["StartedAt"])

    def wait_health(self, service: str, wanted: str, timeout_s: float = 120) -> float:
        """Wait until the service reports `wanted`; the seconds it took."""
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout_s:
            if self.health().get(service) == wanted:
                return time.monotonic() - t0
            time.sleep(0.5)
        raise ComposeError(
            f"{service} is {self.health().get(service)!r}, not {wanted!r}, "
            f"after {timeout_s} s\n{self.last_logs(service)}"
        )

    def logs(self, *services: str, since: str | None = None) -> str:
        """`docker compose logs` (no colours, no prefixes' padding changes)."""
        args = ["logs", "--no-color", *(["--since", since] if since else []), *services]
        return self.compose(*args, timeout=120)

    def last_logs(self, *services: str, lines: int = 40) -> str:
        """Each service's last log lines, for a failure message."""
        chunks = []
        for service in services or SERVICES:
            result = self.run_compose(
                "logs", "--no-color", "--tail", str(lines), service, timeout=60
            )
            chunks.append(f"--- {service} (last {lines} lines) ---\n{result.stdout}{result.stderr}")
        return "\n".join(chunks)

    def json_log_lines(self, service: str, since: str | None = None) -> list[dict[str, Any]]:
        """The service's log lines that are JSON objects."""
        lines = []
        for raw in self.logs(service, since=since).splitlines():
            _, sep, payload = raw.partition("| ")
            if sep and payload.startswith("{"):
                try:
                    lines.append(json.loads(payload))
                except ValueError:
                    continue
        return lines

    # -- addresses ------------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """backend-api as published on the host."""
        return f"http://127.0.0.1:{self.settings['API_PORT']}"

    @property
    def frontend_url(self) -> str:
        """The Vite dev server as published on the host."""
        return f"http://127.0.0.1:{self.settings['FRONTEND_PORT']}"

    @property
    def pose_health_url(self) -> str:
        """pose-service's /health as published on the host."""
        return f"http://127.0.0.1:{self.settings['POSE_HEALTH_PORT']}/health"

    def client(self) -> httpx.Client:
        """An HTTP client on the published API."""
        return httpx.Client(base_url=self.api_url, timeout=30)

    def upload(self, clip: Path) -> str:
        """POST the clip to /api/videos; the job id."""
        with self.client() as client, clip.open("rb") as body:
            response = client.post("/api/videos", files={"file": (clip.name, body, "video/mp4")})
        if response.status_code != 201:
            raise AssertionError(f"upload answered {response.status_code}: {response.text}")
        job_id: str = response.json()["job_id"]
        return job_id

    def wait_for_job(
        self, job_id: str, status: str = "succeeded", timeout_s: float = 300
    ) -> dict[str, Any]:
        """Poll the job until it is `status`; fail early if it ends otherwise."""
        deadline = time.monotonic() + timeout_s
        job: dict[str, Any] = {}
        with self.client() as client:
            while time.monotonic() < deadline:
                try:
                    response = client.get(f"/api/jobs/{job_id}")
                except httpx.TransportError:
                    time.sleep(1)
                    continue
                if response.status_code == 200:
                    job = response.json()
                    if job["status"] == status:
                        return job
                    if job["status"] in ("succeeded", "failed", "canceled"):
                        raise AssertionError(f"job ended {job['status']}, not {status}: {job}")
                time.sleep(0.5)
        raise AssertionError(
            f"job {job_id} not {status} after {timeout_s} s: {job}\n"
            f"{self.last_logs('pose-service')}"
        )


_COMPOSE_KEYS = {"COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES", "UID", "GID"}


def _container_ids() -> tuple[int, int]:
    """The host user's ids; as root, an unprivileged pair, so ownership means something."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    return 4242, 4242


def _timestamp(text: str) -> datetime:
    # Docker writes nanoseconds; Python parses at most microseconds.
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", text).replace("Z", "+00:00")
    return datetime.fromisoformat(trimmed)
