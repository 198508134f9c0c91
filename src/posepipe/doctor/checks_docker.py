"""Docker: the engine, Compose, the NVIDIA container runtime, and a GPU inside a container."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from posepipe.doctor.context import DoctorContext
from posepipe.doctor.result import CheckResult, Status
from posepipe.doctor.versions import at_least, parse_version, show

COMPOSE_MIN = (2, 24)  # `!reset` in docker-compose.cpu.yml
ENGINE_MIN = (25, 0)  # healthcheck start_interval
SMOKE_IMAGE = "nvidia/cuda:12.1.1-base-ubuntu22.04"  # its NVIDIA_REQUIRE_CUDA checks the driver
SMOKE_TIMEOUT_S = 300.0
NATIVE_HINT = "posepipe also runs without Docker: `make dev-native` starts the stack natively."
CPU_HINT = "No NVIDIA GPU here? Put COMPOSE_FILE=docker-compose.yml:docker-compose.cpu.yml in .env."
TOOLKIT_FIX = (
    "Install the NVIDIA Container Toolkit (https://docs.nvidia.com/datacenter/cloud-native/"
    "container-toolkit/latest/install-guide.html), then register it with Docker: "
    "`sudo nvidia-ctk runtime configure --runtime=docker && sudo systemctl restart docker`."
)


@dataclass(frozen=True)
class Engine:
    """The Docker engine as `docker version` and `docker info` describe it."""

    version: str
    platform: str
    runtimes: list[str]
    operating_system: str

    @property
    def desktop(self) -> bool:
        """Docker Desktop (its WSL 2 backend brings GPU support of its own)."""
        return "desktop" in f"{self.platform} {self.operating_system}".lower()


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def engine(ctx: DoctorContext) -> Engine | None:
    """The running engine, or None when there is no docker CLI or no daemon answering."""
    version = ctx.run(["docker", "version", "--format", "{{json .}}"])
    data = _json(version.stdout) if version.ok else None
    server = (data or {}).get("Server") or None
    if server is None:
        return None
    info = _json(ctx.run(["docker", "info", "--format", "{{json .}}"]).stdout) or {}
    return Engine(
        version=str(server.get("Version", "")),
        platform=str((server.get("Platform") or {}).get("Name", "")),
        runtimes=sorted((info.get("Runtimes") or {}).keys()),
        operating_system=str(info.get("OperatingSystem", "")),
    )


def check_engine(ctx: DoctorContext) -> CheckResult:
    """Is there a Docker engine, running, that this user may talk to?"""
    title = "Docker engine"
    result = ctx.run(["docker", "version", "--format", "{{json .}}"])
    if not result.found:
        where = (
            "Install Docker Desktop for Windows (WSL 2 backend) and turn on its integration for "
            "this distribution (Settings > Resources > WSL integration), or Docker Engine inside "
            "WSL: https://docs.docker.com/engine/install/ubuntu/."
            if ctx.wsl_version
            else "Install Docker Engine: https://docs.docker.com/engine/install/ "
            "(then `sudo usermod -aG docker $USER` and log in again)."
        )
        return CheckResult("docker.engine", title, Status.FAIL,
                           "Docker is not installed (no `docker` command on PATH).",
                           f"{where} {NATIVE_HINT}")
    found = engine(ctx)
    if found is None:
        message = result.stderr.strip() or result.output or "no answer from the Docker daemon"
        first = message.splitlines()[0]
        if "permission denied" in message.lower():
            fix = ("Let your user talk to Docker: `sudo usermod -aG docker $USER`, then log out "
                   "and in again (or run `newgrp docker`).")
        elif ctx.wsl_version or "desktop" in message.lower():
            fix = ("Start Docker Desktop on Windows (and check Settings > Resources > WSL "
                   "integration), or `sudo service docker start` for an engine inside WSL.")
        else:
            fix = "Start the engine: `sudo systemctl start docker` (and `enable` it for boot)."
        return CheckResult("docker.engine", title, Status.FAIL,
                           f"The Docker CLI is installed but the engine does not answer: {first}",
                           f"{fix} {NATIVE_HINT}")
    label = found.platform or "Docker Engine"
    summary = f"{label}, engine {found.version}"
    if found.operating_system:
        summary += f" on {found.operating_system}"
    parsed = parse_version(found.version)
    if parsed and not at_least(parsed, ENGINE_MIN):
        return CheckResult("docker.engine", title, Status.WARN,
                           f"{summary}: older than {show(ENGINE_MIN)}, which the health checks' "
                           "start_interval needs (slower first 'healthy').",
                           "Upgrade Docker (Docker Desktop: Check for updates; Linux: "
                           "https://docs.docker.com/engine/install/).")
    return CheckResult("docker.engine", title, Status.PASS, summary)


def compose_command(ctx: DoctorContext) -> tuple[list[str], str] | None:
    """How Compose is called here (the docker plugin, else the standalone binary) and its
    `version --short` answer; None when neither answers."""
    for command in (["docker", "compose"], ["docker-compose"]):
        result = ctx.run([*command, "version", "--short"])
        if result.ok and parse_version(result.stdout):
            return command, result.stdout.strip()
    return None


def check_compose(ctx: DoctorContext) -> CheckResult:
    """Compose v2, new enough for the CPU override's `!reset`."""
    title = "Docker Compose"
    found = compose_command(ctx)
    version = parse_version(found[1]) if found else None
    command = " ".join(found[0]) if found else ""
    upgrade = ("Install the Compose v2 plugin: Docker Desktop ships it; on Linux "
               "`sudo apt-get install docker-compose-plugin` from Docker's apt repository "
               "(https://docs.docker.com/compose/install/linux/).")
    if version is None:
        return CheckResult("docker.compose", title, Status.FAIL,
                           "Docker Compose v2 is not installed.", upgrade)
    summary = f"`{command}` {show(version)}"
    if not at_least(version, COMPOSE_MIN):
        return CheckResult("docker.compose", title, Status.FAIL,
                           f"{summary} is older than {show(COMPOSE_MIN)}: it cannot read the "
                           "`!reset` tag of docker-compose.cpu.yml.", upgrade)
    if command == "docker-compose":
        return CheckResult("docker.compose", title, Status.PASS,
                           f"{summary} (standalone: type `docker-compose` where the README "
                           "says `docker compose`)")
    return CheckResult("docker.compose", title, Status.PASS, summary)


def check_nvidia_runtime(ctx: DoctorContext) -> CheckResult:
    """Can Docker hand a GPU to a container (`--gpus`, Compose's device reservations)?"""
    title = "NVIDIA container runtime"
    if ctx.cpu_mode:
        return CheckResult("docker.nvidia_runtime", title, Status.SKIP,
                           "CPU mode (COMPOSE_FILE names docker-compose.cpu.yml).")
    found = engine(ctx)
    if found is None:
        return CheckResult("docker.nvidia_runtime", title, Status.SKIP,
                           "Needs a running Docker engine (see above).")
    if "nvidia" in found.runtimes:
        runtimes = ", ".join(found.runtimes)
        return CheckResult("docker.nvidia_runtime", title, Status.PASS,
                           f"Docker knows the nvidia runtime (runtimes: {runtimes}).")
    if found.desktop:
        return CheckResult("docker.nvidia_runtime", title, Status.PASS,
                           "Docker Desktop: GPU support comes with its WSL 2 backend (the GPU "
                           "smoke test below is the proof).")
    toolkit = ctx.run(["nvidia-ctk", "--version"])
    if toolkit.ok:
        return CheckResult("docker.nvidia_runtime", title, Status.WARN,
                           "The NVIDIA Container Toolkit is installed but not registered with "
                           f"Docker (runtimes: {', '.join(found.runtimes) or 'none'}).",
                           "`sudo nvidia-ctk runtime configure --runtime=docker && "
                           "sudo systemctl restart docker`.")
    return CheckResult("docker.nvidia_runtime", title, Status.FAIL,
                       "Docker has no NVIDIA runtime, so it cannot give pose-service a GPU.",
                       f"{TOOLKIT_FIX} {CPU_HINT}")


def smoke_command(device: str) -> list[str]:
    """The documented check: a CUDA 12.1 container asked for one GPU lists it."""
    return ["docker", "run", "--rm", "--gpus", f"device={device}", SMOKE_IMAGE, "nvidia-smi", "-L"]


def _smoke_failure(text: str, device: str, wsl: bool) -> tuple[str, str]:
    lowered = text.lower()
    if 'could not select device driver ""' in lowered:
        if wsl:
            return ("Docker cannot find a GPU driver for containers.",
                    "Docker Desktop: update it, run `wsl --update` in PowerShell, and restart it. "
                    f"Docker Engine inside WSL: {TOOLKIT_FIX}")
        return "Docker cannot find a GPU driver for containers.", TOOLKIT_FIX
    if "unsatisfied condition: cuda>=" in lowered:
        return ("The NVIDIA driver is too old for CUDA 12.1.",
                "Install an NVIDIA driver >= 530 (Windows: >= 531.14), then restart Docker.")
    if "no adapters were found" in lowered:
        return ("WSL exposes no GPU to Docker.",
                "Update the Windows NVIDIA driver, run `wsl --update` and `wsl --shutdown` in "
                "PowerShell, then start Docker again.")
    if "unknown device" in lowered or "invalid device" in lowered:
        return (f"Docker has no GPU '{device}'.",
                "Set POSE_GPU_DEVICE in .env to an index or UUID that `nvidia-smi -L` lists.")
    if "pull access denied" in lowered or "failed to resolve reference" in lowered or (
        "dial tcp" in lowered
    ):
        return (f"Docker could not pull {SMOKE_IMAGE}.",
                "Check the network (or a proxy) and run the command by hand.")
    last = text.strip().splitlines()[-1] if text.strip() else "no output"
    return f"The GPU smoke test failed: {last}", "Run the command by hand and read its error."


def check_gpu_smoke(ctx: DoctorContext) -> CheckResult:
    """Does a container that asks for POSE_GPU_DEVICE actually see it?"""
    title = "GPU inside a container"
    device = ctx.gpu_device
    command = smoke_command(device)
    shown = " ".join(command)
    if ctx.cpu_mode:
        return CheckResult("docker.gpu_smoke", title, Status.SKIP, "CPU mode: no GPU needed.")
    if engine(ctx) is None:
        return CheckResult("docker.gpu_smoke", title, Status.SKIP,
                           "Needs a running Docker engine (see above).", details=[shown])
    if ctx.skip_gpu_smoke:
        return CheckResult("docker.gpu_smoke", title, Status.SKIP,
                           f"Skipped (--skip-gpu-smoke). By hand: `{shown}`", details=[shown])
    result = ctx.run(command, timeout_s=SMOKE_TIMEOUT_S)
    if result.ok and "GPU" in result.stdout:
        seen = result.stdout.strip().splitlines()
        return CheckResult("docker.gpu_smoke", title, Status.PASS,
                           f"A CUDA 12.1 container sees {seen[0]}", details=[shown, *seen])
    if result.timed_out:
        return CheckResult("docker.gpu_smoke", title, Status.WARN,
                           f"No answer within {SMOKE_TIMEOUT_S:.0f} s (still pulling the image?).",
                           f"Run `{shown}` by hand.", details=[shown])
    summary, fix = _smoke_failure(result.output, device, bool(ctx.wsl_version))
    return CheckResult("docker.gpu_smoke", title, Status.FAIL, summary, fix,
                       details=[shown, *result.output.splitlines()[-5:]])
