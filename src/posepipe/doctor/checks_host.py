"""This machine: the ports the stack publishes, and the model files in the cache."""

from __future__ import annotations

import errno
import socket
import urllib.error
import urllib.request
from pathlib import Path

from posepipe.doctor.context import DoctorContext
from posepipe.doctor.result import CheckResult, Status, worst

# What answers on each port when it is posepipe's own service (the stack is already up).
PROBES = {
    "API_PORT": ("backend-api", "/api/health", lambda body: '"status"' in body),
    "POSE_HEALTH_PORT": ("pose-service", "/health", lambda body: '"backend"' in body),
    "FRONTEND_PORT": ("frontend", "/", lambda body: "<html" in body.lower()),
}


def _is_free(address: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((address, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def _answers_like_posepipe(port: int, path: str, looks_right: object) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=1.5) as reply:
            body = reply.read(65536).decode(errors="replace")
    except (urllib.error.URLError, OSError, ValueError):
        return False
    return callable(looks_right) and bool(looks_right(body))


def check_ports(ctx: DoctorContext) -> CheckResult:
    """The published ports are free, or already held by posepipe's own services."""
    title = "Free ports"
    settings = ctx.settings
    address = ctx.env("BIND_ADDRESS", "127.0.0.1")
    bind_to = "0.0.0.0" if address in ("0.0.0.0", "") else address
    ports = {"API_PORT": settings.api_port, "POSE_HEALTH_PORT": settings.pose_health_port,
             "FRONTEND_PORT": settings.frontend_port}
    statuses, details, fixes = [], [], []
    if len(set(ports.values())) < len(ports):
        return CheckResult("host.ports", title, Status.FAIL,
                           f"Two services share a port: {ports}.",
                           "Give API_PORT, POSE_HEALTH_PORT and FRONTEND_PORT different values "
                           "in .env.")
    for name, port in ports.items():
        service, path, looks_right = PROBES[name]
        try:
            free = _is_free(bind_to, port)
        except OSError as exc:
            statuses.append(Status.WARN)
            details.append(f"{name}={port}: cannot test on {bind_to} ({exc.strerror})")
            continue
        if free:
            statuses.append(Status.PASS)
            details.append(f"{name}={port}: free")
        elif _answers_like_posepipe(port, path, looks_right):
            statuses.append(Status.PASS)
            details.append(f"{name}={port}: in use by posepipe's {service} (the stack is up)")
        else:
            statuses.append(Status.FAIL)
            details.append(f"{name}={port}: taken by another program")
            fixes.append(f"free port {port} (`sudo ss -ltnp 'sport = :{port}'` names the "
                         f"program) or set {name} to another port in .env")
    fix = "; ".join(fixes)
    return CheckResult("host.ports", title, worst(statuses), "; ".join(details),
                       (fix[:1].upper() + fix[1:] + ".") if fixes else None)


def _cache_dir(ctx: DoctorContext) -> Path | None:
    value = ctx.env("MODEL_CACHE_DIR")
    if not value:
        return None
    path = Path(value).expanduser()
    return path if path.is_absolute() else (ctx.repo_dir / path)


def check_models(ctx: DoctorContext) -> CheckResult:
    """The hmr2 backend's files are in the model cache (MODEL_CACHE_DIR)."""
    title = "Model files"
    backend = ctx.settings.pose_backend.value
    if ctx.cpu_mode or backend == "mediapipe":
        return CheckResult("host.models", title, Status.SKIP,
                           "mediapipe backend: its model ships inside its wheel.")
    try:
        from posepipe import models
    except ImportError:
        return CheckResult("host.models", title, Status.WARN,
                           "This posepipe has no model registry (posepipe.models) to check with.",
                           "Update posepipe, then run `posepipe models check`.")
    cache = _cache_dir(ctx)
    if cache is None:
        return CheckResult("host.models", title, Status.WARN,
                           "MODEL_CACHE_DIR is not set: the cache is the Docker volume "
                           "posepipe_models, which doctor cannot look into.",
                           "Check inside it: `docker compose run --rm pose-service posepipe "
                           "models check` (and `... models fetch` to fill it), or set "
                           "MODEL_CACHE_DIR to a host folder in .env.")
    if not cache.is_dir():
        return CheckResult("host.models", title, Status.FAIL,
                           f"MODEL_CACHE_DIR={cache} does not exist (Docker would create it "
                           "owned by root).",
                           f"`mkdir -p {cache}`, then `posepipe models fetch`.")
    detector = ctx.settings.pose_hmr2_detector
    missing = models.missing_model_files(cache, detector=detector)
    if not missing:
        return CheckResult("host.models", title, Status.PASS,
                           f"Every file the hmr2 backend needs ({detector} detector) is in "
                           f"{cache}.")
    details = [f"missing: {cache / relative}" for relative in missing]
    fix = (f"`posepipe models fetch` downloads what may be downloaded into {cache} "
           "(see `posepipe models check`).")
    smpl_missing = any("SMPL_NEUTRAL" in relative for relative in missing)
    smpl_instructions = getattr(models, "smpl_instructions", None)
    if smpl_missing and callable(smpl_instructions):
        fix += " " + str(smpl_instructions(cache))
    status = Status.FAIL if backend == "hmr2" else Status.WARN
    consequence = ("pose-service will not report ready" if backend == "hmr2"
                   else "POSE_BACKEND=auto falls back to mediapipe")
    return CheckResult("host.models", title, status,
                       f"{len(missing)} model file(s) missing from {cache}: {consequence}.",
                       fix, details)
