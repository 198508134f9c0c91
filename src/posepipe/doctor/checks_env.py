"""The .env file and the stack Compose renders from it."""

from __future__ import annotations

import difflib
import json
import os
import re

from posepipe.config import Settings
from posepipe.doctor.checks_docker import compose_command
from posepipe.doctor.context import DoctorContext
from posepipe.doctor.result import CheckResult, Status, worst

# Variables Compose and the Docker CLI read themselves.
COMPOSE_OWN = {
    "COMPOSE_FILE", "COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES", "COMPOSE_PATH_SEPARATOR",
    "COMPOSE_PARALLEL_LIMIT", "COMPOSE_IGNORE_ORPHANS", "COMPOSE_REMOVE_ORPHANS", "COMPOSE_ANSI",
    "COMPOSE_STATUS_STDOUT", "COMPOSE_ENV_FILES", "COMPOSE_MENU", "COMPOSE_EXPERIMENTAL",
    "COMPOSE_BAKE", "DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_BUILDKIT", "BUILDKIT_PROGRESS",
    "DOCKER_DEFAULT_PLATFORM",
}
POLLING_VALUES = {"", "0", "1", "false", "true"}  # what every watcher reads alike
ASSIGNMENT = re.compile(r"^#?\s?([A-Z][A-Z0-9_]*)=", re.MULTILINE)
INTERPOLATION = re.compile(r"\$\{([A-Z][A-Z0-9_]*)")


def known_variables(ctx: DoctorContext) -> set[str]:
    """Every variable something reads: Settings, .env.example, the compose files, Compose."""
    names = {name.upper() for name in Settings.model_fields} | COMPOSE_OWN
    example = ctx.repo_dir / ".env.example"
    if example.is_file():
        names |= set(ASSIGNMENT.findall(example.read_text()))
    for compose_file in ctx.repo_dir.glob("docker-compose*.yml"):
        names |= set(INTERPOLATION.findall(compose_file.read_text()))
    return names


def _ids_findings(ctx: DoctorContext) -> tuple[list[Status], list[str], list[str]]:
    statuses, notes, fixes = [], [], []
    uid, gid = os.getuid(), os.getgid()
    for name, mine in (("UID", uid), ("GID", gid)):
        value = ctx.env(name)
        if not value:
            statuses.append(Status.FAIL)
            notes.append(f"{name} is empty: Compose refuses to start")
            fixes.append(f"set {name}={mine}")
        elif value != str(mine):
            statuses.append(Status.WARN)
            notes.append(f"{name}={value} but you are {mine}: files the containers write "
                         "into ./src will not be yours")
            fixes.append(f"set {name}={mine}")
    return statuses, notes, fixes


def check_env_file(ctx: DoctorContext) -> CheckResult:
    """.env exists, its values are valid, and it holds nothing misleading."""
    title = ".env"
    if not ctx.env_file.is_file():
        return CheckResult("env.file", title, Status.FAIL, f"No {ctx.env_file}.",
                           f"`cp .env.example .env`, then set UID={os.getuid()} and "
                           f"GID={os.getgid()} in it.")
    statuses, notes, fixes = _ids_findings(ctx)
    if ctx.settings_error:
        statuses.append(Status.FAIL)
        notes.append(f"invalid values: {ctx.settings_error}")
        fixes.append("correct them (.env.example says what each takes)")
    known = known_variables(ctx)
    for name in sorted(set(ctx.env_values) - known):
        close = difflib.get_close_matches(name, sorted(known), n=1)
        statuses.append(Status.WARN)
        notes.append(f"unknown variable {name}" + (f" (did you mean {close[0]}?)" if close else ""))
        fixes.append(f"rename or delete {name}")
    # Compose takes CUDA_VISIBLE_DEVICES as the GPU choice when POSE_GPU_DEVICE is unset
    # (the habit of users coming from WSL), and never passes it into the container.
    cuda, chosen = ctx.env("CUDA_VISIBLE_DEVICES"), ctx.env("POSE_GPU_DEVICE")
    if cuda and chosen and cuda != chosen:
        statuses.append(Status.WARN)
        notes.append(f"CUDA_VISIBLE_DEVICES={cuda} and POSE_GPU_DEVICE={chosen}: pose-service "
                     f"gets GPU {chosen} (POSE_GPU_DEVICE wins)")
        fixes.append("keep one of the two")
    polling = ctx.env_values.get("WATCH_POLLING", "")
    if polling.lower() not in POLLING_VALUES:
        statuses.append(Status.WARN)
        notes.append(f"WATCH_POLLING={polling}: the frontend's watcher reads only '1' (or "
                     "'true') as on, so the services would disagree")
        fixes.append("write WATCH_POLLING=1 for on, 0 for off")
    status = worst(statuses) if statuses else Status.PASS
    summary = "; ".join(notes) if notes else (
        f"{ctx.env_file}: {len(ctx.env_values)} variables, all known and valid.")
    fix = ("In .env: " + "; ".join(fixes) + ".") if fixes else None
    return CheckResult("env.file", title, status, summary, fix)


def check_compose_config(ctx: DoctorContext) -> CheckResult:
    """`docker compose config` renders the stack, and its GPU block is right."""
    title = "Compose configuration"
    if not ctx.env_file.is_file():
        return CheckResult("compose.config", title, Status.SKIP, "Needs .env (see below).")
    # COMPOSE_FILE's paths are relative to the working directory, so spell them out.
    separator = ctx.env("COMPOSE_PATH_SEPARATOR", ":")
    files = [f for f in ctx.env("COMPOSE_FILE", "docker-compose.yml").split(separator) if f]
    argv = ["--project-directory", str(ctx.repo_dir), "--env-file", str(ctx.env_file)]
    for name in files:
        argv += ["-f", str(ctx.repo_dir / name)]
    argv += ["config", "--format", "json"]
    compose = compose_command(ctx)
    if compose is None:
        return CheckResult("compose.config", title, Status.SKIP,
                           "Needs Docker Compose (see above).")
    result = ctx.run([*compose[0], *argv], timeout_s=60.0)
    try:
        model = json.loads(result.stdout) if result.ok else None
    except ValueError:
        model = None
    if model is None:
        error = (result.stderr.strip() or result.output or "no output").splitlines()[-1]
        return CheckResult("compose.config", title, Status.FAIL,
                           f"`docker compose config` fails: {error}",
                           "Fix what it names (in .env, or the compose files).")
    services = model.get("services", {})
    pose = services.get("pose-service", {})
    problems = []
    cuda = (pose.get("environment") or {}).get("CUDA_VISIBLE_DEVICES")
    if cuda not in (None, "0"):
        problems.append(f"pose-service sets CUDA_VISIBLE_DEVICES={cuda}, which hides its GPU "
                        "(inside the container the GPU is device 0)")
    devices = (((pose.get("deploy") or {}).get("resources") or {}).get("reservations") or {}).get(
        "devices") or []
    for device in devices:
        if device.get("count") is not None and device.get("device_ids"):
            problems.append("a GPU reservation has both count and device_ids (Docker refuses)")
    if not devices and not ctx.cpu_mode:
        problems.append("pose-service reserves no GPU, yet the CPU override is not in COMPOSE_FILE")
    if problems:
        return CheckResult("compose.config", title, Status.FAIL, "; ".join(problems),
                           "Remove CUDA_VISIBLE_DEVICES from pose-service's environment and "
                           "choose the GPU with POSE_GPU_DEVICE; keep only device_ids.")
    mode = "CPU (mediapipe)" if ctx.cpu_mode else (
        f"GPU {devices[0].get('device_ids')}" if devices else "GPU")
    return CheckResult("compose.config", title, Status.PASS,
                       f"{len(services)} services render; pose-service mode: {mode}.")
