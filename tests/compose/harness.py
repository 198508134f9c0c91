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
import random
import re
import shlex
import shutil
import socket
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


class ComposeError(AssertionError):
    """A compose command failed; the message holds its output."""


@dataclass
class DockerEngine:
    """The engine `scripts/docker-engine.sh ensure` found or started, claimed by this process
    (a private engine stops once no live process claims it)."""

    env: dict[str, str]
    kind: str
    version: str

    @classmethod
    def ensure(cls) -> DockerEngine:
        """Find the machine's Docker (>= 25) or start the private one, and claim it."""
        result = subprocess.run(
            [str(ENGINE_SCRIPT), "ensure", f"pid-{os.getpid()}"],
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
        return cls(env, env.get("POSEPIPE_ENGINE", "host"), version)

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
        """Take down test stacks whose run has died (restart policies would bring their
        containers back with the engine); never one of a run still going. Their names."""
        projects: set[str] = set()
        for kind in ("ps -a", "volume ls", "network ls"):
            projects |= set(
                self.docker(
                    *kind.split(),
                    "--filter",
                    "label=com.docker.compose.project",
                    "--format",
                    '{{.Label "com.docker.compose.project"}}',
                ).split()
            )
        stale = sorted(name for name in projects if _run_is_dead(name))
        for name in stale:
            result = subprocess.run(
                ["docker", "compose", "-p", name, "down", "-v", "--remove-orphans", "-t", "5"],
                env=_compose_env(self.env),
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if result.returncode != 0:
                raise ComposeError(f"could not take down the stale stack {name}:\n{result.stderr}")
        return stale

    def release(self) -> None:
        """Drop this process's claim; a private engine nobody else claims stops (its data
        root, images and build cache stay)."""
        subprocess.run(
            [str(ENGINE_SCRIPT), "release", f"pid-{os.getpid()}"],
            env=self.env,
            timeout=120,
            check=False,
        )


@dataclass
class ComposeStack:
    """One Compose project from a copy of the repository, with its own `.env`."""

    engine: DockerEngine
    root: Path
    # The test process's pid in the name: a later run tells a dead run's stack by it.
    project: str = field(
        default_factory=lambda: f"{TEST_PROJECT_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:6]}"
    )
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
            # Images of this run only: a user's own posepipe/*:dev images stay as they are.
            "POSEPIPE_TAG": self.project,
            "API_PORT": str(_stable_free_port()),
            "FRONTEND_PORT": str(_stable_free_port()),
            "POSE_HEALTH_PORT": str(_stable_free_port()),
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
        return subprocess.run(
            ["docker", "compose", *args],
            cwd=self.root,
            env=_compose_env(self.engine.env),
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
            env=_compose_env(self.engine.env),
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

    def remove(self) -> None:
        """Everything of this project: containers, networks, volumes (anonymous ones from
        earlier containers too), and its images (the build cache keeps rebuilds fast)."""
        self.down(volumes=True)
        label = f"label=com.docker.compose.project={self.project}"
        volumes = self.engine.docker("volume", "ls", "-q", "--filter", label).split()
        if volumes:
            self.engine.docker("volume", "rm", "-f", *volumes)
        images = self.engine.docker(
            "image", "ls", "-q", "--filter", f"reference=posepipe/*:{self.project}*"
        ).split()
        if images:
            self.engine.docker("image", "rm", "-f", *sorted(set(images)))

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

    def own_start_seconds(self) -> dict[str, float]:
        """Seconds from each container's start to its first passing health check (Docker keeps
        the last five checks: call it right after `up`)."""
        seconds = {}
        for service in SERVICES:
            state = self.inspect(service)["State"]
            passed = [_timestamp(c["End"]) for c in state.get("Health", {}).get("Log", [])
                      if c["ExitCode"] == 0]
            if passed:
                seconds[service] = (min(passed) - _timestamp(state["StartedAt"])).total_seconds()
        return seconds

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


ENGINE_SCRIPT = REPO / "scripts" / "docker-engine.sh"
# What Compose may see of the test process's environment: how to reach the engine and the
# network. Anything else (API_PORT, LOG_LEVEL, CUDA_VISIBLE_DEVICES... exported in a
# developer's shell) would win over the stack's .env.
_PASSED = {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "SSL_CERT_FILE", "SSL_CERT_DIR"}
_PASSED_PREFIXES = ("DOCKER_", "BUILDKIT_", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY",
                    "http_proxy", "https_proxy", "no_proxy")


def _compose_env(env: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in env.items() if k in _PASSED or k.startswith(_PASSED_PREFIXES)}


def _run_is_dead(project: str) -> bool:
    """A test project (posepipe-test-PID-...) whose test process is gone."""
    match = re.fullmatch(rf"{TEST_PROJECT_PREFIX}(\d+)-[0-9a-f]+", project)
    if not match:
        return project.startswith(TEST_PROJECT_PREFIX)  # an older run's name, no pid in it
    try:
        os.kill(int(match.group(1)), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _stable_free_port() -> int:
    """A free port below Linux's ephemeral range (32768-60999): the stack binds its ports
    again at each `up`, and an ephemeral one may meanwhile be an outgoing connection's."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    return free_port()


def _container_ids() -> tuple[int, int]:
    """The host user's ids; as root, an unprivileged pair, so ownership means something."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    return 4242, 4242


def _timestamp(text: str) -> datetime:
    # Docker writes nanoseconds, and health checks' times as "2026-12-01 16:51:19.23 +0000
    # UTC"; Python parses neither as they are.
    text = re.sub(r" \+0000 UTC$", "+00:00", text.replace("Z", "+00:00"))
    text = re.sub(r"(\.\d{6})\d+", r"\1", text)
    return datetime.fromisoformat(text)
